// The forwarding methods of seed 004 section 3 as one table: a row per method says how it is
// addressed, which settings it takes, what its custom tags look like, and which adapter it makes.
// The admin API, the CLI, the console (through GET /api/v1/methods) and etc/dcgw.json read it;
// adding a method is one adapter class and one row.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"
#include "codecs/json.hpp"
#include "codecs/result.hpp"

namespace dcgw::adapters {

// REST and SOAP name a URL with http:// or https:// in Host Name (figures 1-2); the socket
// methods a bare host name or address and a Port Number (figures 3-4).
enum class Addressing { Url, HostAndPort };
std::string_view addressingName(Addressing a);  // "url", "host-port"

enum class SettingType { String, Integer, Boolean };
std::string_view settingTypeName(SettingType t);  // "string", "integer", "boolean"

// One setting a method takes besides name, method and host: its member name in the admin API's
// DestinationInput and etc/dcgw.json, and its default.
struct Setting {
  std::string_view name;  // "port", "format", "customTags", "tlsVerify", "tlsCaFile", ...
  SettingType type{SettingType::String};
  bool required{false};
  std::string_view defaultJson;  // the default as a JSON value ("20000", "true", "\"hex\"");
                                 // "null" when required
  std::int64_t minimum{0};       // Integer only
  std::int64_t maximum{0};
  std::span<const std::string_view> values;  // String with a fixed set of values, else empty
  std::string_view description;              // one line for people
};

// What the method can carry as custom tags (seed 004 section 3.5), checked when the destination
// is configured.
struct CustomTagsFormat {
  std::string_view kind;         // "key-value-pairs", "xml-fragment", "ascii-text"
  std::string_view description;  // one line for people
  std::string_view example;      // from seed 004 figures 1-4
  codecs::Status (*check)(std::string_view text);
};

struct MethodInfo {
  Method method;
  std::string_view name;        // "rest": in the API, the CLI, the store and etc/dcgw.json
  std::string_view figureName;  // "REST": the Method field of figures 1-4, accepted as well
  std::string_view label;       // "REST JSON": for people
  std::string_view section;     // "3.1": where seed 004 defines it
  Addressing addressing;
  std::string_view hostExample;      // figures 1-4
  std::string_view hostDescription;  // one line for people
  std::vector<Setting> settings;
  CustomTagsFormat customTags;
  // REQUIRES: validateDestination(s) passed and s.method == method.
  std::unique_ptr<Adapter> (*make)(const DestinationSettings& s);

  // The setting of that name, or nullptr when this method does not take it.
  const Setting* setting(std::string_view settingName) const;
  bool takes(std::string_view settingName) const { return setting(settingName) != nullptr; }
};

// Every method, one row each, in the order of seed 004 section 3.
const std::vector<MethodInfo>& methods();
// The row of a method. Every Method has one.
const MethodInfo& methodInfo(Method m);
// The row named `name` (or its figure name, "Binary Mode"), or nullptr.
const MethodInfo* findMethod(std::string_view name);
// Every setting any method takes, once each, in the table's order.
const std::vector<Setting>& allSettings();
// Reads the settings of allSettings() present in a destination object (etc/dcgw.json) into
// `out`, each checked against its type, range and values; absent or null members keep their
// defaults. Every method's settings are read whatever the method, as the admin API accepts
// them; a method ignores the ones its row does not list. The error's field names the setting.
codecs::Status readSettings(const codecs::JsonValue& object, DestinationSettings& out);
// "rest, soap, xml-tcp, xml-udp or binary": for error messages.
std::string methodNameList();
// The table as the admin API serves it at GET /api/v1/methods (schema/openapi.yaml MethodList).
std::string renderMethodsJson();

}  // namespace dcgw::adapters
