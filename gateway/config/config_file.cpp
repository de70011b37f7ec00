// Reads etc/dcgw.json with the codecs' JSON parser and creates what it lists.
#include "gateway/config/config_file.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "codecs/json.hpp"

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

codecs::Result<store::Durability> storeDurability(const std::string& path) {
  std::ifstream f(path);
  if (!f) return store::Durability::Full;
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = codecs::parseJson(ss.str());
  if (!doc) return codecs::makeError(path, doc.error().offset, doc.error().expected);
  const codecs::JsonValue* st = doc->find("store");
  const std::string sync = st ? str(*st, "synchronous", "full") : "full";
  if (sync == "full") return store::Durability::Full;
  if (sync == "normal") return store::Durability::Normal;
  return codecs::makeError("store.synchronous", 0, "\"full\" or \"normal\", not \"" + sync + "\"");
}

codecs::Result<std::int64_t> retentionMs(const std::string& path) {
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  std::ifstream f(path);
  if (!f) return 7 * kDay;
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = codecs::parseJson(ss.str());
  if (!doc) return codecs::makeError(path, doc.error().offset, doc.error().expected);
  const codecs::JsonValue* st = doc->find("store");
  const codecs::JsonValue* days = st ? st->find("retentionDays") : nullptr;
  if (!days) return 7 * kDay;
  if (!days->isNumber() || days->asDouble() <= 0 || days->asDouble() > 3650)
    return codecs::makeError("store.retentionDays", 0, "a number of days from 1 to 3650");
  return static_cast<std::int64_t>(days->asDouble() * kDay);
}

codecs::Status loadIfEmpty(store::Store& store, const std::string& path, std::int64_t nowMs) {
  if (!store.empty()) return codecs::Ok{};
  std::ifstream f(path);
  if (!f) return codecs::makeError("config", 0, "a readable file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = codecs::parseJson(ss.str());
  if (!doc) return codecs::makeError(path, doc.error().offset, doc.error().expected);
  std::map<std::string, std::int64_t> destinationIds, locationIds;
  if (const codecs::JsonValue* ds = doc->find("destinations"); ds && ds->isArray()) {
    for (std::size_t i = 0; i < ds->asArray().size(); ++i) {
      const auto& d = ds->asArray()[i];
      const std::string where = "destinations[" + std::to_string(i) + "]";
      store::DestinationConfig c;
      c.settings.name = str(d, "name");
      auto method = adapters::parseMethod(str(d, "method"));
      if (!method)
        return codecs::makeError(where + ".method", 0, "rest, soap, xml-tcp, xml-udp or binary");
      c.settings.method = *method;
      c.settings.host = str(d, "host");
      if (const auto* p = d.find("port"); p && p->asExactInteger())
        c.settings.port = static_cast<std::uint16_t>(*p->asExactInteger());
      auto format = adapters::parseDataFormat(str(d, "format", "base64binary"));
      if (!format) return codecs::makeError(where + ".format", 0, "base64binary or hex");
      c.settings.format = *format;
      c.settings.customTags = str(d, "customTags");
      if (const auto* filter = d.find("filter"); filter && filter->isArray()) {
        c.filter = std::vector<std::string>{};
        for (const auto& k : filter->asArray())
          c.filter->push_back(k.isString() ? k.asString() : "");
      }
      auto id = store.createDestination(c, nowMs);
      if (!id) return at(where, id.error());
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
      auto id = store.createLocation(c);
      if (!id) return at(where, id.error());
      locationIds[c.name] = *id;
    }
  }
  if (const codecs::JsonValue* ds = doc->find("devices"); ds && ds->isArray()) {
    for (std::size_t i = 0; i < ds->asArray().size(); ++i) {
      const auto& d = ds->asArray()[i];
      const std::string where = "devices[" + std::to_string(i) + "]";
      store::DeviceConfig c{str(d, "serial"), std::nullopt, str(d, "registration")};
      if (std::string loc = str(d, "location"); !loc.empty()) {
        auto it = locationIds.find(loc);
        if (it == locationIds.end())
          return codecs::makeError(where + ".location", 0, "the name of a location in this file");
        c.locationId = it->second;
      }
      if (codecs::Status s = store.upsertDevice(c); !s) return at(where, s.error());
    }
  }
  return codecs::Ok{};
}

}  // namespace dcgw::config
