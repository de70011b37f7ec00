// Generates the JSON Schema of each packet family from the registry and layout tables.
#include "codecs/packets/schema_gen.hpp"

#include <algorithm>
#include <string_view>

#include "codecs/json.hpp"
#include "codecs/packets/registry.hpp"

namespace dcgw::codecs {
namespace {

constexpr const char* kHexPattern = "^([0-9a-f]{2})*$";

void typeList(JsonWriter& w, const char* type, bool nullable) {
  w.key("type");
  if (nullable) {
    w.beginArray();
    w.string(type);
    w.string("null");
    w.endArray();
  } else {
    w.string(type);
  }
}

std::string describe(const FieldSpec& f, const char* section) {
  std::string d = "Seed 004 section " + std::string(section) + ", offset " +
                  std::to_string(f.offset) + ": " + f.seedName;
  if (f.unit) d += " (" + std::string(f.unit) + ")";
  if (f.flags & kNullable) d += "; null when the packet holds the NULL value (all bits set)";
  return d;
}

void fieldSchema(JsonWriter& w, const FieldSpec& f, const char* section) {
  w.beginObject();
  w.key("description");
  w.string(describe(f, section));
  const bool nullable = (f.flags & kNullable) != 0;
  switch (f.kind) {
    case FieldKind::TimeReal:
      typeList(w, "string", nullable);
      w.key("format");
      w.string("date-time");
      break;
    case FieldKind::Datef:
      typeList(w, "string", true);
      w.key("format");
      w.string("date");
      break;
    case FieldKind::Ascii:
    case FieldKind::FmsVersion:
      typeList(w, "string", false);
      w.key("maxLength");
      w.integer(f.kind == FieldKind::FmsVersion ? 5 : f.size);
      break;
    case FieldKind::Utf16LE:
      typeList(w, "string", false);
      w.key("maxLength");
      w.integer(f.size / 2);
      break;
    case FieldKind::Hex:
      typeList(w, "string", false);
      w.key("pattern");
      w.string("^[0-9a-f]{" + std::to_string(2 * f.size) + "}$");
      break;
    default:
      typeList(w, f.scale.identity() || f.scale.den == 1 ? "integer" : "number", nullable);
      break;
  }
  w.endObject();
}

void simpleProperty(JsonWriter& w, const char* key, const char* type, bool nullable,
                    const std::string& description) {
  w.key(key);
  w.beginObject();
  w.key("description");
  w.string(description);
  typeList(w, type, nullable);
  w.endObject();
}

void kindSchema(JsonWriter& w, const PacketKind& k) {
  std::vector<std::string> required = {"type", "subtype", "name"};
  w.beginObject();
  w.key("title");
  w.string(kindTitle(k));
  w.key("type");
  w.string("object");
  w.key("properties");
  w.beginObject();
  w.key("type");
  w.beginObject();
  w.key("const");
  w.integer(k.type);
  if (k.type == 0x4D) {  // 0x6D decodes alike
    w.key("description");
    w.string("0x4D (77) or 0x6D (109)");
  }
  w.endObject();
  w.key("subtype");
  w.beginObject();
  if (k.secondByteIsField) {
    w.key("type");
    w.string("null");
  } else if (k.subLo == k.subHi) {
    w.key("const");
    w.integer(k.subLo);
  } else {
    w.key("type");
    w.string("integer");
  }
  w.endObject();
  w.key("name");
  w.beginObject();
  w.key("const");
  w.string(k.name);
  w.endObject();
  if (k.sensorKind) {
    w.key("sensorKind");
    w.beginObject();
    w.key("description");
    w.string("The seed 004 section 16 layout selected by the sensor number");
    w.key("const");
    w.string(k.sensorKind);
    w.endObject();
    required.push_back("sensorKind");
  }
  if (!k.layout) {
    w.key("raw");
    w.beginObject();
    w.key("description");
    w.string("The whole packet, lowercase hex (this kind has no layout in seed 004).");
    w.key("type");
    w.string("string");
    w.key("pattern");
    w.string(kHexPattern);
    w.endObject();
    required.push_back("raw");
  } else {
    const Layout& l = *k.layout;
    for (const FieldSpec& f : l.fields) {
      if (f.kind == FieldKind::Reserved) continue;
      if (f.kind == FieldKind::InfoStrings) {
        const char* names[] = {"title", "alert", "p1", "p2", "p3", "p4",
                               "p5",    "p6",    "p7", "p8", "p9", "p10"};
        for (const char* n : names) {
          simpleProperty(w, n, "string", true,
                         std::string("Seed 004 section 7, Info item ") + n +
                             " (NUL-separated UTF-8 text); null when the packet has fewer items");
          required.push_back(n);
        }
        continue;
      }
      if (f.offset == 1) {  // the second byte as a field: within the kind's range
        w.key(f.key);
        w.beginObject();
        w.key("description");
        w.string(describe(f, l.section));
        w.key("type");
        w.string("integer");
        w.key("minimum");
        w.integer(k.subLo);
        w.key("maximum");
        w.integer(k.subHi);
        w.endObject();
        required.push_back(f.key);
        continue;
      }
      w.key(f.key);
      fieldSchema(w, f, l.section);
      if (!(f.flags & kOptional)) required.push_back(f.key);
      if (f.flags & kTimeRelatedStates) {
        std::string d(f.key);
        simpleProperty(w, (d + "Description").c_str(), "string", true,
                       "Seed 004 section 14.5 description of " + d);
        simpleProperty(w, (d + "Level").c_str(), "integer", true,
                       "Seed 004 section 14.5 level of " + d + " (0, 1 or 2)");
        required.push_back(d + "Description");
        required.push_back(d + "Level");
      }
      if (f.flags & kVdoBitMask) {
        simpleProperty(w, "reducedRestAvailable", "integer", false,
                       "BitMask bits 4-3 (rr): reduced rest available");
        simpleProperty(w, "extendedDriveAvailable", "integer", false,
                       "BitMask bits 1-0 (dd): extended drive available");
        required.push_back("reducedRestAvailable");
        required.push_back("extendedDriveAvailable");
      }
      if (f.flags & kFmsSupport) {
        simpleProperty(w, "requestsSupported", "integer", false,
                       "Bits 3-2 of the byte (FMS-Standard: 0 no, 1 yes, 2 error, 3 n/a)");
        simpleProperty(w, "diagnosticsSupported", "integer", false,
                       "Bits 1-0 of the byte (FMS-Standard: 0 no, 1 yes, 2 error, 3 n/a)");
        required.push_back("requestsSupported");
        required.push_back("diagnosticsSupported");
      }
    }
    w.key("extraBytes");
    w.beginObject();
    w.key("description");
    w.string(
        "Bytes after the layout, lowercase hex: packets grow (seed 004 section 4), so a longer "
        "packet is valid and what this version does not know is kept here.");
    w.key("type");
    w.string("string");
    w.key("pattern");
    w.string(kHexPattern);
    w.endObject();
  }
  w.endObject();
  w.key("required");
  w.beginArray();
  for (const auto& r : required) w.string(r);
  w.endArray();
  w.key("additionalProperties");
  w.boolean(false);
  w.endObject();
}

}  // namespace

std::string kindTitle(const PacketKind& k) {
  std::string t = k.name;
  if (k.sensorKind) t += std::string(" - ") + k.sensorKind;
  if (k.layout) t += std::string(" (seed 004 section ") + k.layout->section + ")";
  return t;
}

std::vector<std::string> packetFamilies() {
  std::vector<std::string> out;
  for (const PacketKind& k : packetKinds())
    if (std::find(out.begin(), out.end(), k.family) == out.end()) out.push_back(k.family);
  if (std::find(out.begin(), out.end(), "opaque") == out.end()) out.push_back("opaque");
  return out;
}

std::string packetFamilySchema(const std::string& family) {
  std::vector<const PacketKind*> kinds;
  for (const PacketKind& k : packetKinds())
    if (family == k.family) kinds.push_back(&k);
  if (family == unknownPacketKind().family) kinds.push_back(&unknownPacketKind());
  if (kinds.empty()) return {};
  std::string s;
  JsonWriter w(s);
  w.beginObject();
  w.key("$schema");
  w.string("https://json-schema.org/draft/2020-12/schema");
  w.key("$id");
  w.string("https://dcgw.example/schema/packets/" + family + ".schema.json");
  w.key("title");
  w.string("dcgw packet JSON: " + family);
  w.key("description");
  w.string(
      "Generated by `dcgw schema packets` from the codec tables; see schema/packets/README.md "
      "for the conventions (units, null, strings, times).");
  w.key("oneOf");
  w.beginArray();
  for (const PacketKind* k : kinds) kindSchema(w, *k);
  w.endArray();
  w.endObject();
  return prettyJson(s) + "\n";
}

std::string prettyJson(std::string_view in) {
  std::string out;
  int depth = 0;
  bool inString = false;
  auto newline = [&] {
    out.push_back('\n');
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (inString) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size()) {
        out.push_back(in[++i]);
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out.push_back(c);
        break;
      case '{':
      case '[':
        out.push_back(c);
        if (i + 1 < in.size() && (in[i + 1] == '}' || in[i + 1] == ']')) {
          out.push_back(in[++i]);
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out.push_back(c);
        break;
      case ',':
        out.push_back(c);
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace dcgw::codecs
