// etc/dcgw.json's members, object by object (schema/config.md). The destination's settings
// come from the methods table (adapters/methods.cpp), so a new setting needs no change here.
#include "gateway/config/config_schema.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/methods.hpp"

namespace dcgw::config {
namespace {

using codecs::JsonValue;

std::string listOf(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// `value` at `where` is an object with no member outside `allowed` and none twice.
codecs::Status members(const JsonValue& value, const std::string& where, const char* what,
                       const std::vector<std::string>& allowed) {
  if (!value.isObject())
    return codecs::makeError(where, 0, std::string("an object (") + what + ")");
  std::set<std::string> seen;
  for (const auto& [name, v] : value.asObject()) {
    const std::string path = where.empty() ? name : where + "." + name;
    bool known = false;
    for (const auto& a : allowed) known = known || a == name;
    if (!known)
      return codecs::makeError(
          path, 0, std::string("unknown member (") + what + " takes " + listOf(allowed) + ")");
    if (!seen.insert(name).second)
      return codecs::makeError(path, 0, "a member given once, not twice in the same object");
  }
  return codecs::Ok{};
}

const std::vector<std::string> kTls{"certificateFile", "privateKeyFile"};

// doc's `key` (if present) is an object of these members, with an optional "tls" of kTls.
codecs::Status section(const JsonValue& doc, const char* key, const char* what,
                       const std::vector<std::string>& allowed) {
  const JsonValue* v = doc.find(key);
  if (!v) return codecs::Ok{};
  if (codecs::Status s = members(*v, key, what, allowed); !s) return s;
  if (const JsonValue* tls = v->find("tls"))
    return members(*tls, std::string(key) + ".tls", "tls", kTls);
  return codecs::Ok{};
}

// Every entry of the array `key` is an object of `allowed`, and no two have the same `id`
// member (a string); `what` names an entry in errors ("a destination").
codecs::Status entries(const JsonValue& doc, const char* key, const char* what,
                       const std::vector<std::string>& allowed, const char* id) {
  const JsonValue* list = doc.find(key);
  if (!list || list->isNull()) return codecs::Ok{};
  if (!list->isArray()) return codecs::makeError(key, 0, "an array");
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < list->asArray().size(); ++i) {
    const JsonValue& e = list->asArray()[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (codecs::Status s = members(e, where, what, allowed); !s) return s;
    const JsonValue* v = e.find(id);
    if (!v || !v->isString()) continue;  // missing or not a string: the loader names it
    auto [at, fresh] = first.emplace(v->asString(), i);
    if (!fresh)
      return codecs::makeError(where + "." + id, 0,
                               "a " + std::string(id) + " of its own, not '" + v->asString() +
                                   "', which " + key + "[" + std::to_string(at->second) + "]." +
                                   id + " has already");
  }
  return codecs::Ok{};
}

std::vector<std::string> destinationMembers() {
  std::vector<std::string> out{"name", "method", "host", "filter"};
  for (const adapters::Setting& s : adapters::allSettings()) out.emplace_back(s.name);
  return out;
}

}  // namespace

codecs::Status checkDocument(const JsonValue& doc) {
  if (doc.isNull()) return codecs::Ok{};  // no file: every setting defaults
  if (codecs::Status s =
          members(doc, "", "the file",
                  {"store", "uplink", "teltonika", "admin", "cardBridge", "files", "derive",
                   "alerts", "log", "destinations", "locations", "devices"});
      !s)
    return s;
  for (codecs::Status s :
       {section(doc, "store", "store",
                {"synchronous", "retentionDays", "url", "maxBytes", "minFreeBytes"}),
        section(doc, "derive", "derive", {"consolidatedDds"}),
        section(doc, "log", "log", {"level", "format", "file", "maxBytes", "maxFiles"}),
        section(doc, "alerts", "alerts", {"enabled", "intervalSeconds"}),
        section(doc, "uplink", "uplink",
                {"bind", "port", "maxConnections", "maxFrameBytes", "window", "heartbeatSeconds",
                 "idleTimeoutSeconds", "tls", "sequence", "trustedProxies"}),
        section(doc, "teltonika", "teltonika",
                {"enabled", "bind", "port", "udp", "maxConnections", "maxFrameBytes",
                 "idleTimeoutSeconds", "loginTimeoutSeconds", "tls"}),
        section(doc, "admin", "admin",
                {"bind", "port", "tls", "threads", "requestTimeoutSeconds", "idleTimeoutSeconds",
                 "maxHeaderBytes", "maxConnections", "maxConnectionsPerAddress"}),
        section(doc, "cardBridge", "cardBridge",
                {"bind", "port", "tls", "heartbeatSeconds", "idleTimeoutSeconds", "maxConnections",
                 "apduTimeoutMs", "sessionIdleSeconds", "maxSessionSeconds", "maxWaitSeconds",
                 "maxQueue", "maxReportsPerMinute", "advertise"}),
        section(doc, "files", "files",
                {"enabled", "dir", "spoolDir", "maxFileBytes", "windowBytes", "maxUploadsPerDevice",
                 "maxUploads", "abandonedUploadHours", "retentionDays", "workers"}),
        entries(doc, "destinations", "a destination", destinationMembers(), "name"),
        entries(doc, "locations", "a location", {"name", "description", "destinations"}, "name"),
        entries(doc, "devices", "a device",
                {"serial", "location", "registration", "key", "protocol", "family"}, "serial")})
    if (!s) return s;
  return codecs::Ok{};
}

}  // namespace dcgw::config
