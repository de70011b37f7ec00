// The `teltonika` section of etc/dcgw.json (schema/config.md): whether the Teltonika listener
// runs, where, and its limits, each setting checked on its own with an error that names it.
#include "gateway/config/config_file.hpp"
#include "gateway/config/config_schema.hpp"

namespace dcgw::config {

codecs::Result<uplink::TeltonikaOptions> teltonikaOptions(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  uplink::TeltonikaOptions o;
  const codecs::JsonValue* t = doc->find("teltonika");
  if (!t || t->isNull()) return o;
  if (!t->isObject()) return codecs::makeError("teltonika", 0, "an object");
  auto flag = [&](const char* key, bool& out) -> codecs::Status {
    const codecs::JsonValue* v = t->find(key);
    if (!v) return codecs::Ok{};
    if (v->kind() != codecs::JsonValue::Kind::Bool)
      return codecs::makeError(std::string("teltonika.") + key, 0, "true or false");
    out = v->asBool();
    return codecs::Ok{};
  };
  auto number = [&](const char* key, long long lo, long long hi, long long& out) -> codecs::Status {
    const codecs::JsonValue* v = t->find(key);
    if (!v) return codecs::Ok{};
    auto n = v->asExactInteger();
    if (!v->isNumber() || !n || *n < lo || *n > hi)
      return codecs::makeError(
          std::string("teltonika.") + key, 0,
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = *n;
    return codecs::Ok{};
  };
  long long port = o.port, maxConnections = static_cast<long long>(o.maxConnections),
            maxFrame = static_cast<long long>(o.maxFrameBytes), idle = o.idleTimeout.count() / 1000,
            login = o.loginTimeout.count() / 1000;
  for (auto s :
       {flag("enabled", o.enabled), flag("udp", o.udp), number("port", 0, 65535, port),
        number("maxConnections", 1, 1000000, maxConnections),
        number("maxFrameBytes", 64, 65536, maxFrame), number("idleTimeoutSeconds", 1, 86400, idle),
        number("loginTimeoutSeconds", 1, 600, login)})
    if (!s) return s.error();
  o.port = static_cast<std::uint16_t>(port);
  o.maxConnections = static_cast<std::size_t>(maxConnections);
  o.maxFrameBytes = static_cast<std::size_t>(maxFrame);
  o.idleTimeout = std::chrono::seconds(idle);
  o.loginTimeout = std::chrono::seconds(login);
  if (const codecs::JsonValue* b = t->find("bind")) {
    if (!b->isString() || b->asString().empty())
      return codecs::makeError("teltonika.bind", 0, "an IP address");
    o.bind = b->asString();
  }
  if (const codecs::JsonValue* tls = t->find("tls")) {
    if (!tls->isObject())
      return codecs::makeError("teltonika.tls", 0,
                               "an object with certificateFile and privateKeyFile");
    auto file = [&](const char* key, std::string& out) -> codecs::Status {
      const codecs::JsonValue* v = tls->find(key);
      if (!v || !v->isString() || v->asString().empty())
        return codecs::makeError(std::string("teltonika.tls.") + key, 0, "a file path");
      out = v->asString();
      return codecs::Ok{};
    };
    for (auto s : {file("certificateFile", o.tlsCertificateFile),
                   file("privateKeyFile", o.tlsPrivateKeyFile)})
      if (!s) return s.error();
  }
  return o;
}

}  // namespace dcgw::config
