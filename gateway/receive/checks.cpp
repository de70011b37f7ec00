// The section 3 checks the methods share (field sizes, data encoding), the JSON report line,
// and the REST body of section 3.1.
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/bytes.hpp"
#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

namespace {

using codecs::Bytes;
using codecs::ByteView;

constexpr std::size_t kSerialSize = 8;         // seed 004 section 3, deviceSerialNumber
constexpr std::size_t kRegistrationSize = 13;  // seed 004 section 3, vehicleRegistrationNumber

}  // namespace

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void checkFields(const TextFields& f, adapters::DataFormat format, Message& m) {
  if (f.serial) {
    m.serial = *f.serial;
    if (m.serial.empty()) m.errors.push_back("deviceSerialNumber is empty");
    if (m.serial.size() > kSerialSize)
      m.errors.push_back("deviceSerialNumber is " + std::to_string(m.serial.size()) +
                         " characters, section 3 allows at most 8");
  }
  if (f.registration) {
    m.registration = *f.registration;
    if (m.registration.size() > kRegistrationSize)
      m.errors.push_back("vehicleRegistrationNumber is " + std::to_string(m.registration.size()) +
                         " characters, section 3 allows at most 13");
  }
  if (!f.data) return;
  Bytes bytes;
  std::size_t bad = std::string::npos;
  if (format == adapters::DataFormat::Base64Binary) {
    if (!codecs::fromBase64(*f.data, bytes, &bad)) {
      m.errors.push_back(bad < f.data->size()
                             ? "data is not base64binary (character " + std::to_string(bad) + ")"
                             : std::string("data is not base64binary (bad length or padding)"));
      return;
    }
  } else if (!codecs::fromHex(*f.data, bytes, &bad)) {
    m.errors.push_back(bad < f.data->size()
                           ? "data is not ASCII hex (character " + std::to_string(bad) + ")"
                           : std::string("data is not ASCII hex (an odd number of digits)"));
    return;
  }
  m.data = std::move(bytes);
}

// Decodes the payload and renders the report line.
std::string renderMessage(Message& m) {
  std::string packetJson;
  if (m.data) {
    auto p = codecs::decodePacket(ByteView(*m.data));
    if (p)
      packetJson = codecs::renderPacketJson(*p);
    else
      m.errors.push_back("packet rejected by the codecs: " + p.error().message());
  }
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("method");
  w.string(methodName(m.method));
  w.key("deviceSerialNumber");
  w.string(m.serial);
  w.key("vehicleRegistrationNumber");
  w.string(m.registration);
  w.key("customTags");
  w.string(m.customTags);
  w.key("data");
  w.string(m.data ? codecs::toHex(*m.data) : std::string());
  w.key("packet");
  if (packetJson.empty())
    w.null();
  else
    w.raw(packetJson);
  w.key("errors");
  w.beginArray();
  for (const auto& e : m.errors) w.string(e);
  w.endArray();
  w.key("refused");
  w.boolean(m.refused);
  w.endObject();
  return out;
}

namespace {

void writeJsonValue(codecs::JsonWriter& w, const codecs::JsonValue& v) {
  using K = codecs::JsonValue::Kind;
  switch (v.kind()) {
    case K::Null:
      w.null();
      break;
    case K::Bool:
      w.boolean(v.asBool());
      break;
    case K::Number:
      if (auto i = v.asExactInteger())
        w.integer(*i);
      else
        w.number(v.asDouble());
      break;
    case K::String:
      w.string(v.asString());
      break;
    case K::Array:
      w.beginArray();
      for (const auto& e : v.asArray()) writeJsonValue(w, e);
      w.endArray();
      break;
    case K::Object:
      w.beginObject();
      for (const auto& [k, e] : v.asObject()) {
        w.key(k);
        writeJsonValue(w, e);
      }
      w.endObject();
      break;
  }
}

const char* jsonKindName(codecs::JsonValue::Kind k) {
  using K = codecs::JsonValue::Kind;
  switch (k) {
    case K::Null:
      return "null";
    case K::Bool:
      return "a boolean";
    case K::Number:
      return "a number";
    case K::String:
      return "a string";
    case K::Array:
      return "an array";
    case K::Object:
      return "an object";
  }
  return "?";
}

}  // namespace

void parseRestBody(std::string_view body, adapters::DataFormat format, Message& m) {
  auto doc = codecs::parseJson(body);
  if (!doc) {
    m.errors.push_back("malformed JSON body: " + doc.error().message());
    return;
  }
  if (!doc->isObject()) {
    m.errors.push_back(std::string("the body must be a JSON object (section 3.1), got ") +
                       jsonKindName(doc->kind()));
    return;
  }
  TextFields f;
  std::string tags;
  std::map<std::string, int> seen;
  for (const auto& [key, value] : doc->asObject()) {
    std::optional<std::string>* slot = nullptr;
    if (key == "deviceSerialNumber") slot = &f.serial;
    if (key == "vehicleRegistrationNumber") slot = &f.registration;
    if (key == "data") slot = &f.data;
    if (!slot) {
      // Custom tags are configured as `key:"value"` pairs (section 3.5, as the REST adapter
      // takes them): report them in that form so they compare with the configuration.
      if (!tags.empty()) tags.push_back(',');
      tags += key;
      tags.push_back(':');
      std::string rendered;
      codecs::JsonWriter w(rendered);
      writeJsonValue(w, value);
      tags += rendered;
      continue;
    }
    if (++seen[key] > 1) {
      m.errors.push_back("member \"" + key + "\" appears more than once");
      continue;
    }
    if (!value.isString()) {
      m.errors.push_back("member \"" + key + "\" must be a JSON string, got " +
                         jsonKindName(value.kind()));
      continue;
    }
    *slot = value.asString();
  }
  for (const char* k : {"deviceSerialNumber", "vehicleRegistrationNumber", "data"})
    if (!seen.count(k)) m.errors.push_back(std::string("missing member \"") + k + "\"");
  m.customTags = std::move(tags);
  checkFields(f, format, m);
}

}  // namespace dcgw::receive
