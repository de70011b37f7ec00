// How the store says something went wrong, by category, so callers switch on what happened and
// never on a database's codes or messages.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "codecs/result.hpp"

namespace dcgw::store {

enum class ErrorCategory {
  Invalid,      // the request itself is wrong (a value the schema refuses)
  Conflict,     // a unique name or key is taken
  NotFound,     // the object named does not exist (or was removed)
  Full,         // the disk or the database is full
  Unavailable,  // the database cannot be reached or written now (read-only, gone, locked out)
  Corrupt,      // the database file is damaged or not a database
  Busy,         // another writer held the database past the timeout
  Fenced,       // this node no longer owns the destination (another took it over): not recorded
  Internal,     // anything else: a bug or an unexpected answer of the database
};
std::string_view categoryName(ErrorCategory c);

// A refusal the caller shows to a person: the field it concerns and what was expected there.
struct Error {
  ErrorCategory category{ErrorCategory::Internal};
  std::string field;
  std::string message;
};

template <class T>
using Result = codecs::Result<T, Error>;
using Ok = codecs::Ok;
using Status = Result<Ok>;

inline Error conflict(std::string field, std::string message) {
  return {ErrorCategory::Conflict, std::move(field), std::move(message)};
}
inline Error notFound(std::string field, std::string message) {
  return {ErrorCategory::NotFound, std::move(field), std::move(message)};
}
inline Error invalid(std::string field, std::string message) {
  return {ErrorCategory::Invalid, std::move(field), std::move(message)};
}

// Thrown when the database fails an operation as a whole (nothing of it is kept).
class StoreError : public std::runtime_error {
 public:
  StoreError(ErrorCategory category, const std::string& what)
      : std::runtime_error(what), category_(category) {}
  ErrorCategory category() const { return category_; }

 private:
  ErrorCategory category_;
};

}  // namespace dcgw::store
