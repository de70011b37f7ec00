// The table of forwarding methods (seed 004 section 3, figures 1-4) and its JSON rendering.
#include "adapters/methods.hpp"

#include <stdexcept>

#include "adapters/adapters_internal.hpp"
#include "adapters/custom_tags.hpp"
#include "codecs/json.hpp"

namespace dcgw::adapters {
namespace {

constexpr std::string_view kFormats[] = {"base64binary", "hex"};

// The settings, each written once; a row lists the ones its adapter reads. The defaults are
// DestinationSettings{}'s (a test holds them equal).
const Setting kPort{"port", SettingType::Integer,
                    true,   "null",
                    1,      65535,
                    {},     "The receiver's port (Port Number, figures 3-4)."};
const Setting kFormat{"format",
                      SettingType::String,
                      false,
                      "\"base64binary\"",
                      0,
                      0,
                      kFormats,
                      "How the packet bytes are written in the message (section 4: base64 "
                      "binary or ASCII hex)."};
const Setting kCustomTags{"customTags",
                          SettingType::String,
                          false,
                          "\"\"",
                          0,
                          0,
                          {},
                          "Text added to every message (section 3.5); may be left blank."};
const Setting kTlsVerify{"tlsVerify", SettingType::Boolean,
                         false,       "true",
                         0,           0,
                         {},          "https: verify the receiver's certificate and host name."};
const Setting kTlsCaFile{"tlsCaFile",
                         SettingType::String,
                         false,
                         "\"\"",
                         0,
                         0,
                         {},
                         "https: an extra CA (PEM file on the gateway) to trust besides the "
                         "system store; blank for the system CAs."};
// The methods with a reply: binary mode's (section 3.4) and the HTTP response of REST and SOAP.
// The XML socket methods have none, so they do not take it.
const Setting kReplyTimeout{"replyTimeoutMs",
                            SettingType::Integer,
                            false,
                            "20000",
                            1,
                            600'000,
                            {},
                            "How long to wait for the receiver's reply once the message is "
                            "sent, in milliseconds (binary mode: section 3.4, within 20 seconds; "
                            "REST and SOAP: the whole HTTP response)."};

codecs::Status checkRestTags(std::string_view text) {
  auto parsed = parseRestCustomTags(text);
  if (!parsed) return parsed.error();
  return codecs::Ok{};
}

const CustomTagsFormat kRestTags{"key-value-pairs",
                                 "key:\"value\" pairs separated by commas; may be left blank.",
                                 "accountID:\"123456\"", checkRestTags};
const CustomTagsFormat kXmlTags{"xml-fragment",
                                "A well-formed XML fragment of elements and text; may be left "
                                "blank.",
                                "<accountID>123456</accountID>", checkXmlCustomTags};
const CustomTagsFormat kBinaryTags{"ascii-text",
                                   "Up to 255 characters of 7-bit ASCII; may be left blank.",
                                   "123456", checkBinaryCustomTags};

constexpr std::string_view kUrlHint = "The URL, with http:// or https://.";
constexpr std::string_view kHostHint = "A host name or address.";

}  // namespace

std::string_view addressingName(Addressing a) {
  return a == Addressing::Url ? "url" : "host-port";
}

std::string_view settingTypeName(SettingType t) {
  switch (t) {
    case SettingType::String:
      return "string";
    case SettingType::Integer:
      return "integer";
    case SettingType::Boolean:
      return "boolean";
  }
  return "string";
}

const Setting* MethodInfo::setting(std::string_view settingName) const {
  for (const Setting& s : settings)
    if (s.name == settingName) return &s;
  return nullptr;
}

const std::vector<MethodInfo>& methods() {
  static const std::vector<MethodInfo> table = {
      {Method::Rest,
       "rest",
       "REST",
       "REST JSON",
       "3.1",
       Addressing::Url,
       "http://www.sample.com/api/datapacket",
       kUrlHint,
       {kFormat, kCustomTags, kTlsVerify, kTlsCaFile, kReplyTimeout},
       kRestTags,
       detail::makeRestAdapter},
      {Method::Soap,
       "soap",
       "SOAP",
       "SOAP",
       "3.2",
       Addressing::Url,
       "http://www.sample.com/datapacket/service.asmx",
       kUrlHint,
       {kFormat, kCustomTags, kTlsVerify, kTlsCaFile, kReplyTimeout},
       kXmlTags,
       detail::makeSoapAdapter},
      {Method::XmlTcp,
       "xml-tcp",
       "TCP",
       "XML over TCP",
       "3.3",
       Addressing::HostAndPort,
       "www.sample.com",
       kHostHint,
       {kPort, kFormat, kCustomTags},
       kXmlTags,
       detail::makeXmlTcpAdapter},
      {Method::XmlUdp,
       "xml-udp",
       "UDP",
       "XML over UDP",
       "3.3",
       Addressing::HostAndPort,
       "www.sample.com",
       kHostHint,
       {kPort, kFormat, kCustomTags},
       kXmlTags,
       detail::makeXmlUdpAdapter},
      {Method::Binary,
       "binary",
       "Binary Mode",
       "Binary Mode",
       "3.4",
       Addressing::HostAndPort,
       "www.sample.com",
       kHostHint,
       {kPort, kCustomTags, kReplyTimeout},
       kBinaryTags,
       detail::makeBinaryAdapter},
  };
  return table;
}

const MethodInfo& methodInfo(Method m) {
  for (const MethodInfo& row : methods())
    if (row.method == m) return row;
  throw std::logic_error("a forwarding method without a row in adapters/methods.cpp");
}

const MethodInfo* findMethod(std::string_view name) {
  for (const MethodInfo& row : methods())
    if (row.name == name || row.figureName == name) return &row;
  return nullptr;
}

std::optional<Method> parseMethod(std::string_view text) {
  if (const MethodInfo* row = findMethod(text)) return row->method;
  return std::nullopt;
}

std::string_view methodName(Method m) {
  for (const MethodInfo& row : methods())
    if (row.method == m) return row.name;
  return "unknown";
}

const std::vector<Setting>& allSettings() {
  static const std::vector<Setting> all = [] {
    std::vector<Setting> out;
    for (const MethodInfo& m : methods())
      for (const Setting& s : m.settings) {
        bool seen = false;
        for (const Setting& o : out) seen = seen || o.name == s.name;
        if (!seen) out.push_back(s);
      }
    return out;
  }();
  return all;
}

codecs::Status readSettings(const codecs::JsonValue& object, DestinationSettings& out) {
  for (const Setting& s : allSettings()) {
    const codecs::JsonValue* v = object.find(s.name);
    if (!v || v->isNull()) continue;
    // As in the admin API, a port of 0 is "no port" (the URL methods); a method that needs one
    // then reports it missing.
    if (s.name == "port" && v->asExactInteger() == 0) continue;
    const std::string field(s.name);
    switch (s.type) {
      case SettingType::Boolean:
        if (v->kind() != codecs::JsonValue::Kind::Bool)
          return codecs::makeError(field, 0, "true or false");
        if (s.name == "tlsVerify") out.tlsVerify = v->asBool();
        break;
      case SettingType::Integer: {
        auto n = v->asExactInteger();
        if (!v->isNumber() || !n || *n < s.minimum || *n > s.maximum)
          return codecs::makeError(
              field, 0,
              "an integer from " + std::to_string(s.minimum) + " to " + std::to_string(s.maximum));
        if (s.name == "port") out.port = static_cast<std::uint16_t>(*n);
        if (s.name == "replyTimeoutMs") out.replyTimeout = std::chrono::milliseconds(*n);
        break;
      }
      case SettingType::String: {
        if (!v->isString()) return codecs::makeError(field, 0, "a string");
        const std::string& text = v->asString();
        if (!s.values.empty()) {
          std::string list;
          bool known = false;
          for (std::string_view x : s.values) {
            known = known || x == text;
            list += (list.empty() ? "" : " or ") + std::string(x);
          }
          if (!known) return codecs::makeError(field, 0, list + ", not '" + text + "'");
        }
        if (s.name == "format") out.format = parseDataFormat(text).value_or(out.format);
        if (s.name == "customTags") out.customTags = text;
        if (s.name == "tlsCaFile") out.tlsCaFile = text;
        break;
      }
    }
  }
  return codecs::Ok{};
}

std::string methodNameList() {
  const auto& all = methods();
  std::string out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i) out += i + 1 == all.size() ? " or " : ", ";
    out += all[i].name;
  }
  return out;
}

