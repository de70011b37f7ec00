// Reads etc/dcgw.json with the codecs' JSON parser and creates what it lists.
#include "gateway/config/config_file.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "adapters/methods.hpp"
#include "codecs/json.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/forward/destination_settings.hpp"
#include "gateway/uplink/auth.hpp"
#include "gateway/uplink/trusted_proxies.hpp"

namespace dcgw::config {
namespace {

std::string str(const codecs::JsonValue& o, const char* key, const std::string& fallback = "") {
  const codecs::JsonValue* v = o.find(key);
  return v && v->isString() ? v->asString() : fallback;
}

codecs::Error at(const std::string& where, const codecs::Error& e) {
  return codecs::makeError(where + "." + e.field, e.offset, e.expected);
}

}  // namespace

codecs::Result<codecs::JsonValue> readDocument(const std::string& path) {
  std::ifstream f(path);
  if (!f) return codecs::JsonValue{};
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = codecs::parseJson(ss.str());
  if (!doc) return codecs::makeError(path, doc.error().offset, doc.error().expected);
  if (codecs::Status s = checkDocument(*doc); !s) return s.error();
  return std::move(*doc);
}

std::string errorText(const codecs::Error& e) {
  // A member's path says where; an offset is only meaningful for the JSON syntax errors.
  return e.offset == 0 ? e.field + ": " + e.expected : e.message();
}

codecs::Result<store::Durability> storeDurability(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* st = doc->find("store");
  const std::string sync = st ? str(*st, "synchronous", "full") : "full";
  if (auto d = parseDurability(sync)) return *d;
  return codecs::makeError("store.synchronous", 0, "\"full\" or \"normal\", not \"" + sync + "\"");
}

std::optional<store::Durability> parseDurability(std::string_view text) {
  if (text == "full") return store::Durability::Full;
  if (text == "normal") return store::Durability::Normal;
  return std::nullopt;
}

codecs::Result<std::string> storeUrl(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* st = doc->find("store");
  const codecs::JsonValue* url = st ? st->find("url") : nullptr;
  if (!url || url->isNull()) return std::string();
  const std::string u = url->isString() ? url->asString() : std::string();
  if (u.rfind("postgresql://", 0) != 0 && u.rfind("postgres://", 0) != 0)
    return codecs::makeError("store.url", 0,
                             "a postgresql:// URL (libpq's connection URL) or null");
  return u;
}

codecs::Result<std::int64_t> retentionMs(const std::string& path) {
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* st = doc->find("store");
  const codecs::JsonValue* days = st ? st->find("retentionDays") : nullptr;
  if (!days) return 7 * kDay;
  if (!days->isNumber() || days->asDouble() <= 0 || days->asDouble() > 3650)
    return codecs::makeError("store.retentionDays", 0, "a number of days from 1 to 3650");
  return static_cast<std::int64_t>(days->asDouble() * kDay);
}

codecs::Result<StoreRoom> storeRoom(const std::string& path) {
  StoreRoom room;
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* st = doc->find("store");
  if (!st) return room;
  constexpr double kMax = 9.0e15;  // integers a double holds exactly
  if (const codecs::JsonValue* m = st->find("maxBytes"); m && !m->isNull()) {
    const double v = m->isNumber() ? m->asDouble() : -1;
    if (v != 0 &&
        (v < (16 << 20) || v > kMax || v != static_cast<double>(static_cast<std::int64_t>(v))))
      return codecs::makeError("store.maxBytes", 0,
                               "a whole number of bytes of at least 16777216 (16 MiB), or 0 for "
                               "no limit");
    room.maxBytes = static_cast<std::int64_t>(v);
  }
  if (const codecs::JsonValue* f = st->find("minFreeBytes"); f && !f->isNull()) {
    const double v = f->isNumber() ? f->asDouble() : -1;
    if (v < 0 || v > kMax || v != static_cast<double>(static_cast<std::int64_t>(v)))
      return codecs::makeError("store.minFreeBytes", 0, "a whole number of bytes, 0 for no floor");
    room.minFreeBytes = static_cast<std::int64_t>(v);
  }
  return room;
}

codecs::Result<bool> consolidatedDds(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* d = doc->find("derive");
  const codecs::JsonValue* on = d ? d->find("consolidatedDds") : nullptr;
  if (!on) return true;
  if (on->kind() != codecs::JsonValue::Kind::Bool)
    return codecs::makeError("derive.consolidatedDds", 0, "true or false");
  return on->asBool();
}

codecs::Result<AlertOptions> alertOptions(const std::string& path) {
  AlertOptions o;
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* a = doc->find("alerts");
  if (!a) return o;
  if (!a->isObject()) return codecs::makeError("alerts", 0, "an object");
  if (const codecs::JsonValue* e = a->find("enabled")) {
    if (e->kind() != codecs::JsonValue::Kind::Bool)
      return codecs::makeError("alerts.enabled", 0, "true or false");
    o.enabled = e->asBool();
  }
  if (const codecs::JsonValue* i = a->find("intervalSeconds")) {
    if (!i->isNumber() || i->asDouble() < 0.1 || i->asDouble() > 3600)
      return codecs::makeError("alerts.intervalSeconds", 0, "a number of seconds from 0.1 to 3600");
    o.intervalMs = static_cast<std::int64_t>(i->asDouble() * 1000);
  }
  return o;
}

codecs::Result<uplink::ListenerOptions> uplinkOptions(const std::string& path) {
  uplink::ListenerOptions o;
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* u = doc->find("uplink");
  if (!u) return o;
  if (!u->isObject()) return codecs::makeError("uplink", 0, "an object");
  // Each number is checked against its range; the error names the setting.
  auto number = [&](const char* key, long long lo, long long hi, long long& out) -> codecs::Status {
    const codecs::JsonValue* v = u->find(key);
    if (!v) return codecs::Ok{};
    auto n = v->asExactInteger();
    if (!n || *n < lo || *n > hi)
      return codecs::makeError(
          std::string("uplink.") + key, 0,
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = *n;
    return codecs::Ok{};
  };
  long long port = o.port, maxConnections = static_cast<long long>(o.maxConnections),
            maxFrame = static_cast<long long>(o.maxFrameBytes), window = o.window,
            heartbeat = o.heartbeat.count() / 1000, idle = o.idleTimeout.count() / 1000;
  for (auto s :
       {number("port", 0, 65535, port), number("maxConnections", 1, 1000000, maxConnections),
        number("maxFrameBytes", 64, 65536, maxFrame), number("window", 1, 65535, window),
        number("heartbeatSeconds", 1, 65535, heartbeat),
        number("idleTimeoutSeconds", 1, 65535, idle)})
    if (!s) return s.error();
  o.port = static_cast<std::uint16_t>(port);
  o.maxConnections = static_cast<std::size_t>(maxConnections);
  o.maxFrameBytes = static_cast<std::size_t>(maxFrame);
  o.window = static_cast<std::uint16_t>(window);
  o.heartbeat = std::chrono::seconds(heartbeat);
  o.idleTimeout = std::chrono::seconds(idle);
  if (idle <= heartbeat)
    return codecs::makeError("uplink.idleTimeoutSeconds", 0,
                             "more than heartbeatSeconds (" + std::to_string(heartbeat) + ")");
  if (const codecs::JsonValue* q = u->find("sequence")) {
    if (!q->isObject()) return codecs::makeError("uplink.sequence", 0, "an object");
    for (const auto& [key, value] : q->asObject())
      if (key != "duplicateWindow" && key != "maxJump")
        return codecs::makeError("uplink.sequence." + key, 0,
                                 "one of duplicateWindow, maxJump (no other setting)");
    auto member = [&](const char* key, std::uint32_t& out) -> codecs::Status {
      const codecs::JsonValue* v = q->find(key);
      if (!v) return codecs::Ok{};
      auto n = v->asExactInteger();
      if (!v->isNumber() || !n || *n < 1 || *n > 2147483647)
        return codecs::makeError(std::string("uplink.sequence.") + key, 0,
                                 "an integer from 1 to 2147483647");
      out = static_cast<std::uint32_t>(*n);
      return codecs::Ok{};
    };
    for (auto st : {member("duplicateWindow", o.sequence.duplicateWindow),
                    member("maxJump", o.sequence.maxJump)})
      if (!st) return st.error();
  }
  if (std::string e = store::sequenceRulesError(o.sequence, o.window); !e.empty())
    return codecs::makeError("uplink.sequence", 0, e);
  if (const codecs::JsonValue* b = u->find("bind")) {
    if (!b->isString() || b->asString().empty())
      return codecs::makeError("uplink.bind", 0, "an IP address");
    o.bind = b->asString();
  }
  if (const codecs::JsonValue* t = u->find("tls")) {
    o.tlsCertificateFile = str(*t, "certificateFile");
    o.tlsPrivateKeyFile = str(*t, "privateKeyFile");
    if (o.tlsCertificateFile.empty() != o.tlsPrivateKeyFile.empty())
      return codecs::makeError("uplink.tls", 0, "both certificateFile and privateKeyFile");
  }
  if (const codecs::JsonValue* t = u->find("trustedProxies")) {
    const char* what =
        "a list of the proxies' IPv4 or IPv6 addresses or networks (\"10.0.0.5\", "
        "\"10.0.0.0/24\"), whose connections start with a PROXY protocol v2 header";
    if (!t->isArray()) return codecs::makeError("uplink.trustedProxies", 0, what);
    for (const codecs::JsonValue& e : t->asArray()) {
      if (!e.isString() || !uplink::parseAddressRange(e.asString()))
        return codecs::makeError("uplink.trustedProxies", 0, what);
      o.trustedProxies.push_back(e.asString());
    }
    if (!o.trustedProxies.empty() && !o.tlsCertificateFile.empty())
      return codecs::makeError("uplink.trustedProxies", 0,
                               "empty while uplink.tls is set (the PROXY protocol is taken on a "
                               "plain TCP listener only: let the proxy terminate TLS)");
  }
  return o;
}

codecs::Result<admin::AdminOptions> adminOptions(const std::string& path) {
  admin::AdminOptions o;
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* a = doc->find("admin");
  if (!a) return o;
  if (!a->isObject()) return codecs::makeError("admin", 0, "an object");
  if (const codecs::JsonValue* b = a->find("bind")) {
    if (!b->isString() || b->asString().empty())
      return codecs::makeError("admin.bind", 0, "an IP address");
    o.bind = b->asString();
  }
  if (const codecs::JsonValue* p = a->find("port")) {
    auto n = p->asExactInteger();
    if (!n || *n < 0 || *n > 65535)
      return codecs::makeError("admin.port", 0, "an integer from 0 to 65535");
    o.port = static_cast<std::uint16_t>(*n);
  }
  if (const codecs::JsonValue* t = a->find("tls")) {
    o.tlsCertificateFile = str(*t, "certificateFile");
    o.tlsPrivateKeyFile = str(*t, "privateKeyFile");
    if (o.tlsCertificateFile.empty() != o.tlsPrivateKeyFile.empty())
      return codecs::makeError("admin.tls", 0, "both certificateFile and privateKeyFile");
  }
  // The front's limits and timeouts (schema/openapi.yaml, "Connections"); each number is
  // checked against its range and the error names the setting.
  auto number = [&](const char* key, long long lo, long long hi, long long& out) -> codecs::Status {
    const codecs::JsonValue* v = a->find(key);
    if (!v) return codecs::Ok{};
    auto n = v->asExactInteger();
    if (!v->isNumber() || !n || *n < lo || *n > hi)
      return codecs::makeError(
          std::string("admin.") + key, 0,
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = *n;
    return codecs::Ok{};
  };
  long long threads = o.threads, request = o.requestTimeout.count() / 1000,
            idle = o.idleTimeout.count() / 1000, head = static_cast<long long>(o.maxHeaderBytes),
            conns = static_cast<long long>(o.maxConnections),
            perAddress = static_cast<long long>(o.maxConnectionsPerAddress);
  for (auto s :
       {number("threads", 1, 256, threads), number("requestTimeoutSeconds", 1, 3600, request),
        number("idleTimeoutSeconds", 1, 3600, idle), number("maxHeaderBytes", 1024, 1 << 20, head),
        number("maxConnections", 1, 100000, conns),
        number("maxConnectionsPerAddress", 1, 100000, perAddress)})
    if (!s) return s.error();
  o.threads = static_cast<int>(threads);
  o.requestTimeout = std::chrono::seconds(request);
  o.idleTimeout = std::chrono::seconds(idle);
  o.maxHeaderBytes = static_cast<std::size_t>(head);
  o.maxConnections = static_cast<std::size_t>(conns);
  o.maxConnectionsPerAddress = static_cast<std::size_t>(perAddress);
  return o;
}

codecs::Status loadIfEmpty(store::ConfigStore& store, const std::string& path, std::int64_t nowMs) {
  if (!store.empty()) return codecs::Ok{};
  if (!std::ifstream(path)) return codecs::makeError("config", 0, "a readable file " + path);
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  // One transaction: a file with an error anywhere leaves the store empty, so the next start
  // with the corrected file loads it whole. Emptiness is asked again inside it: two processes
  // starting on one new database load the file once.
  auto tx = store.begin();
  if (!tx->empty()) return codecs::Ok{};
  std::map<std::string, std::int64_t> destinationIds, locationIds;
  if (const codecs::JsonValue* ds = doc->find("destinations"); ds && ds->isArray()) {
    for (std::size_t i = 0; i < ds->asArray().size(); ++i) {
      const auto& d = ds->asArray()[i];
      const std::string where = "destinations[" + std::to_string(i) + "]";
      store::DestinationConfig c;
      c.settings.name = str(d, "name");
      const adapters::MethodInfo* method = adapters::findMethod(str(d, "method"));
      if (!method) return codecs::makeError(where + ".method", 0, adapters::methodNameList());
      adapters::DestinationSettings settings;
      settings.name = c.settings.name;
      settings.method = method->method;
      settings.host = str(d, "host");
      if (codecs::Status s = adapters::readSettings(d, settings); !s) return at(where, s.error());
      c.settings = forward::fromAdapterSettings(settings);
      if (const auto* filter = d.find("filter"); filter && filter->isArray()) {
        c.filter = std::vector<std::string>{};
        for (const auto& k : filter->asArray())
          c.filter->push_back(k.isString() ? k.asString() : "");
      }
      if (codecs::Status v = control::validateDestination(c); !v) return at(where, v.error());
      auto id = tx->createDestination(c, nowMs);
      if (!id) return at(where, control::toError(id.error()));
      destinationIds[c.settings.name] = *id;
    }
  }
  if (const codecs::JsonValue* ls = doc->find("locations"); ls && ls->isArray()) {
    for (std::size_t i = 0; i < ls->asArray().size(); ++i) {
      const auto& l = ls->asArray()[i];
      const std::string where = "locations[" + std::to_string(i) + "]";
      store::LocationConfig c{0, str(l, "name"), str(l, "description"), {}};
      if (const auto* ds = l.find("destinations"); ds && ds->isArray())
        for (const auto& name : ds->asArray()) {
          auto it = destinationIds.find(name.isString() ? name.asString() : "");
          if (it == destinationIds.end())
            return codecs::makeError(where + ".destinations", 0,
                                     "names of destinations in this file");
          c.destinationIds.push_back(it->second);
        }
      if (codecs::Status v = control::validateLocation(c); !v) return at(where, v.error());
      auto id = tx->createLocation(c);
      if (!id) return at(where, control::toError(id.error()));
      locationIds[c.name] = *id;
    }
  }
  if (const codecs::JsonValue* ds = doc->find("devices"); ds && ds->isArray()) {
    for (std::size_t i = 0; i < ds->asArray().size(); ++i) {
      const auto& d = ds->asArray()[i];
      const std::string where = "devices[" + std::to_string(i) + "]";
      store::DeviceConfig c{str(d, "serial"), std::nullopt, str(d, "registration"), std::nullopt,
                            std::nullopt};
      if (std::string key = str(d, "key"); !key.empty()) {
        auto k = uplink::parseDeviceKey(key);
        if (!k) return at(where, k.error());
        c.key = std::move(*k);
      }
      if (std::string loc = str(d, "location"); !loc.empty()) {
        auto it = locationIds.find(loc);
        if (it == locationIds.end())
          return codecs::makeError(where + ".location", 0, "the name of a location in this file");
        c.locationId = it->second;
      }
      // Teltonika trackers (issue 15): absent members are a dcgw device's.
      if (d.find("protocol")) c.protocol = str(d, "protocol");
      if (const auto* f = d.find("family"); f && f->isString()) c.family = f->asString();
      control::canonicalizeDevice(c);
      if (codecs::Status v = control::validateDevice(c); !v) return at(where, v.error());
      if (store::Status s = tx->upsertDevice(c); !s) return at(where, control::toError(s.error()));
    }
    if (auto clash = control::forwardedSerialClash(tx->devices()))
      return at("devices", control::forwardedSerialError(clash->first, clash->second));
  }
  tx->commit();
  return codecs::Ok{};
}

codecs::Result<std::optional<cardauth::CardAuthOptions>> cardAuthOptions(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  const codecs::JsonValue* c = doc->find("cardBridge");
  if (!c || c->isNull()) return std::optional<cardauth::CardAuthOptions>();
  if (!c->isObject()) return codecs::makeError("cardBridge", 0, "an object");
  cardauth::CardAuthOptions o;
  auto number = [&](const char* key, long long lo, long long hi, long long& out) -> codecs::Status {
    const codecs::JsonValue* v = c->find(key);
    if (!v) return codecs::Ok{};
    auto n = v->asExactInteger();
    if (!v->isNumber() || !n || *n < lo || *n > hi)
      return codecs::makeError(
          std::string("cardBridge.") + key, 0,
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = *n;
    return codecs::Ok{};
  };
  auto& l = o.limits;
  long long port = o.bridges.port, heartbeat = o.bridges.heartbeat.count() / 1000,
            idle = o.bridges.idleTimeout.count() / 1000,
            conns = static_cast<long long>(o.bridges.maxConnections), apdu = l.apduTimeoutMs,
            sessionIdle = l.idleMs / 1000, maxSession = l.maxDurationMs / 1000,
            maxWait = l.maxWaitMs / 1000, maxQueue = static_cast<long long>(l.maxQueue),
            reports = static_cast<long long>(o.maxReportsPerMinute);
  for (auto s :
       {number("port", 0, 65535, port), number("heartbeatSeconds", 1, 65535, heartbeat),
        number("idleTimeoutSeconds", 1, 65535, idle), number("maxConnections", 1, 100000, conns),
        number("apduTimeoutMs", 100, 600000, apdu),
        number("sessionIdleSeconds", 1, 3600, sessionIdle),
        number("maxSessionSeconds", 10, 86400, maxSession),
        number("maxWaitSeconds", 1, 86400, maxWait), number("maxQueue", 1, 65535, maxQueue),
        number("maxReportsPerMinute", 10, 1000000, reports)})
    if (!s) return s.error();
  if (idle <= heartbeat)
    return codecs::makeError("cardBridge.idleTimeoutSeconds", 0,
                             "more than heartbeatSeconds (" + std::to_string(heartbeat) + ")");
  o.bridges.port = static_cast<std::uint16_t>(port);
  o.bridges.heartbeat = std::chrono::seconds(heartbeat);
  o.bridges.idleTimeout = std::chrono::seconds(idle);
  o.bridges.maxConnections = static_cast<std::size_t>(conns);
  l.apduTimeoutMs = apdu;
  l.idleMs = sessionIdle * 1000;
  l.maxDurationMs = maxSession * 1000;
  l.maxWaitMs = maxWait * 1000;
  l.maxQueue = static_cast<std::size_t>(maxQueue);
  o.maxReportsPerMinute = static_cast<std::size_t>(reports);
  if (const codecs::JsonValue* b = c->find("bind")) {
    if (!b->isString() || b->asString().empty())
      return codecs::makeError("cardBridge.bind", 0, "an IP address");
    o.bridges.bind = b->asString();
  }
  if (const codecs::JsonValue* a = c->find("advertise")) {
    const std::string v = a->isString() ? a->asString() : std::string();
    const auto colon = v.rfind(':');
    const std::string port = colon == std::string::npos ? "" : v.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        port.find_first_not_of("0123456789") == std::string::npos &&
                        std::stoi(port) >= 1 && std::stoi(port) <= 65535;
    if (colon == 0 || !digits || v.find_first_of(" \t") != std::string::npos)
      return codecs::makeError("cardBridge.advertise", 0,
                               "host:port (1 to 65535) where the other nodes reach this "
                               "listener, not '" +
                                   v + "'");
    o.advertise = v;
  }
  if (const codecs::JsonValue* t = c->find("tls")) {
    o.bridges.tlsCertificateFile = str(*t, "certificateFile");
    o.bridges.tlsPrivateKeyFile = str(*t, "privateKeyFile");
    if (o.bridges.tlsCertificateFile.empty() != o.bridges.tlsPrivateKeyFile.empty())
      return codecs::makeError("cardBridge.tls", 0, "both certificateFile and privateKeyFile");
  }
  return std::optional<cardauth::CardAuthOptions>(std::move(o));
}

}  // namespace dcgw::config
