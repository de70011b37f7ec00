// Error values for untrusted bytes: every failure names the field, its offset and what was
// expected.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace dcgw::codecs {

struct Error {
  std::string field;     // the field (or frame section) being read when decoding failed
  std::size_t offset{};  // byte offset of that field in the input
  std::string expected;  // what the input should have held there

  std::string message() const {
    return field + " at offset " + std::to_string(offset) + ": " + expected;
  }
};

// A value or an error (by default the codecs' Error; other layers name their own, as the store
// does with its categories). Small on purpose: C++20 has no std::expected.
template <class T, class E = Error>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error makeError(std::string field, std::size_t offset, std::string expected) {
  return Error{std::move(field), offset, std::move(expected)};
}

}  // namespace dcgw::codecs