std::string renderMethodsJson() {
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("methods");
  w.beginArray();
  for (const MethodInfo& m : methods()) {
    w.beginObject();
    w.key("name");
    w.string(m.name);
    w.key("label");
    w.string(m.label);
    w.key("figureName");
    w.string(m.figureName);
    w.key("section");
    w.string(m.section);
    w.key("addressing");
    w.string(addressingName(m.addressing));
    w.key("host");
    w.beginObject();
    w.key("description");
    w.string(m.hostDescription);
    w.key("example");
    w.string(m.hostExample);
    w.endObject();
    w.key("settings");
    w.beginArray();
    for (const Setting& s : m.settings) {
      w.beginObject();
      w.key("name");
      w.string(s.name);
      w.key("type");
      w.string(settingTypeName(s.type));
      w.key("required");
      w.boolean(s.required);
      w.key("default");
      w.raw(s.defaultJson);
      if (s.type == SettingType::Integer) {
        w.key("minimum");
        w.integer(s.minimum);
        w.key("maximum");
        w.integer(s.maximum);
      }
      if (!s.values.empty()) {
        w.key("values");
        w.beginArray();
        for (std::string_view v : s.values) w.string(v);
        w.endArray();
      }
      w.key("description");
      w.string(s.description);
      w.endObject();
    }
    w.endArray();
    w.key("customTags");
    w.beginObject();
    w.key("format");
    w.string(m.customTags.kind);
    w.key("description");
    w.string(m.customTags.description);
    w.key("example");
    w.string(m.customTags.example);
    w.endObject();
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

}  // namespace dcgw::adapters
