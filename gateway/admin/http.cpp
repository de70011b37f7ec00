// The admin API's shared plumbing: error bodies, JSON bodies and fields, path ids.
#include "gateway/admin/http.hpp"

#include <limits>

#include <algorithm>

namespace dcgw::admin {

using codecs::JsonValue;
using codecs::JsonWriter;

namespace {
constexpr std::size_t kMaxBody = 1 << 20;
}

ApiError toApiError(const control::Failure& f) {
  switch (f.kind) {
    case control::Failure::Kind::Invalid:
      return ApiError{400, f.message, f.fields};
    case control::Failure::Kind::NotFound:
      return ApiError{404, f.message, f.fields};
    case control::Failure::Kind::Conflict:
      return ApiError{409, f.message, f.fields};
  }
  return ApiError{500, f.message, f.fields};
}

int send(HttpResponse& resp, int status, const std::string& body, const std::string& type) {
  resp.status = status;
  resp.contentType = type;
  resp.set("Cache-Control", "no-store");
  resp.body = body;
  return status;
}

int sendError(HttpResponse& resp, const ApiError& e) {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("error");
  w.string(e.message);
  if (!e.fields.empty()) {
    w.key("fields");
    w.beginArray();
    for (const auto& [f, r] : e.fields) {
      w.beginObject();
      w.key("field");
      w.string(f);
      w.key("reason");
      w.string(r);
      w.endObject();
    }
    w.endArray();
  }
  w.endObject();
  if (e.status == 401) resp.set("WWW-Authenticate", "Bearer");
  return send(resp, e.status, out);
}

JsonValue readBody(const HttpRequest& req) {
  // The front refuses a longer body before it is read (AdminOptions::maxBodyBytes).
  if (req.body.size() > kMaxBody) throw ApiError{413, "a body of at most 1 MiB", {}};
  auto v = codecs::parseJson(req.body.empty() ? std::string_view("{}") : req.body);
  if (!v)
    throw ApiError{
        400,
        "the body is not JSON: " + v.error().message(),
        {{"body", v.error().expected + " at character " + std::to_string(v.error().offset)}}};
  if (!v->isObject()) throw ApiError{400, "the body must be a JSON object", {{"body", "{...}"}}};
  return *v;
}

std::int64_t idParam(const std::string& s, const char* what) {
  std::int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9' || v > 1'000'000'000'000LL)
      throw ApiError{404, "no " + std::string(what) + " '" + s + "'", {}};
    v = v * 10 + (ch - '0');
  }
  if (s.empty()) throw ApiError{404, "no " + std::string(what) + " ''", {}};
  return v;
}

std::optional<std::int64_t> wholeNumber(const std::string& s, std::int64_t lo, std::int64_t hi) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

void pageParams(const Request& r, const char* cursor, std::int64_t min, std::int64_t& at,
                int& limit, control::FieldErrors& e) {
  if (auto b = cursor ? r.param(cursor) : std::nullopt) {
    if (auto v = wholeNumber(*b, min, std::numeric_limits<std::int64_t>::max())) {
      at = *v;
    } else {
      e.add(cursor, "the `next` of a previous page, not '" + *b + "'");
    }
  }
  if (auto l = r.param("limit")) {
    if (auto v = wholeNumber(*l, 1, 500)) {
      limit = static_cast<int>(*v);
    } else {
      e.add("limit", "from 1 to 500, not '" + *l + "'");
    }
  }
}

void checkKnown(const JsonValue& body, std::initializer_list<const char*> known,
                control::FieldErrors& e) {
  for (const auto& m : body.asObject()) {
    const std::string& k = m.first;
    if (std::find_if(known.begin(), known.end(), [&](const char* n) { return k == n; }) ==
        known.end())
      e.add(k, "not a field of this object");
  }
}

std::optional<std::string> stringField(const JsonValue& body, const char* key,
                                       control::FieldErrors& e, bool required) {
  const JsonValue* v = body.find(key);
  if (!v) {
    if (required) e.add(key, "required");
    return std::nullopt;
  }
  if (!v->isString()) {
    e.add(key, "a string");
    return std::nullopt;
  }
  return v->asString();
}

std::optional<bool> boolField(const JsonValue& body, const char* key, control::FieldErrors& e) {
  const JsonValue* v = body.find(key);
  if (!v) return std::nullopt;
  if (v->kind() != JsonValue::Kind::Bool) {
    e.add(key, "true or false");
    return std::nullopt;
  }
  return v->asBool();
}

std::optional<std::int64_t> intField(const JsonValue& body, const char* key,
                                     control::FieldErrors& e, std::int64_t lo, std::int64_t hi,
                                     const std::string& what) {
  const JsonValue* v = body.find(key);
  if (!v) return std::nullopt;
  auto n = v->asExactInteger();
  if (!v->isNumber() || !n || *n < lo || *n > hi) {
    e.add(key, what);
    return std::nullopt;
  }
  return *n;
}

std::optional<std::string> Request::param(const char* name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

}  // namespace dcgw::admin
