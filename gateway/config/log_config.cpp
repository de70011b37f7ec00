// The `log` section of etc/dcgw.json (schema/config.md): how `dcgw serve` logs, each setting
// checked on its own with an error that names it; the serve flags override them.
#include "gateway/config/config_file.hpp"
#include "gateway/config/config_schema.hpp"

namespace dcgw::config {

codecs::Result<LogOptions> logOptions(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  LogOptions o;
  const codecs::JsonValue* l = doc->find("log");
  if (!l || l->isNull()) return o;
  if (!l->isObject()) return codecs::makeError("log", 0, "an object");
  auto oneOf = [&](const char* key, std::initializer_list<const char*> names,
                   std::string& out) -> codecs::Status {
    const codecs::JsonValue* v = l->find(key);
    if (!v) return codecs::Ok{};
    std::string allowed;
    for (const char* n : names) {
      if (v->isString() && v->asString() == n) {
        out = n;
        return codecs::Ok{};
      }
      allowed += (allowed.empty() ? "\"" : ", \"") + std::string(n) + "\"";
    }
    return codecs::makeError(std::string("log.") + key, 0, "one of " + allowed);
  };
  auto number = [&](const char* key, long long lo, long long hi, std::int64_t& out) {
    const codecs::JsonValue* v = l->find(key);
    if (!v) return codecs::Status{codecs::Ok{}};
    auto n = v->asExactInteger();
    if (!v->isNumber() || !n || *n < lo || *n > hi)
      return codecs::Status{
          codecs::makeError(std::string("log.") + key, 0,
                            "an integer from " + std::to_string(lo) + " to " + std::to_string(hi))};
    out = *n;
    return codecs::Status{codecs::Ok{}};
  };
  for (auto s :
       {oneOf("level", {"trace", "debug", "info", "warn", "error", "critical", "off"}, o.level),
        oneOf("format", {"text", "json"}, o.format),
        number("maxBytes", kMinLogBytes, kMaxLogBytes, o.maxBytes),
        number("maxFiles", 1, kMaxLogFiles, o.maxFiles)})
    if (!s) return s.error();
  if (const codecs::JsonValue* f = l->find("file")) {
    if (!f->isNull()) {
      if (!f->isString() || f->asString().empty())
        return codecs::makeError("log.file", 0, "a file path, or null for stderr");
      o.file = f->asString();
    }
  }
  return o;
}

}  // namespace dcgw::config
