// The admin API's shared plumbing: errors as responses, JSON bodies and their fields, path ids,
// and the request a route handler gets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/admin/http_message.hpp"
#include "gateway/control/service.hpp"

namespace dcgw::admin {

// A request's failure: status, message and the bad fields (400).
struct ApiError {
  int status;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

// A control service's refusal as the API reports it (Invalid 400, NotFound 404, Conflict 409).
ApiError toApiError(const control::Failure& f);
// The value of a service's outcome, or its refusal thrown as an ApiError.
template <class T>
T orThrow(control::Outcome<T> o) {
  if (!o) throw toApiError(o.failure());
  return std::move(o.value());
}

// Fills the response (status, type, body, Cache-Control: no-store); returns the status.
int send(HttpResponse& resp, int status, const std::string& body,
         const std::string& type = "application/json");
int sendError(HttpResponse& resp, const ApiError& e);
// The body as a JSON object ("{}" when empty); 413 over 1 MiB, 400 when not a JSON object
// (invalid UTF-8 included), naming the character where it went wrong.
codecs::JsonValue readBody(const HttpRequest& req);

// A path id: decimal digits, else 404 "no <what> '<text>'".
std::int64_t idParam(const std::string& s, const char* what);

// The cursor member of a page: the last id when more may follow, else null.
inline void writeNext(codecs::JsonWriter& w, std::optional<std::int64_t> next) {
  w.key("next");
  if (next) {
    w.integer(*next);
  } else {
    w.null();
  }
}
// A whole decimal integer (no sign, no trailing characters) from lo to hi, or nullopt.
std::optional<std::int64_t> wholeNumber(const std::string& s, std::int64_t lo, std::int64_t hi);

// ---- the fields of a JSON body; each bad one is added to the errors ----
void checkKnown(const codecs::JsonValue& body, std::initializer_list<const char*> known,
                control::FieldErrors& e);
std::optional<std::string> stringField(const codecs::JsonValue& body, const char* key,
                                       control::FieldErrors& e, bool required);
std::optional<bool> boolField(const codecs::JsonValue& body, const char* key,
                              control::FieldErrors& e);
std::optional<std::int64_t> intField(const codecs::JsonValue& body, const char* key,
                                     control::FieldErrors& e, std::int64_t lo, std::int64_t hi,
                                     const std::string& what);
// Field errors found before a service is asked (query parameters, a body's shape).
inline void throwIfAny(const control::FieldErrors& e) {
  if (!e.empty()) throw toApiError(control::Failure::invalid(e));
}

// One request as a route handler sees it. Path variables ({name}) are the decoded segments;
// numeric ones ({destination}, {location}, {queue}, {entry}, {token}) are checked by the table.
struct Request {
  const HttpRequest& http;
  HttpResponse& resp;
  control::Actor caller;
  std::string method;
  std::string path;  // decoded, for messages
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> vars;

  const std::string& var(const std::string& name) const { return vars.at(name); }
  std::int64_t id(const std::string& name) const { return idParam(var(name), name.c_str()); }
  std::optional<std::string> param(const char* name) const;
  codecs::JsonValue body() const { return readBody(http); }
  int reply(int status, const std::string& body, const std::string& type = "application/json") {
    return send(resp, status, body, type);
  }
};

// The paging parameters of a list: `cursor` (the name of the `next` a previous page gave: a whole
// number from `min`) into `at`, and `limit` (1 to 500) into `limit`; each one absent keeps its
// default, each bad one is added to the errors. `cursor` null: a list of one page (limit only).
void pageParams(const Request& r, const char* cursor, std::int64_t min, std::int64_t& at,
                int& limit, control::FieldErrors& e);

}  // namespace dcgw::admin
