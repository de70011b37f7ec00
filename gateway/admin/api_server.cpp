// Routing, validation, access control and JSON rendering of the admin API. Every change is
// written to the audit log with the object before and after.
#include "gateway/admin/api_server.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <istream>
#include <sstream>

#include "adapters/adapter.hpp"
#include "adapters/methods.hpp"
#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/packets/registry.hpp"
#include "gateway/admin/console_assets.hpp"
#include "gateway/common/tls.hpp"
#include "gateway/forward/destination_settings.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::admin {

using codecs::JsonValue;
using codecs::JsonWriter;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

std::string formatTimeMs(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::optional<std::int64_t> parseTimeMs(const std::string& text) {
  int y, mo, d, h, mi, s;
  char rest[32] = {0};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &s, rest) < 6)
    return std::nullopt;
  std::string tail = rest;
  int ms = 0;
  if (!tail.empty() && tail[0] == '.') {
    std::size_t i = 1, digits = 0;
    int scale = 100;
    while (i < tail.size() && std::isdigit(static_cast<unsigned char>(tail[i]))) {
      if (digits < 3) ms += (tail[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    tail = tail.substr(i);
  }
  if (tail != "Z" && tail != "+00:00" && tail != "z") return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

namespace {

constexpr std::size_t kMaxBody = 1 << 20;

// A request's failure: status, message and the bad fields (400).
struct ApiError {
  int status;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

struct Caller {
  std::string name;
  std::string role;
};

std::string jsonString(std::string_view s) {
  std::string out;
  codecs::appendJsonString(out, s);
  return out;
}

void writeOptionalTime(JsonWriter& w, const char* key, std::optional<std::int64_t> ms) {
  w.key(key);
  if (ms) {
    w.string(formatTimeMs(*ms));
  } else {
    w.null();
  }
}

std::string renderDestination(const store::DestinationConfig& d,
                              const std::vector<std::int64_t>& locationIds) {
  std::string out;
  JsonWriter w(out);
  const auto& s = d.settings;
  w.beginObject();
  w.key("id");
  w.integer(d.id);
  w.key("name");
  w.string(s.name);
  w.key("method");
  w.string(s.method);
  w.key("host");
  w.string(s.host);
  // A method addressed by URL carries the port in it: no port member, so a GET can be PUT back
  // as is. Every other member is written for every method (the table says which it reads).
  const adapters::MethodInfo* info = adapters::findMethod(s.method);
  if (!info || info->takes("port")) {
    w.key("port");
    w.integer(s.port);
  }
  w.key("format");
  w.string(s.format);
  w.key("customTags");
  w.string(s.customTags);
  w.key("filter");
  if (d.filter) {
    w.beginArray();
    for (const auto& k : *d.filter) w.string(k);
    w.endArray();
  } else {
    w.null();
  }
  w.key("enabled");
  w.boolean(d.enabled);
  w.key("paused");
  w.boolean(d.paused);
  w.key("tlsVerify");
  w.boolean(s.tlsVerify);
  w.key("tlsCaFile");
  w.string(s.tlsCaFile);
  w.key("replyTimeoutMs");
  w.integer(s.replyTimeoutMs);
  w.key("locationIds");
  w.beginArray();
  for (auto id : locationIds) w.integer(id);
  w.endArray();
  w.endObject();
  return out;
}

std::string renderLocation(const store::LocationConfig& l, std::int64_t devices) {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("id");
  w.integer(l.id);
  w.key("name");
  w.string(l.name);
  w.key("description");
  w.string(l.description);
  w.key("destinationIds");
  w.beginArray();
  for (auto id : l.destinationIds) w.integer(id);
  w.endArray();
  w.key("devices");
  w.integer(devices);
  w.endObject();
  return out;
}

std::string renderDevice(const store::DeviceRecord& d, const std::string& generatedKey = "") {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("serial");
  w.string(d.serial);
  w.key("locationId");
  if (d.locationId) {
    w.integer(*d.locationId);
  } else {
    w.null();
  }
  w.key("registration");
  w.string(d.registration);
  w.key("hasKey");
  w.boolean(d.hasKey);
  w.key("lastSequence");
  w.integer(d.lastSequence);
  if (!generatedKey.empty()) {
    w.key("key");
    w.string(generatedKey);
  }
  w.endObject();
  return out;
}

const char* stateName(store::DeliveryState s) {
  switch (s) {
    case store::DeliveryState::Pending:
      return "pending";
    case store::DeliveryState::Delivered:
      return "delivered";
    case store::DeliveryState::Dead:
      return "dead";
  }
  return "pending";
}

void writeEntry(JsonWriter& w, const store::QueueEntry& e) {
  w.beginObject();
  w.key("id");
  w.integer(e.id);
  w.key("destinationId");
  w.integer(e.destinationId);
  w.key("packetId");
  w.integer(e.packetId);
  w.key("state");
  w.string(stateName(e.state));
  w.key("attempts");
  w.integer(e.attempts);
  w.key("receivedAt");
  w.string(formatTimeMs(e.receivedAtMs));
  writeOptionalTime(w, "finishedAt", e.finishedAtMs);
  w.key("reason");
  if (e.reason) {
    w.string(*e.reason);
  } else {
    w.null();
  }
  w.key("serial");
  w.string(e.serial);
  w.key("registration");
  w.string(e.registration);
  w.key("type");
  w.integer(e.type);
  w.key("filterKey");
  if (e.filterKey) {
    w.string(*e.filterKey);
  } else {
    w.null();
  }
  w.key("data");
  w.string(codecs::toHex(e.data));
  w.key("packet");
  codecs::Packet p;
  if (codecs::Status s = codecs::decodePacket(e.data, p); s) {
    w.raw(codecs::renderPacketJson(p));
  } else {
    w.beginObject();
    w.key("error");
    w.string(s.error().message());
    w.endObject();
  }
  w.key("history");
  w.beginArray();
  for (const auto& a : e.history) {
    w.beginObject();
    w.key("at");
    w.string(formatTimeMs(a.atMs));
    w.key("outcome");
    w.string(a.outcome);
    w.key("reason");
    w.string(a.reason);
    w.key("durationUs");
    w.integer(a.durationUs);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

const char* forwarderStateName(forward::Forwarder::State s) {
  switch (s) {
    case forward::Forwarder::State::Delivering:
      return "delivering";
    case forward::Forwarder::State::Idle:
      return "idle";
    case forward::Forwarder::State::BackingOff:
      return "backing-off";
    case forward::Forwarder::State::Paused:
      return "paused";
    case forward::Forwarder::State::Disabled:
      return "disabled";
  }
  return "idle";
}

// A whole decimal integer (no sign, no trailing characters), or nullopt.
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

// ---- request bodies ----

const JsonValue* member(const JsonValue& o, const char* key) {
  return o.find(key);
}

struct FieldErrors {
  std::vector<std::pair<std::string, std::string>> list;
  void add(const std::string& field, const std::string& reason) {
    for (const auto& [f, r] : list)
      if (f == field) return;  // the first reason for a field is the useful one
    list.emplace_back(field, reason);
  }
  bool has(const std::string& field) const {
    for (const auto& [f, r] : list)
      if (f == field) return true;
    return false;
  }
  ApiError error() const {
    return ApiError{400,
                    "the request has " + std::to_string(list.size()) + " invalid field" +
                        (list.size() == 1 ? "" : "s"),
                    list};
  }
};

void checkKnown(const JsonValue& body, std::initializer_list<const char*> known, FieldErrors& e) {
  for (const auto& m : body.asObject()) {
    const std::string& k = m.first;
    if (std::find_if(known.begin(), known.end(), [&](const char* n) { return k == n; }) ==
        known.end())
      e.add(k, "not a field of this object");
  }
}

std::optional<std::string> stringField(const JsonValue& body, const char* key, FieldErrors& e,
                                       bool required) {
  const JsonValue* v = member(body, key);
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

std::optional<bool> boolField(const JsonValue& body, const char* key, FieldErrors& e) {
  const JsonValue* v = member(body, key);
  if (!v) return std::nullopt;
  if (v->kind() != JsonValue::Kind::Bool) {
    e.add(key, "true or false");
    return std::nullopt;
  }
  return v->asBool();
}

std::optional<std::int64_t> intField(const JsonValue& body, const char* key, FieldErrors& e,
                                     std::int64_t lo, std::int64_t hi, const std::string& what) {
  const JsonValue* v = member(body, key);
  if (!v) return std::nullopt;
  auto n = v->asExactInteger();
  if (!v->isNumber() || !n || *n < lo || *n > hi) {
    e.add(key, what);
    return std::nullopt;
  }
  return *n;
}

// A DestinationInput into settings; every bad field is reported, not only the first.
store::DestinationConfig parseDestination(const JsonValue& body, FieldErrors& e) {
  store::DestinationConfig d;
  checkKnown(body,
             {"name", "method", "host", "port", "format", "customTags", "filter", "enabled",
              "tlsVerify", "tlsCaFile", "replyTimeoutMs", "id", "paused", "locationIds"},
             e);
  if (auto v = stringField(body, "name", e, true)) {
    if (v->empty()) e.add("name", "a name of at least one character");
    d.settings.name = *v;
  }
  if (auto v = stringField(body, "method", e, true)) {
    if (auto m = adapters::parseMethod(*v)) {
      d.settings.method = std::string(adapters::methodName(*m));
    } else {
      e.add("method", adapters::methodNameList() + ", not '" + *v + "'");
    }
  }
  if (auto v = stringField(body, "host", e, true)) d.settings.host = *v;
  // 0 or null is "no port" (REST/SOAP); the methods that need one then report it missing.
  if (const JsonValue* p = member(body, "port"); p && !p->isNull() && p->asExactInteger() != 0) {
    if (auto v = intField(body, "port", e, 1, 65535, "a port number from 1 to 65535"))
      d.settings.port = static_cast<std::uint16_t>(*v);
  }
  if (auto v = stringField(body, "format", e, false)) {
    if (auto f = adapters::parseDataFormat(*v)) {
      d.settings.format = std::string(adapters::dataFormatName(*f));
    } else {
      e.add("format", "base64binary or hex, not '" + *v + "'");
    }
  }
  if (auto v = stringField(body, "customTags", e, false)) d.settings.customTags = *v;
  if (const JsonValue* f = member(body, "filter"); f && !f->isNull()) {
    if (!f->isArray()) {
      e.add("filter", "null (every packet) or an array of filter keys");
    } else {
      d.filter = std::vector<std::string>{};
      std::string unknown;
      for (const auto& k : f->asArray()) {
        if (!k.isString() || !codecs::isFilterKey(k.asString().c_str(), k.asString().size())) {
          unknown += (unknown.empty() ? "'" : ", '") + (k.isString() ? k.asString() : "?") + "'";
          continue;
        }
        if (std::find(d.filter->begin(), d.filter->end(), k.asString()) == d.filter->end())
          d.filter->push_back(k.asString());
      }
      if (!unknown.empty())
        e.add("filter", "filter keys of /api/v1/filter-keys; unknown: " + unknown);
    }
  }
  if (auto v = boolField(body, "enabled", e)) d.enabled = *v;
  if (auto v = boolField(body, "tlsVerify", e)) d.settings.tlsVerify = *v;
  if (auto v = stringField(body, "tlsCaFile", e, false)) d.settings.tlsCaFile = *v;
  if (auto v = intField(body, "replyTimeoutMs", e, 1, 600'000, "milliseconds from 1 to 600000"))
    d.settings.replyTimeoutMs = *v;
  // The adapters' own checks (host form for the method's addressing, port required, custom
  // tags the method can carry, CA file), all at once; fields already reported above are not
  // reported twice, nor the host of an unknown method.
  auto converted = forward::toAdapterSettings(d.settings);
  if (!converted) return d;  // method or format already reported above
  for (const codecs::Error& err : adapters::validateDestinationAll(*converted))
    if (!(err.field == "host" && e.has("method"))) e.add(err.field, err.expected);
  return d;
}

store::LocationConfig parseLocation(const store::Backend& /*unused*/, const JsonValue& body,
                                    FieldErrors& e) {
  store::LocationConfig l;
  checkKnown(body, {"name", "description", "destinationIds", "id", "devices"}, e);
  if (auto v = stringField(body, "name", e, true)) {
    if (v->empty()) e.add("name", "a name of at least one character");
    l.name = *v;
  }
  if (auto v = stringField(body, "description", e, false)) l.description = *v;
  if (const JsonValue* ds = member(body, "destinationIds")) {
    if (!ds->isArray()) {
      e.add("destinationIds", "an array of destination ids");
    } else {
      for (const auto& id : ds->asArray()) {
        auto n = id.asExactInteger();
        if (!id.isNumber() || !n) {
          e.add("destinationIds", "an array of destination ids");
          break;
        }
        l.destinationIds.push_back(*n);
      }
    }
  }
  return l;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class ApiServer::Impl {
 public:
  Impl(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
       AdminOptions options, MetricSources metrics)
      : store_(store),
        forwarder_(forwarder),
        clock_(clock),
        o_(std::move(options)),
        metrics_(metrics) {}

  void handle(HTTPServerRequest& req, HTTPServerResponse& resp) {
    const auto began = std::chrono::steady_clock::now();
    int status = 500;
    try {
      status = route(req, resp);
    } catch (const ApiError& e) {
      status = sendError(resp, e);
    } catch (const store::StoreError& e) {
      spdlog::error("admin {} {}: store: {}", req.getMethod(), req.getURI(), e.what());
      status = sendError(resp, ApiError{503, std::string("the store: ") + e.what(), {}});
    } catch (const std::exception& e) {
      spdlog::error("admin {} {}: {}", req.getMethod(), req.getURI(), e.what());
      status = sendError(resp, ApiError{500, e.what(), {}});
    }
    spdlog::debug("admin {} {} -> {} in {} us", req.getMethod(), req.getURI(), status,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count());
  }

 private:
  // ---- plumbing ----
  static int send(HTTPServerResponse& resp, int status, const std::string& body,
                  const std::string& type = "application/json") {
    resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    resp.setContentType(type);
    resp.set("Cache-Control", "no-store");
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send() << body;
    return status;
  }

  static int sendError(HTTPServerResponse& resp, const ApiError& e) {
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

  static JsonValue readBody(HTTPServerRequest& req) {
    std::string body;
    char buf[8192];
    std::istream& in = req.stream();
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (body.size() > kMaxBody) throw ApiError{413, "a body of at most 1 MiB", {}};
    }
    if (body.empty()) body = "{}";
    auto v = codecs::parseJson(body);
    if (!v)
      throw ApiError{
          400,
          "the body is not JSON: " + v.error().message(),
          {{"body", v.error().expected + " at character " + std::to_string(v.error().offset)}}};
    if (!v->isObject()) throw ApiError{400, "the body must be a JSON object", {{"body", "{...}"}}};
    return *v;
  }

  Caller authenticate(HTTPServerRequest& req) {
    const std::string h = req.get("Authorization", "");
    if (h.rfind("Bearer ", 0) != 0)
      throw ApiError{401, "a bearer token is required (Authorization: Bearer <token>)", {}};
    auto t = store_.authenticate(h.substr(7), clock_.nowMs());
    if (!t) throw ApiError{401, "the token is not valid (unknown or revoked)", {}};
    return Caller{t->name, t->role};
  }

  static void requireAdmin(const Caller& c) {
    if (c.role != "admin")
      throw ApiError{403, "the " + c.role + " role may only read; this needs an admin token", {}};
  }

  void audit(const Caller& c, const std::string& action, const std::string& target,
             std::optional<std::string> before, std::optional<std::string> after) {
    store_.appendAudit(store::AuditRecord{0, clock_.nowMs(), c.name, c.role, action, target,
                                          std::move(before), std::move(after)});
  }

  static std::int64_t idParam(const std::string& s, const char* what) {
    std::int64_t v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9' || v > 1'000'000'000'000LL)
        throw ApiError{404, "no " + std::string(what) + " '" + s + "'", {}};
      v = v * 10 + (ch - '0');
    }
    if (s.empty()) throw ApiError{404, "no " + std::string(what) + " ''", {}};
    return v;
  }

  // ---- routes ----
  int route(HTTPServerRequest& req, HTTPServerResponse& resp) {
    Poco::URI uri;
    try {
      uri = Poco::URI(req.getURI());
    } catch (const Poco::Exception& e) {
      throw ApiError{400, "not a valid request URI: " + e.displayText(), {}};
    }
    const std::string path = uri.getPath();
    // Segments are split on the raw path and decoded once: a serial may hold '/' or '%'.
    const std::string rawPath = req.getURI().substr(0, req.getURI().find_first_of("?#"));
    const std::string& method = req.getMethod();
    if (path == "/healthz") return send(resp, 200, "ok\n", "text/plain");
    if (method == "GET" &&
        (path == "/" || path == "/index.html" || path.rfind("/console/", 0) == 0))
      return serveConsole(path, resp);
    std::vector<std::string> seg;
    {
      std::istringstream in(rawPath);
      for (std::string s; std::getline(in, s, '/');)
        if (!s.empty()) {
          std::string decoded;
          try {
            Poco::URI::decode(s, decoded);
          } catch (const Poco::Exception&) {
            throw ApiError{400, "a malformed percent-encoding in the path: " + s, {}};
          }
          seg.push_back(decoded);
        }
    }
    const bool isMetrics = seg.size() == 1 && seg[0] == "metrics";
    const bool isApi = seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1";
    if (!isMetrics && !isApi) throw ApiError{404, "no such path: " + path, {}};
    const Caller caller = authenticate(req);
    if (method != "GET" && method != "HEAD") requireAdmin(caller);
    if (isMetrics) return send(resp, 200, renderMetrics(), "text/plain; version=0.0.4");
    seg.erase(seg.begin(), seg.begin() + 2);
    const auto params = uri.getQueryParameters();
    auto param = [&](const char* name) -> std::optional<std::string> {
      for (const auto& [k, v] : params)
        if (k == name) return v;
      return std::nullopt;
    };
    const std::size_t n = seg.size();
    const std::string root = n ? seg[0] : "";
    auto methodNotAllowed = [&]() -> int {
      throw ApiError{405, method + " is not allowed on " + path, {}};
    };

    if (root == "me" && n == 1) {
      std::string out;
      JsonWriter w(out);
      w.beginObject();
      w.key("name");
      w.string(caller.name);
      w.key("role");
      w.string(caller.role);
      w.endObject();
      return send(resp, 200, out);
    }
    if (root == "filter-keys" && n == 1) {
      std::string out;
      JsonWriter w(out);
      w.beginObject();
      w.key("keys");
      w.beginArray();
      for (const char* k : codecs::filterKeys()) w.string(k);
      w.endArray();
      w.endObject();
      return send(resp, 200, out);
    }
    if (root == "methods" && n == 1) return send(resp, 200, adapters::renderMethodsJson());
    if (root == "destinations") {
      if (n == 1) {
        if (method == "GET") return listDestinations(resp);
        if (method == "POST") return createDestination(caller, readBody(req), resp);
        return methodNotAllowed();
      }
      const std::int64_t id = idParam(seg[1], "destination");
      if (n == 2) {
        if (method == "GET") return send(resp, 200, destinationJson(id));
        if (method == "PUT") return updateDestination(caller, id, readBody(req), resp);
        if (method == "DELETE") return deleteDestination(caller, id, resp);
        return methodNotAllowed();
      }
      if (n == 3 && (seg[2] == "enable" || seg[2] == "disable")) {
        if (method != "POST") return methodNotAllowed();
        return enableDestination(caller, id, seg[2] == "enable", resp);
      }
    }
    if (root == "locations") {
      if (n == 1) {
        if (method == "GET") return listLocations(resp);
        if (method == "POST") return createLocation(caller, readBody(req), resp);
        return methodNotAllowed();
      }
      const std::int64_t id = idParam(seg[1], "location");
      if (n == 2) {
        if (method == "GET") return send(resp, 200, locationJson(id));
        if (method == "PUT") return updateLocation(caller, id, readBody(req), resp);
        if (method == "DELETE") return deleteLocation(caller, id, resp);
        return methodNotAllowed();
      }
    }
    if (root == "devices") {
      if (n == 1) {
        if (method == "GET") return listDevices(resp);
        if (method == "POST") return createDevice(caller, readBody(req), std::nullopt, resp);
        return methodNotAllowed();
      }
      const std::string serial = seg[1];
      if (n == 2) {
        if (method == "GET") return send(resp, 200, deviceJson(serial));
        if (method == "PUT") return updateDevice(caller, serial, readBody(req), resp);
        if (method == "DELETE") return deleteDevice(caller, serial, resp);
        return methodNotAllowed();
      }
      if (n == 3 && seg[2] == "key") {
        if (method != "POST") return methodNotAllowed();
        return rotateKey(caller, serial, resp);
      }
    }
    if (root == "refused-idents") {
      if (n == 1 && method == "GET") return listRefused(resp);
      if (n == 3 && seg[2] == "register") {
        if (method != "POST") return methodNotAllowed();
        return createDevice(caller, readBody(req), seg[1], resp);
      }
    }
    if (root == "queues") {
      if (n == 1 && method == "GET") return listQueues(resp);
      if (n >= 2) {
        const std::int64_t id = idParam(seg[1], "queue");
        if (n == 2 && method == "GET") return send(resp, 200, queueJson(id));
        if (n == 3 && seg[2] == "entries" && method == "GET") return listEntries(id, param, resp);
        if (n == 4 && seg[2] == "entries" && method == "GET") {
          auto e = store_.entry(id, idParam(seg[3], "entry"));
          if (!e) throw ApiError{404, "no entry " + seg[3] + " in queue " + seg[1], {}};
          std::string out;
          JsonWriter w(out);
          writeEntry(w, *e);
          return send(resp, 200, out);
        }
        if (n == 3 && method == "POST") return queueAction(caller, id, seg[2], req, resp);
        if (n == 3) return methodNotAllowed();
      }
    }
    if (root == "audit" && n == 1 && method == "GET") return listAudit(param, resp);
    if (root == "tokens") {
      requireAdmin(caller);
      if (n == 1 && method == "GET") return listTokens(resp);
      if (n == 1 && method == "POST") return createToken(caller, readBody(req), resp);
      if (n == 2 && method == "DELETE") {
        const std::int64_t id = idParam(seg[1], "token");
        std::optional<std::string> before;
        for (const auto& t : store_.tokens())
          if (t.id == id) {
            std::string shown;
            JsonWriter tw(shown);
            writeToken(tw, t, "");
            before = shown;
          }
        if (!store_.revokeToken(id, clock_.nowMs())) throw ApiError{404, "no token " + seg[1], {}};
        audit(caller, "token.revoke", "token " + seg[1], before, std::nullopt);
        return send(resp, 204, "");
      }
    }
    throw ApiError{404, "no such path: " + path, {}};
  }

  int serveConsole(const std::string& path, HTTPServerResponse& resp) {
    const ConsoleAsset* a = findConsoleAsset(path == "/" ? "/index.html" : path);
    if (!a) throw ApiError{404, "no such file: " + path, {}};
    return send(resp, 200, std::string(a->content, a->size), a->contentType);
  }

  // ---- destinations ----
  std::string destinationJson(std::int64_t id) {
    auto d = store_.destination(id);
    if (!d || !destinationListed(id))
      throw ApiError{404, "no destination " + std::to_string(id), {}};
    return renderDestination(*d, store_.locationsOf(id));
  }

  bool destinationListed(std::int64_t id) {
    for (const auto& d : store_.destinations())
      if (d.id == id) return true;
    return false;
  }

  int listDestinations(HTTPServerResponse& resp) {
    std::string out = "{\"destinations\":[";
    bool first = true;
    for (const auto& d : store_.destinations()) {
      if (!first) out += ",";
      first = false;
      out += renderDestination(d, store_.locationsOf(d.id));
    }
    out += "]}";
    return send(resp, 200, out);
  }

  int createDestination(const Caller& c, const JsonValue& body, HTTPServerResponse& resp) {
    FieldErrors e;
    store::DestinationConfig d = parseDestination(body, e);
    if (!e.list.empty()) throw e.error();
    auto id = store_.createDestination(d, clock_.nowMs());
    if (!id) throw storeError(id.error());
    forwarder_.reload();
    const std::string after = destinationJson(*id);
    audit(c, "destination.create", "destination " + std::to_string(*id), std::nullopt, after);
    return send(resp, 201, after);
  }

  int updateDestination(const Caller& c, std::int64_t id, const JsonValue& body,
                        HTTPServerResponse& resp) {
    const std::string before = destinationJson(id);
    FieldErrors e;
    store::DestinationConfig d = parseDestination(body, e);
    if (!e.list.empty()) throw e.error();
    d.id = id;
    auto current = store_.destination(id);
    if (!current) throw ApiError{404, "no destination " + std::to_string(id), {}};
    d.paused = current->paused;  // pausing is a queue action, not a setting
    if (store::Status s = store_.updateDestination(d, clock_.nowMs()); !s)
      throw storeError(s.error());
    forwarder_.reload();
    forwarder_.wake(id);
    const std::string after = destinationJson(id);
    audit(c, "destination.update", "destination " + std::to_string(id), before, after);
    return send(resp, 200, after);
  }

  int deleteDestination(const Caller& c, std::int64_t id, HTTPServerResponse& resp) {
    const std::string before = destinationJson(id);
    if (store::Status s = store_.removeDestination(id, clock_.nowMs()); !s)
      throw ApiError{404, "no destination " + std::to_string(id), {}};
    forwarder_.reload();
    audit(c, "destination.delete", "destination " + std::to_string(id), before, std::nullopt);
    return send(resp, 204, "");
  }

  int enableDestination(const Caller& c, std::int64_t id, bool enable, HTTPServerResponse& resp) {
    const std::string before = destinationJson(id);
    auto d = store_.destination(id);
    if (!d) throw ApiError{404, "no destination " + std::to_string(id), {}};
    d->enabled = enable;
    if (store::Status s = store_.updateDestination(*d, clock_.nowMs()); !s)
      throw storeError(s.error());
    forwarder_.reload();
    const std::string after = destinationJson(id);
    audit(c, enable ? "destination.enable" : "destination.disable",
          "destination " + std::to_string(id), before, after);
    return send(resp, 200, after);
  }

  // A store refusal of a valid-looking request: a taken name is a conflict, the rest invalid.
  static ApiError storeError(const store::Error& e) {
    if (e.category == store::ErrorCategory::Conflict)
      return ApiError{409, e.field + ": " + e.message, {{e.field, e.message}}};
    if (e.category == store::ErrorCategory::NotFound && e.field == "id")
      return ApiError{404, e.message, {}};
    return ApiError{400, "the request has 1 invalid field", {{e.field, e.message}}};
  }

  // ---- locations ----
  std::string locationJson(std::int64_t id) {
    auto l = store_.location(id);
    if (!l) throw ApiError{404, "no location " + std::to_string(id), {}};
    return renderLocation(*l, store_.deviceCount(id));
  }

  int listLocations(HTTPServerResponse& resp) {
    std::string out = "{\"locations\":[";
    bool first = true;
    for (const auto& l : store_.locations()) {
      if (!first) out += ",";
      first = false;
      out += renderLocation(l, store_.deviceCount(l.id));
    }
    out += "]}";
    return send(resp, 200, out);
  }

  void checkDestinations(const store::LocationConfig& l, FieldErrors& e) {
    for (auto id : l.destinationIds)
      if (!destinationListed(id)) {
        e.add("destinationIds", "ids of existing destinations; " + std::to_string(id) + " is not");
        return;
      }
  }

  int createLocation(const Caller& c, const JsonValue& body, HTTPServerResponse& resp) {
    FieldErrors e;
    auto l = parseLocation(store_, body, e);
    checkDestinations(l, e);
    if (!e.list.empty()) throw e.error();
    auto id = store_.createLocation(l);
    if (!id) throw storeError(id.error());
    const std::string after = locationJson(*id);
    audit(c, "location.create", "location " + std::to_string(*id), std::nullopt, after);
    return send(resp, 201, after);
  }

  int updateLocation(const Caller& c, std::int64_t id, const JsonValue& body,
                     HTTPServerResponse& resp) {
    const std::string before = locationJson(id);
    FieldErrors e;
    auto l = parseLocation(store_, body, e);
    checkDestinations(l, e);
    if (!e.list.empty()) throw e.error();
    l.id = id;
    if (store::Status s = store_.updateLocation(l); !s) throw storeError(s.error());
    const std::string after = locationJson(id);
    audit(c, "location.update", "location " + std::to_string(id), before, after);
    return send(resp, 200, after);
  }

  int deleteLocation(const Caller& c, std::int64_t id, HTTPServerResponse& resp) {
    const std::string before = locationJson(id);
    if (store::Status s = store_.removeLocation(id); !s)
      throw ApiError{404, "no location " + std::to_string(id), {}};
    audit(c, "location.delete", "location " + std::to_string(id), before, std::nullopt);
    return send(resp, 204, "");
  }

  // ---- devices ----
  std::string deviceJson(const std::string& serial) {
    auto d = store_.device(serial);
    if (!d) throw ApiError{404, "no device '" + serial + "'", {}};
    return renderDevice(*d);
  }

  int listDevices(HTTPServerResponse& resp) {
    std::string out = "{\"devices\":[";
    bool first = true;
    for (const auto& d : store_.devices()) {
      if (!first) out += ",";
      first = false;
      out += renderDevice(d);
    }
    out += "]}";
    return send(resp, 200, out);
  }

  static std::string newKeyHex() {
    unsigned char k[32];
    if (RAND_bytes(k, sizeof k) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    return codecs::toHex(codecs::ByteView(k, sizeof k));
  }

  // The fields of a DeviceInput onto `d`; `keyHex` receives a key given in the body.
  void parseDevice(const JsonValue& body, bool withSerial, store::DeviceConfig& d,
                   std::optional<std::string>& keyHex, FieldErrors& e) {
    checkKnown(body, {"serial", "locationId", "registration", "key", "hasKey", "lastSequence"}, e);
    if (withSerial) {
      if (auto v = stringField(body, "serial", e, true)) d.serial = *v;
    }
    if (const JsonValue* l = member(body, "locationId")) {
      if (l->isNull()) {
        d.locationId.reset();
      } else if (auto n = l->asExactInteger(); l->isNumber() && n && store_.location(*n)) {
        d.locationId = *n;
      } else {
        e.add("locationId", "the id of an existing location, or null");
      }
    }
    if (auto v = stringField(body, "registration", e, false)) {
      if (v->size() > 13) e.add("registration", "at most 13 characters");
      d.registration = *v;
    }
    if (auto v = stringField(body, "key", e, false)) {
      auto k = uplink::parseDeviceKey(*v);
      if (!k) {
        e.add("key", k.error().expected);
      } else {
        d.key = std::move(*k);
        keyHex = *v;
      }
    }
    if (withSerial && !e.has("serial")) {
      if (d.serial.empty() || d.serial.size() > 8) {
        e.add("serial", "a serial number of 1 to 8 characters");
      } else {
        for (unsigned char ch : d.serial)
          if (ch < 0x21 || ch > 0x7E) {
            e.add("serial", "printable ASCII characters without spaces");
            break;
          }
      }
    }
  }

  // POST /devices (refusedSerial empty) or POST /refused-idents/{serial}/register.
  int createDevice(const Caller& c, const JsonValue& body,
                   const std::optional<std::string>& refusedSerial, HTTPServerResponse& resp) {
    FieldErrors e;
    store::DeviceConfig d;
    std::optional<std::string> keyHex;
    if (refusedSerial) {
      bool known = false;
      for (const auto& r : store_.refusedIdents()) known = known || r.serial == *refusedSerial;
      if (!known) throw ApiError{404, "no refused ident '" + *refusedSerial + "'", {}};
      d.serial = *refusedSerial;
    }
    parseDevice(body, !refusedSerial, d, keyHex, e);
    if (refusedSerial && member(body, "serial")) e.add("serial", "given in the path");
    if (!e.list.empty()) throw e.error();
    if (store_.device(d.serial))
      throw ApiError{409, "device '" + d.serial + "' is already registered", {}};
    std::string generated;
    if (!d.key && refusedSerial) {
      generated = newKeyHex();
      d.key = *uplink::parseDeviceKey(generated);
    }
    if (store::Status s = store_.upsertDevice(d); !s) throw storeError(s.error());
    if (refusedSerial) store_.removeRefusedIdent(*refusedSerial);
    const std::string after = deviceJson(d.serial);
    audit(c, refusedSerial ? "device.register-refused" : "device.create", "device " + d.serial,
          std::nullopt, after);
    auto created = store_.device(d.serial);
    if (!created) throw ApiError{409, "device '" + d.serial + "' was removed meanwhile", {}};
    return send(resp, 201, renderDevice(*created, generated));
  }

  int updateDevice(const Caller& c, const std::string& serial, const JsonValue& body,
                   HTTPServerResponse& resp) {
    const std::string before = deviceJson(serial);
    auto current = store_.device(serial);
    if (!current) throw ApiError{404, "no device '" + serial + "'", {}};
    store::DeviceConfig d{serial, current->locationId, current->registration, std::nullopt};
    FieldErrors e;
    std::optional<std::string> keyHex;
    parseDevice(body, false, d, keyHex, e);
    if (auto s = member(body, "serial"); s && (!s->isString() || s->asString() != serial))
      e.add("serial", "the serial of the path (a device cannot be renamed)");
    if (!e.list.empty()) throw e.error();
    if (store::Status s = store_.upsertDevice(d); !s) throw storeError(s.error());
    const std::string after = deviceJson(serial);
    audit(c, keyHex ? "device.update-and-set-key" : "device.update", "device " + serial, before,
          after);
    return send(resp, 200, after);
  }

  int deleteDevice(const Caller& c, const std::string& serial, HTTPServerResponse& resp) {
    const std::string before = deviceJson(serial);
    if (store::Status s = store_.removeDevice(serial); !s)
      throw ApiError{404, "no device '" + serial + "'", {}};
    audit(c, "device.delete", "device " + serial, before, std::nullopt);
    return send(resp, 204, "");
  }

  int rotateKey(const Caller& c, const std::string& serial, HTTPServerResponse& resp) {
    auto current = store_.device(serial);
    if (!current) throw ApiError{404, "no device '" + serial + "'", {}};
    const std::string key = newKeyHex();
    store::DeviceConfig d{serial, current->locationId, current->registration,
                          *uplink::parseDeviceKey(key)};
    if (store::Status s = store_.upsertDevice(d); !s) throw storeError(s.error());
    audit(c, "device.rotate-key", "device " + serial, renderDevice(*current), deviceJson(serial));
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("serial");
    w.string(serial);
    w.key("key");
    w.string(key);
    w.endObject();
    return send(resp, 200, out);
  }

  int listRefused(HTTPServerResponse& resp) {
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("refusedIdents");
    w.beginArray();
    for (const auto& r : store_.refusedIdents()) {
      w.beginObject();
      w.key("serial");
      w.string(r.serial);
      w.key("address");
      w.string(r.address);
      w.key("reason");
      w.string(r.reason);
      w.key("firstAt");
      w.string(formatTimeMs(r.firstAtMs));
      w.key("lastAt");
      w.string(formatTimeMs(r.atMs));
      w.key("attempts");
      w.integer(r.attempts);
      w.endObject();
    }
    w.endArray();
    w.endObject();
    return send(resp, 200, out);
  }

  // ---- queues ----
  void writeQueue(JsonWriter& w, const store::QueueOverview& q) {
    const auto st = forwarder_.status(q.destinationId);
    const std::int64_t now = clock_.nowMs();
    w.beginObject();
    w.key("destinationId");
    w.integer(q.destinationId);
    w.key("name");
    w.string(q.name);
    w.key("method");
    w.string(q.method);
    w.key("enabled");
    w.boolean(q.enabled);
    w.key("state");
    // The worker's view when it runs; the configuration's when it does not.
    const char* state = !q.enabled ? "disabled"
                        : q.paused ? "paused"
                                   : forwarderStateName(st.state);
    // Just resumed: the woken worker has not said what it does yet; the store knows.
    if (q.enabled && !q.paused && std::string(state) == "paused")
      state = q.state.nextAttemptAtMs > now ? "backing-off"
              : q.counters.depth > 0        ? "delivering"
                                            : "idle";
    w.string(state);
    w.key("nextRetryAt");
    const std::int64_t next = std::max(q.state.nextAttemptAtMs, st.nextAttemptAtMs);
    if (std::string(state) == "backing-off" && next > 0) {
      w.string(formatTimeMs(next));
    } else {
      w.null();
    }
    w.key("depth");
    w.integer(q.counters.depth);
    writeOptionalTime(w, "oldestPendingAt", q.counters.oldestPendingReceivedAtMs);
    w.key("oldestPendingAgeSeconds");
    if (q.counters.oldestPendingReceivedAtMs) {
      w.number(std::max<double>(0, (now - *q.counters.oldestPendingReceivedAtMs) / 1000.0));
    } else {
      w.null();
    }
    w.key("consecutiveFailures");
    w.integer(q.state.consecutiveFailures);
    w.key("lastError");
    w.string(q.state.lastError);
    writeOptionalTime(w, "lastErrorAt", q.lastErrorAtMs);
    w.key("counters");
    w.beginObject();
    w.key("queued");
    w.integer(q.counters.queued);
    w.key("delivered");
    w.integer(q.counters.delivered);
    w.key("failedAttempts");
    w.integer(q.counters.failedAttempts);
    w.key("deadLetters");
    w.integer(q.counters.deadLetters);
    w.key("filtered");
    w.integer(q.counters.filtered);
    w.endObject();
    w.key("blocking");
    std::optional<store::QueueEntry> blocking;
    if (q.blockingEntryId) blocking = store_.entry(q.destinationId, *q.blockingEntryId);
    if (blocking) {
      writeEntry(w, *blocking);
    } else {
      w.null();
    }
    w.endObject();
  }

  std::string queueJson(std::int64_t id) {
    auto q = store_.queue(id);
    if (!q) throw ApiError{404, "no queue " + std::to_string(id), {}};
    std::string out;
    JsonWriter w(out);
    writeQueue(w, *q);
    return out;
  }

  int listQueues(HTTPServerResponse& resp) {
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("queues");
    w.beginArray();
    for (const auto& q : store_.queueOverview()) writeQueue(w, q);
    w.endArray();
    w.endObject();
    return send(resp, 200, out);
  }

  template <class Param>
  int listEntries(std::int64_t id, Param& param, HTTPServerResponse& resp) {
    if (!store_.queue(id)) throw ApiError{404, "no queue " + std::to_string(id), {}};
    store::EntryFilter f;
    FieldErrors e;
    if (auto s = param("state")) {
      if (*s == "pending") {
        f.state = store::DeliveryState::Pending;
      } else if (*s == "delivered") {
        f.state = store::DeliveryState::Delivered;
      } else if (*s == "dead") {
        f.state = store::DeliveryState::Dead;
      } else {
        e.add("state", "pending, delivered or dead, not '" + *s + "'");
      }
    }
    if (auto t = param("type")) {
      std::optional<std::int64_t> v;
      if (t->size() > 2 && t->size() <= 4 && (t->rfind("0x", 0) == 0 || t->rfind("0X", 0) == 0)) {
        codecs::Bytes b;
        const std::string digits = (t->size() == 3 ? "0" : "") + t->substr(2);
        if (codecs::fromHex(digits, b) && b.size() == 1) v = b[0];
      } else {
        v = wholeNumber(*t, 0, 255);
      }
      if (v) {
        f.type = static_cast<int>(*v);
      } else {
        e.add("type", "a packet type from 0 to 255 (decimal or 0x hex), not '" + *t + "'");
      }
    }
    if (auto d = param("device")) f.serial = *d;
    for (const char* k : {"from", "to"})
      if (auto v = param(k)) {
        auto ms = parseTimeMs(*v);
        if (!ms) {
          e.add(k, "an ISO-8601 UTC time such as 2026-11-22T10:15:00Z, not '" + *v + "'");
        } else {
          (std::string(k) == "from" ? f.fromMs : f.toMs) = *ms;
        }
      }
    if (auto a = param("after")) {
      if (auto v = wholeNumber(*a, 0, std::numeric_limits<std::int64_t>::max())) {
        f.afterId = *v;
      } else {
        e.add("after", "the `next` of a previous page, not '" + *a + "'");
      }
    }
    if (auto l = param("limit")) {
      if (auto v = wholeNumber(*l, 1, 500)) {
        f.limit = static_cast<int>(*v);
      } else {
        e.add("limit", "from 1 to 500, not '" + *l + "'");
      }
    }
    if (!e.list.empty()) throw e.error();
    // One more than asked: a full page is the last one when nothing follows it.
    const int limit = f.limit;
    f.limit = limit + 1;
    auto page = store_.entries(id, f);
    const bool more = static_cast<int>(page.size()) > limit;
    if (more) page.pop_back();
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("entries");
    w.beginArray();
    for (const auto& x : page) writeEntry(w, x);
    w.endArray();
    w.key("next");
    if (more) {
      w.integer(page.back().id);
    } else {
      w.null();
    }
    w.endObject();
    return send(resp, 200, out);
  }

  int queueAction(const Caller& c, std::int64_t id, const std::string& action,
                  HTTPServerRequest& req, HTTPServerResponse& resp) {
    if (!store_.queue(id)) throw ApiError{404, "no queue " + std::to_string(id), {}};
    const std::string target = "queue " + std::to_string(id);
    const std::string before = queueJson(id);
    const std::int64_t now = clock_.nowMs();
    std::string result;
    if (action == "retry") {
      store_.retryNow(id);
      forwarder_.wake(id);
    } else if (action == "pause" || action == "resume") {
      store_.setPaused(id, action == "pause");
      forwarder_.wake(id);
    } else if (action == "skip") {
      const JsonValue body = readBody(req);
      FieldErrors e;
      auto reason = stringField(body, "reason", e, true);
      if (reason && reason->find_first_not_of(" \t\r\n") == std::string::npos)
        e.add("reason", "a reason (why the entry is skipped)");
      if (!e.list.empty()) throw e.error();
      auto q = store_.queue(id);
      if (!q || !q->blockingEntryId) throw ApiError{409, "the queue is empty: nothing to skip", {}};
      if (!store_.skipBlocking(id, *reason, now, q->blockingEntryId))
        throw ApiError{409,
                       "entry " + std::to_string(*q->blockingEntryId) +
                           " is no longer the blocking one (delivered meanwhile); look again",
                       {}};
      forwarder_.wake(id);
      result = "{\"skipped\":" + std::to_string(*q->blockingEntryId) + "}";
      audit(c, "queue.skip", target, before,
            "{\"skipped\":" + std::to_string(*q->blockingEntryId) +
                ",\"reason\":" + jsonString(*reason) + "}");
      return send(resp, 200, result);
    } else if (action == "requeue-dead") {
      const int n = store_.requeueDead(id);
      forwarder_.wake(id);
      result = "{\"requeued\":" + std::to_string(n) + "}";
      audit(c, "queue.requeue-dead", target, before, result);
      return send(resp, 200, result);
    } else if (action == "replay") {
      const JsonValue body = readBody(req);
      FieldErrors e;
      auto from = stringField(body, "from", e, true);
      std::optional<std::int64_t> fromMs;
      if (from) {
        fromMs = parseTimeMs(*from);
        if (!fromMs) e.add("from", "an ISO-8601 UTC time such as 2026-11-22T10:15:00Z");
      }
      if (!e.list.empty()) throw e.error();
      const int n = store_.replayFrom(id, *fromMs);
      forwarder_.wake(id);
      result = "{\"replayed\":" + std::to_string(n) + "}";
      audit(c, "queue.replay", target, before,
            "{\"from\":" + jsonString(*from) + ",\"replayed\":" + std::to_string(n) + "}");
      return send(resp, 200, result);
    } else {
      throw ApiError{404, "no queue action '" + action + "'", {}};
    }
    const std::string after = queueJson(id);
    audit(c, "queue." + action, target, before, after);
    return send(resp, 200, after);
  }

  // ---- audit and tokens ----
  template <class Param>
  int listAudit(Param& param, HTTPServerResponse& resp) {
    std::int64_t before = std::numeric_limits<std::int64_t>::max();
    int limit = 100;
    FieldErrors e;
    if (auto b = param("before")) {
      if (auto v = wholeNumber(*b, 0, std::numeric_limits<std::int64_t>::max())) {
        before = *v;
      } else {
        e.add("before", "the `next` of a previous page, not '" + *b + "'");
      }
    }
    if (auto l = param("limit")) {
      if (auto v = wholeNumber(*l, 1, 500)) {
        limit = static_cast<int>(*v);
      } else {
        e.add("limit", "from 1 to 500, not '" + *l + "'");
      }
    }
    if (!e.list.empty()) throw e.error();
    auto page = store_.audit(before, limit + 1);
    const bool more = static_cast<int>(page.size()) > limit;
    if (more) page.pop_back();
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("entries");
    w.beginArray();
    for (const auto& a : page) {
      w.beginObject();
      w.key("id");
      w.integer(a.id);
      w.key("at");
      w.string(formatTimeMs(a.atMs));
      w.key("actor");
      w.string(a.actor);
      w.key("role");
      w.string(a.role);
      w.key("action");
      w.string(a.action);
      w.key("target");
      w.string(a.target);
      for (const auto& [k, v] : {std::pair{"before", &a.before}, std::pair{"after", &a.after}}) {
        w.key(k);
        if (*v && codecs::parseJson(**v)) {
          w.raw(**v);
        } else if (*v) {
          w.string(**v);
        } else {
          w.null();
        }
      }
      w.endObject();
    }
    w.endArray();
    w.key("next");
    if (more) {
      w.integer(page.back().id);
    } else {
      w.null();
    }
    w.endObject();
    return send(resp, 200, out);
  }

  static void writeToken(JsonWriter& w, const store::TokenRecord& t, const std::string& secret) {
    w.beginObject();
    w.key("id");
    w.integer(t.id);
    w.key("name");
    w.string(t.name);
    w.key("role");
    w.string(t.role);
    w.key("createdAt");
    w.string(formatTimeMs(t.createdAtMs));
    writeOptionalTime(w, "lastUsedAt", t.lastUsedAtMs);
    if (!secret.empty()) {
      w.key("token");
      w.string(secret);
    }
    w.endObject();
  }

  int listTokens(HTTPServerResponse& resp) {
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("tokens");
    w.beginArray();
    for (const auto& t : store_.tokens()) writeToken(w, t, "");
    w.endArray();
    w.endObject();
    return send(resp, 200, out);
  }

  int createToken(const Caller& c, const JsonValue& body, HTTPServerResponse& resp) {
    FieldErrors e;
    checkKnown(body, {"name", "role"}, e);
    auto name = stringField(body, "name", e, true);
    auto role = stringField(body, "role", e, true);
    if (name && name->empty()) e.add("name", "a name of at least one character");
    if (role && *role != "admin" && *role != "auditor") e.add("role", "admin or auditor");
    if (!e.list.empty()) throw e.error();
    auto [t, secret] = store_.createToken(*name, *role, clock_.nowMs());
    std::string shown;
    JsonWriter sw(shown);
    writeToken(sw, t, "");
    audit(c, "token.create", "token " + std::to_string(t.id), std::nullopt, shown);
    std::string out;
    JsonWriter w(out);
    writeToken(w, t, secret);
    return send(resp, 201, out);
  }

  // ---- metrics ----
  std::string renderMetrics() {
    std::ostringstream m;
    const auto queues = store_.queueOverview();
    const std::int64_t now = clock_.nowMs();
    auto label = [](const std::string& v) {
      std::string out;
      for (char ch : v) {
        if (ch == '\\' || ch == '"') out += '\\';
        if (ch == '\n') {
          out += "\\n";
          continue;
        }
        out += ch;
      }
      return out;
    };
    auto family = [&](const char* name, const char* type, const char* help) {
      m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    };
    family("dcgw_queue_depth", "gauge", "Pending entries of the destination's queue.");
    for (const auto& q : queues)
      m << "dcgw_queue_depth{destination=\"" << label(q.name) << "\"} " << q.counters.depth << '\n';
    family("dcgw_queue_oldest_pending_age_seconds", "gauge",
           "Age of the oldest pending entry (0 when the queue is empty).");
    for (const auto& q : queues)
      m << "dcgw_queue_oldest_pending_age_seconds{destination=\"" << label(q.name) << "\"} "
        << (q.counters.oldestPendingReceivedAtMs
                ? std::max<double>(0, (now - *q.counters.oldestPendingReceivedAtMs) / 1000.0)
                : 0.0)
        << '\n';
    struct Counter {
      const char* name;
      const char* help;
      std::int64_t store::DestinationCounters::*field;
    };
    for (const Counter& c :
         {Counter{"dcgw_queued_total", "Entries queued.", &store::DestinationCounters::queued},
          Counter{"dcgw_delivered_total", "Entries delivered.",
                  &store::DestinationCounters::delivered},
          Counter{"dcgw_failed_attempts_total", "Failed delivery attempts.",
                  &store::DestinationCounters::failedAttempts},
          Counter{"dcgw_dead_letters_total", "Entries dead-lettered.",
                  &store::DestinationCounters::deadLetters},
          Counter{"dcgw_filtered_total", "Packets the filter left out.",
                  &store::DestinationCounters::filtered}}) {
      family(c.name, "counter", c.help);
      for (const auto& q : queues)
        m << c.name << "{destination=\"" << label(q.name) << "\"} " << q.counters.*c.field << '\n';
    }
    family("dcgw_consecutive_failures", "gauge", "Consecutive failed attempts (backoff).");
    for (const auto& q : queues)
      m << "dcgw_consecutive_failures{destination=\"" << label(q.name) << "\"} "
        << q.state.consecutiveFailures << '\n';
    family("dcgw_destination_state", "gauge", "1 for the destination's current state.");
    for (const auto& q : queues) {
      const auto st = forwarder_.status(q.destinationId);
      const std::string current = !q.enabled ? "disabled"
                                  : q.paused ? "paused"
                                             : forwarderStateName(st.state);
      for (const char* s : {"delivering", "idle", "backing-off", "paused", "disabled"})
        m << "dcgw_destination_state{destination=\"" << label(q.name) << "\",state=\"" << s
          << "\"} " << (current == s ? 1 : 0) << '\n';
    }
    if (const auto* u = metrics_.uplink) {
      family("dcgw_uplink_connections", "gauge", "Open tracker connections.");
      m << "dcgw_uplink_connections " << u->connections.load() << '\n';
      family("dcgw_uplink_logged_in", "gauge", "Logged-in tracker connections.");
      m << "dcgw_uplink_logged_in " << u->loggedIn.load() << '\n';
      for (const auto& [name, help, v] :
           {std::tuple{"dcgw_uplink_packets_total", "PACKET frames received.", &u->packets},
            std::tuple{"dcgw_uplink_stored_total", "Packets acknowledged after commit.",
                       &u->stored},
            std::tuple{"dcgw_uplink_rejected_total", "Packets the codecs rejected.", &u->rejected},
            std::tuple{"dcgw_uplink_duplicates_total", "Resent packets acknowledged again.",
                       &u->duplicates},
            std::tuple{"dcgw_uplink_refused_logins_total", "Refused logins.", &u->refusedLogins},
            std::tuple{"dcgw_uplink_accepted_total", "Connections accepted.", &u->accepted}}) {
        family(name, "counter", help);
        m << name << ' ' << v->load() << '\n';
      }
    }
    if (const auto* in = metrics_.ingestor) {
      family("dcgw_ingest_commits_total", "counter", "Ingest transactions committed.");
      m << "dcgw_ingest_commits_total " << in->commits() << '\n';
      family("dcgw_ingest_packets_total", "counter", "Packets committed by ingest.");
      m << "dcgw_ingest_packets_total " << in->stored() << '\n';
      const auto& l = in->commitLatency();
      family("dcgw_store_commit_seconds", "histogram", "Ingest commit latency.");
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < l.buckets.size(); ++i) {
        cumulative += l.buckets[i].load();
        m << "dcgw_store_commit_seconds_bucket{le=\"";
        if (i < ingest::Ingestor::CommitLatency::kBoundsSeconds.size()) {
          m << ingest::Ingestor::CommitLatency::kBoundsSeconds[i];
        } else {
          m << "+Inf";
        }
        m << "\"} " << cumulative << '\n';
      }
      m << "dcgw_store_commit_seconds_sum " << static_cast<double>(l.sumMicros.load()) / 1e6
        << '\n';
      m << "dcgw_store_commit_seconds_count " << l.count.load() << '\n';
    }
    return m.str();
  }

  store::Backend& store_;
  forward::Forwarder& forwarder_;
  common::Clock& clock_;

 public:
  AdminOptions o_;
  MetricSources metrics_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_{0};
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ApiServer::Impl& impl,
                   void (*call)(ApiServer::Impl&, HTTPServerRequest&, HTTPServerResponse&))
      : impl_(impl), call_(call) {}
  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    call_(impl_, req, resp);
  }

 private:
  ApiServer::Impl& impl_;
  void (*call_)(ApiServer::Impl&, HTTPServerRequest&, HTTPServerResponse&);
};

}  // namespace

void callHandle(ApiServer::Impl& impl, HTTPServerRequest& req, HTTPServerResponse& resp);

namespace {
class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ApiServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(impl_, &callHandle);
  }

 private:
  ApiServer::Impl& impl_;
};
}  // namespace

void callHandle(ApiServer::Impl& impl, HTTPServerRequest& req, HTTPServerResponse& resp) {
  impl.handle(req, resp);
}

ApiServer::ApiServer(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
                     AdminOptions options, MetricSources metrics)
    : impl_(std::make_unique<Impl>(store, forwarder, clock, std::move(options), metrics)) {}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::start() {
  auto& o = impl_->o_;
  Poco::Net::ServerSocket socket;
  try {
    const Poco::Net::SocketAddress address(o.bind, o.port);
    if (!o.tlsCertificateFile.empty() || !o.tlsPrivateKeyFile.empty()) {
      const auto ctx =
          common::makeServerTlsContext("admin API", o.tlsCertificateFile, o.tlsPrivateKeyFile);
      socket = Poco::Net::SecureServerSocket(address, 64, ctx);
    } else {
      socket = Poco::Net::ServerSocket(address, 64);
    }
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("admin API: cannot listen on " + o.bind + ":" +
                             std::to_string(o.port) + ": " + e.displayText());
  }
  impl_->port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(o.threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  impl_->server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), socket, params);
  impl_->server_->start();
}

std::uint16_t ApiServer::port() const {
  return impl_->port_;
}

void ApiServer::stop() {
  if (impl_ && impl_->server_) {
    impl_->server_->stopAll(true);
    impl_->server_.reset();
  }
}

}  // namespace dcgw::admin
