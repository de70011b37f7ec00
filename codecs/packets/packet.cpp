// The table-driven engine behind every packet layout: decode, render as JSON, encode from JSON.
#include "codecs/packets/packet.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "codecs/timefmt.hpp"

namespace dcgw::codecs {
namespace {

constexpr std::string_view kInfoKeys[] = {"title", "alert", "p1", "p2", "p3", "p4",
                                          "p5",    "p6",    "p7", "p8", "p9", "p10"};

bool isNumeric(FieldKind k) {
  switch (k) {
    case FieldKind::U8:
    case FieldKind::U16BE:
    case FieldKind::U32BE:
    case FieldKind::I16BE:
    case FieldKind::I32BE:
    case FieldKind::U16LE:
    case FieldKind::U24LE:
    case FieldKind::U32LE:
    case FieldKind::TimeReal:
      return true;
    default:
      return false;
  }
}

bool isSigned(FieldKind k) {
  return k == FieldKind::I16BE || k == FieldKind::I32BE;
}

std::uint32_t allOnes(std::uint16_t size) {
  return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

std::uint32_t readRaw(const std::uint8_t* b, FieldKind k) {
  switch (k) {
    case FieldKind::U8:
      return b[0];
    case FieldKind::U16BE:
    case FieldKind::I16BE:
      return std::uint32_t{b[0]} << 8 | b[1];
    case FieldKind::U16LE:
      return std::uint32_t{b[1]} << 8 | b[0];
    case FieldKind::U24LE:
      return std::uint32_t{b[2]} << 16 | std::uint32_t{b[1]} << 8 | b[0];
    case FieldKind::U32LE:
      return std::uint32_t{b[3]} << 24 | std::uint32_t{b[2]} << 16 | std::uint32_t{b[1]} << 8 |
             b[0];
    default:  // U32BE, I32BE, TimeReal
      return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
             b[3];
  }
}

std::int64_t signedValue(const FieldValue& f) {
  if (f.spec->kind == FieldKind::I16BE) return static_cast<std::int16_t>(f.raw);
  if (f.spec->kind == FieldKind::I32BE) return static_cast<std::int32_t>(f.raw);
  return f.raw;
}

std::string expectBytes(const FieldSpec& f, std::size_t have) {
  return std::to_string(f.size) + " byte" + (f.size == 1 ? "" : "s") + ", but the packet is " +
         std::to_string(have) + " byte" + (have == 1 ? "" : "s") + " long";
}

}  // namespace

TimeRelatedState timeRelatedState(std::uint8_t v) {
  static constexpr TimeRelatedState kTable[] = {
      {"No time related warning active", 0},
      {"Continuous driving time pre-warning active (15 min before 4h30)", 1},
      {"Continuous driving time warning active (4h30 exceeded)", 2},
      {"Daily driving time pre-warning active", 1},
      {"Daily driving time warning active", 2},
      {"Daily/weekly rest pre-warning active", 1},
      {"Daily/weekly rest warning active", 2},
      {"Weekly driving time pre-warning active", 1},
      {"Weekly driving time warning active", 2},
      {"Two week driving time pre-warning active", 1},
      {"Two week driving time warning active", 2},
      {"Card expiry warning active", 1},
      {"Next mandatory driver card download warning active", 1},
      {"other", 0},
  };
  if (v < sizeof(kTable) / sizeof(kTable[0])) return kTable[v];
  return {"unknown", -1};
}

Status decodePacket(ByteView bytes, Packet& out) {
  out.bytes = bytes;
  out.fieldCount = 0;
  if (bytes.empty()) return makeError("type", 0, "1 byte (the packet is empty)");
  out.type = bytes[0];
  out.second = bytes.size() > 1 ? bytes[1] : 0;
  out.kind = findPacketKind(out.type, out.second);
  const Layout* layout = out.kind->layout;
  if (!layout) {
    // Known types without a layout still carry a subtype byte; unknown types may be anything.
    if (out.kind->minLength > bytes.size())
      return makeError(out.kind->secondByteIsField ? "sensorNumber" : "subtype", 1,
                       "1 byte, but the packet is 1 byte long");
    out.end = static_cast<std::uint16_t>(bytes.size() > 0xFFFF ? 0xFFFF : bytes.size());
    return Ok{};
  }
  const std::size_t size = bytes.size();
  if (size < 2)
    return makeError(out.kind->secondByteIsField ? layout->fields[0].key : "subtype", 1,
                     "1 byte, but the packet is 1 byte long");
  std::size_t end = 2;
  if (layout->fields.size() > kMaxFields)  // a table error, caught by PacketRegistry tests
    return makeError("layout", 0, "at most 40 fields per layout");
  for (const FieldSpec& f : layout->fields) {
    if (f.kind == FieldKind::InfoStrings) {
      end = size;  // the rest of the packet, whatever its length
      break;
    }
    if (f.offset + f.size > size) {
      if ((f.flags & kOptional) && f.offset == size) break;  // a short form ends here
      return makeError(f.key, f.offset, expectBytes(f, size));
    }
    const std::uint8_t* p = bytes.data() + f.offset;
    if (isNumeric(f.kind)) {
      out.fields[out.fieldCount++] = FieldValue{&f, readRaw(p, f.kind)};
    } else if (f.kind == FieldKind::Datef) {
      CivilDate d;
      if (!decodeDatefBcd(p, d))
        return makeError(f.key, f.offset, "a BCD date yyyymmdd, got " + toHex({p, 4}));
      out.fields[out.fieldCount++] = FieldValue{&f, 0};
    } else {
      out.fields[out.fieldCount++] = FieldValue{&f, 0};
    }
    end = f.offset + f.size;
  }
  out.end = static_cast<std::uint16_t>(end > 0xFFFF ? 0xFFFF : end);
  return Ok{};
}

Result<Packet> decodePacket(ByteView bytes) {
  Packet p;
  Status s = decodePacket(bytes, p);
  if (!s) return s.error();
  return p;
}

namespace {

void appendUtf8(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | cp >> 6));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | cp >> 12));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | cp >> 18));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void trimInPlace(std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\0')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0')) --e;
  s = s.substr(b, e - b);
}

// Single-byte text: 7-bit ASCII in the seed; other bytes are read as Latin-1 so nothing is lost.
std::string latin1Text(ByteView b) {
  std::string s;
  s.reserve(b.size());
  for (std::uint8_t c : b) {
    if (c == 0) break;
    appendUtf8(s, c);
  }
  trimInPlace(s);
  return s;
}

std::string utf16leText(ByteView b) {
  std::string s;
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    std::uint32_t u = std::uint32_t{b[i + 1]} << 8 | b[i];
    if (u == 0) break;
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < b.size()) {
      std::uint32_t lo = std::uint32_t{b[i + 3]} << 8 | b[i + 2];
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        appendUtf8(s, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;  // a lone surrogate cannot be rendered
    appendUtf8(s, u);
  }
  trimInPlace(s);
  return s;
}

// Info bytes as UTF-8 text; invalid sequences become U+FFFD so the JSON stays valid.
std::string utf8Text(ByteView b) {
  std::string_view in(reinterpret_cast<const char*>(b.data()), b.size());
  std::string s;
  std::uint32_t cp;
  for (std::size_t i = 0; i < in.size();) {
    int n = decodeUtf8(in, i, cp);
    if (n > 0) {
      s.append(in.substr(i, static_cast<std::size_t>(n)));
      i += static_cast<std::size_t>(n);
    } else {
      appendUtf8(s, 0xFFFD);
      ++i;
    }
  }
  return s;
}

void renderNumber(const FieldSpec& f, std::int64_t v, JsonWriter& w) {
  if (f.scale.identity()) {
    w.integer(v);
    return;
  }
  double d = static_cast<double>(v * f.scale.num) / f.scale.den + f.scale.add;
  if (f.scale.den == 1) {
    w.integer(static_cast<std::int64_t>(d));
  } else {
    w.number(d);
  }
}

void renderInfo(ByteView info, JsonWriter& w, std::size_t& consumed) {
  std::size_t pos = 0, piece = 0;
  consumed = 0;
  for (; piece < 12 && pos < info.size(); ++piece) {
    std::size_t nul = pos;
    while (nul < info.size() && info[nul] != 0) ++nul;
    w.key(kInfoKeys[piece]);
    std::string s = utf8Text(info.subspan(pos, nul - pos));
    w.string(s);
    pos = nul < info.size() ? nul + 1 : nul;
  }
  for (; piece < 12; ++piece) {
    w.key(kInfoKeys[piece]);
    w.null();
  }
  consumed = pos;
}

}  // namespace

void renderPacketJson(const Packet& p, JsonWriter& w) {
  w.beginObject();
  w.key("type");
  w.integer(p.type);
  w.key("subtype");
  if (p.kind->secondByteIsField || p.bytes.size() < 2) {
    w.null();
  } else {
    w.integer(p.second);
  }
  w.key("name");
  w.string(p.kind->name);
  if (p.kind->sensorKind) {
    w.key("sensorKind");
    w.string(p.kind->sensorKind);
  }
  if (!p.hasLayout()) {
    w.key("raw");
    w.string(toHex(p.bytes));
    w.endObject();
    return;
  }
  std::size_t end = p.end;
  const std::uint8_t* base = p.bytes.data();
  // decodePacket stores one FieldValue per layout field, in layout order.
  std::size_t index = 0;
  for (const FieldSpec& f : p.kind->layout->fields) {
    const FieldValue& fv = p.fields[index++];
    if (f.kind == FieldKind::InfoStrings) {
      std::size_t used = 0;
      renderInfo(p.bytes.subspan(f.offset), w, used);
      end = f.offset + used;
      continue;
    }
    if (f.offset + f.size > p.bytes.size()) break;  // an optional tail that is absent
    if (f.kind == FieldKind::Reserved) continue;
    w.key(f.key);
    ByteView fb{base + f.offset, f.size};
    switch (f.kind) {
      case FieldKind::Ascii:
        w.string(latin1Text(fb));
        break;
      case FieldKind::Utf16LE:
        w.string(utf16leText(fb));
        break;
      case FieldKind::Hex:
        w.string(toHex(fb));
        break;
      case FieldKind::FmsVersion: {
        bool whole = std::none_of(fb.begin(), fb.end(), [](auto c) { return c == 0 || c == ' '; });
        w.string(whole ? latin1Text(fb.subspan(0, 2)) + "." + latin1Text(fb.subspan(2))
                       : latin1Text(fb));
        break;
      }
      case FieldKind::Datef: {
        CivilDate d{};
        decodeDatefBcd(fb.data(), d);
        if (d.year == 0 && d.month == 0 && d.day == 0) {
          w.null();
        } else {
          w.string(formatDate(d));
        }
        break;
      }
      default: {
        bool isNull = (f.flags & kNullable) && fv.raw == allOnes(f.size);
        if (isNull) {
          w.null();
        } else if (f.kind == FieldKind::TimeReal) {
          w.string(formatTimeReal(fv.raw));
        } else {
          renderNumber(f, signedValue(fv), w);
        }
        if (f.flags & kTimeRelatedStates) {
          std::string k(f.key);
          w.key(k + "Description");
          if (isNull) {
            w.null();
          } else {
            w.string(timeRelatedState(static_cast<std::uint8_t>(fv.raw)).description);
          }
          w.key(k + "Level");
          int level = timeRelatedState(static_cast<std::uint8_t>(fv.raw)).level;
          if (isNull || level < 0) {
            w.null();
          } else {
            w.integer(level);
          }
        }
        if (f.flags & kVdoBitMask) {
          w.key("reducedRestAvailable");
          w.integer((fv.raw >> 3) & 3);
          w.key("extendedDriveAvailable");
          w.integer(fv.raw & 3);
        }
        if (f.flags & kFmsSupport) {
          w.key("requestsSupported");
          w.integer((fv.raw >> 2) & 3);
          w.key("diagnosticsSupported");
          w.integer(fv.raw & 3);
        }
        break;
      }
    }
  }
  if (end < p.bytes.size()) {
    w.key("extraBytes");
    w.string(toHex(p.bytes.subspan(end)));
  }
  w.endObject();
}

std::string renderPacketJson(const Packet& p) {
  std::string s;
  s.reserve(512);
  JsonWriter w(s);
  renderPacketJson(p, w);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Encoding from JSON.
namespace {

Error fieldError(const FieldSpec& f, std::string expected) {
  return makeError(f.key, f.offset, std::move(expected));
}

// UTF-8 -> code points; false on malformed input.
bool codePoints(std::string_view s, std::vector<std::uint32_t>& out) {
  out.clear();
  std::uint32_t cp;
  for (std::size_t i = 0; i < s.size();) {
    int n = decodeUtf8(s, i, cp);
    if (n == 0) return false;
    out.push_back(cp);
    i += static_cast<std::size_t>(n);
  }
  return true;
}

Status encodeText(const FieldSpec& f, const JsonValue* v, std::uint8_t* dst) {
  if (!v || !v->isString()) return fieldError(f, "a string");
  std::vector<std::uint32_t> cps;
  if (!codePoints(v->asString(), cps)) return fieldError(f, "valid UTF-8 text");
  if (f.kind == FieldKind::FmsVersion) {
    // Rendered "ab.cd" from four characters; anything else was rendered as it stands.
    if (cps.size() == 5 && cps[2] == '.') cps.erase(cps.begin() + 2);
    if (cps.size() > 4) return fieldError(f, "a version \"ab.cd\"");
  }
  if (f.kind == FieldKind::Utf16LE) {
    std::vector<std::uint16_t> units;
    for (std::uint32_t cp : cps) {
      if (cp >= 0x10000) {
        units.push_back(static_cast<std::uint16_t>(0xD800 + ((cp - 0x10000) >> 10)));
        units.push_back(static_cast<std::uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
      } else {
        units.push_back(static_cast<std::uint16_t>(cp));
      }
    }
    if (units.size() * 2 > f.size)
      return fieldError(f, "at most " + std::to_string(f.size / 2) + " UTF-16 code units");
    for (std::size_t i = 0; i < f.size / 2u; ++i) {
      std::uint16_t u = i < units.size() ? units[i] : 0;
      dst[2 * i] = static_cast<std::uint8_t>(u);
      dst[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
    }
    return Ok{};
  }
  if (cps.size() > f.size)
    return fieldError(f, "at most " + std::to_string(f.size) + " characters");
  for (std::size_t i = 0; i < f.size; ++i) {
    if (i < cps.size() && cps[i] > 0xFF)
      return fieldError(f, "single-byte (ASCII/Latin-1) characters");
    dst[i] = i < cps.size() ? static_cast<std::uint8_t>(cps[i]) : ' ';
  }
  return Ok{};
}

Status encodeNumber(const FieldSpec& f, const JsonValue* v, std::uint8_t* dst) {
  std::int64_t raw = 0;
  if (f.kind == FieldKind::TimeReal) {
    if (v && v->isNull() && (f.flags & kNullable)) {
      raw = 0xFFFFFFFF;
    } else if (v && v->isString()) {
      auto t = parseTimeReal(v->asString());
      if (!t) return fieldError(f, "an ISO-8601 UTC time YYYY-MM-DDTHH:MM:SSZ");
      raw = *t;
    } else if (v && v->asExactInteger()) {
      raw = *v->asExactInteger();  // seconds since the epoch are accepted too
    } else {
      return fieldError(f, "an ISO-8601 UTC time YYYY-MM-DDTHH:MM:SSZ");
    }
  } else if (v && v->isNull() && (f.flags & kNullable)) {
    raw = allOnes(f.size);
  } else if (v && v->isNumber()) {
    if (f.scale.identity()) {
      if (!v->asExactInteger()) return fieldError(f, "an integer");
      raw = *v->asExactInteger();
    } else {
      double r = (v->asDouble() - f.scale.add) * f.scale.den / f.scale.num;
      if (!std::isfinite(r) || std::fabs(r) > 9.0e15) return fieldError(f, "a number in range");
      raw = std::llround(r);
    }
  } else {
    return fieldError(f, (f.flags & kNullable) ? "a number or null" : "a number");
  }
  std::int64_t lo = 0, hi = allOnes(f.size);
  if (isSigned(f.kind)) {
    hi = (std::int64_t{1} << (8 * f.size - 1)) - 1;
    lo = -hi - 1;
  }
  if (raw < lo || raw > hi)
    return fieldError(f, "a value that fits " + std::to_string(f.size) + " byte" +
                             (f.size == 1 ? "" : "s") + (isSigned(f.kind) ? " signed" : ""));
  auto u = static_cast<std::uint32_t>(raw);
  switch (f.kind) {
    case FieldKind::U8:
      dst[0] = static_cast<std::uint8_t>(u);
      break;
    case FieldKind::U16BE:
    case FieldKind::I16BE:
      dst[0] = static_cast<std::uint8_t>(u >> 8);
      dst[1] = static_cast<std::uint8_t>(u);
      break;
    case FieldKind::U16LE:
    case FieldKind::U24LE:
    case FieldKind::U32LE:
      for (std::uint16_t i = 0; i < f.size; ++i) dst[i] = static_cast<std::uint8_t>(u >> (8 * i));
      break;
    default:
      for (std::uint16_t i = 0; i < 4; ++i) dst[i] = static_cast<std::uint8_t>(u >> (8 * (3 - i)));
  }
  return Ok{};
}

Status encodeHex(const FieldSpec& f, const JsonValue* v, std::uint8_t* dst) {
  Bytes b;
  if (!v || !v->isString() || !fromHex(v->asString(), b) || b.size() != f.size)
    return fieldError(f, "a hex string of " + std::to_string(f.size) + " bytes");
  std::copy(b.begin(), b.end(), dst);
  return Ok{};
}

Result<int> intMember(const JsonValue& o, const char* key, std::size_t offset) {
  const JsonValue* v = o.find(key);
  if (!v || !v->asExactInteger() || *v->asExactInteger() < 0 || *v->asExactInteger() > 255)
    return makeError(key, offset, "an integer 0-255");
  return static_cast<int>(*v->asExactInteger());
}

}  // namespace

Result<Bytes> encodePacket(const JsonValue& o) {
  if (!o.isObject()) return makeError("packet", 0, "a JSON object");
  // A raw form wins for kinds without a layout, and is accepted for any packet.
  const JsonValue* raw = o.find("raw");
  if (raw && raw->isString()) {
    Bytes b;
    if (!fromHex(raw->asString(), b) || b.empty())
      return makeError("raw", 0, "a hex string of at least 1 byte");
    return b;
  }
  auto type = intMember(o, "type", 0);
  if (!type) return type.error();
  // Find the kind: its second byte is the subtype or, for 0x4F/0x53, a named field.
  const PacketKind* probe = findPacketKind(static_cast<std::uint8_t>(*type), 0);
  int second = 0;
  if (probe->secondByteIsField && probe->layout) {
    auto s = intMember(o, probe->layout->fields[0].key, 1);
    if (!s) return s.error();
    second = *s;
  } else {
    auto s = intMember(o, "subtype", 1);
    if (!s) return s.error();
    second = *s;
  }
  const PacketKind* kind =
      findPacketKind(static_cast<std::uint8_t>(*type), static_cast<std::uint8_t>(second));
  if (!kind->layout) return makeError("raw", 0, "the packet as hex (this kind has no layout)");
  const Layout& layout = *kind->layout;
  Bytes out(layout.fullLength, 0);
  out[0] = static_cast<std::uint8_t>(*type);
  out[1] = static_cast<std::uint8_t>(second);
  std::size_t length = 2;
  for (const FieldSpec& f : layout.fields) {
    if (f.offset == 1) {  // the second byte, already placed
      length = 2;
      continue;
    }
    if (f.kind == FieldKind::InfoStrings) {
      // Title, Alert, P1..P10 joined by NUL; absent trailing items are left out.
      std::size_t last = 0;
      for (std::size_t i = 0; i < 12; ++i) {
        const JsonValue* v = o.find(kInfoKeys[i]);
        if (v && !v->isNull()) last = i + 1;
      }
      for (std::size_t i = 0; i < last; ++i) {
        const JsonValue* v = o.find(kInfoKeys[i]);
        if (v && !v->isNull() && !v->isString())
          return makeError(std::string(kInfoKeys[i]), f.offset, "a string or null");
        if (i > 0) out.push_back(0);
        if (v && v->isString()) out.insert(out.end(), v->asString().begin(), v->asString().end());
      }
      // After P10 the decoder takes a NUL as the end of the info; extra bytes follow it.
      if (const JsonValue* extra = o.find("extraBytes");
          last == 12 && extra && extra->isString() && !extra->asString().empty())
        out.push_back(0);
      length = out.size();
      continue;
    }
    if (f.kind == FieldKind::Reserved) {
      length = f.offset + f.size;
      continue;
    }
    const JsonValue* v = o.find(f.key);
    if (!v && (f.flags & kOptional)) break;  // the short form (Tracking without GPS extras)
    if (!v) return fieldError(f, "a member \"" + std::string(f.key) + "\"");
    std::uint8_t* dst = out.data() + f.offset;
    Status s = Ok{};
    switch (f.kind) {
      case FieldKind::Ascii:
      case FieldKind::Utf16LE:
      case FieldKind::FmsVersion:
        s = encodeText(f, v, dst);
        break;
      case FieldKind::Hex:
        s = encodeHex(f, v, dst);
        break;
      case FieldKind::Datef:
        if (v->isNull()) break;  // 00000000: no date
        if (!v->isString() || !parseDateToBcd(v->asString(), dst))
          s = fieldError(f, "a date YYYY-MM-DD");
        break;
      default:
        s = encodeNumber(f, v, dst);
    }
    if (!s) return s.error();
    length = f.offset + f.size;
  }
  out.resize(length);
  if (const JsonValue* extra = o.find("extraBytes"); extra && !extra->isNull()) {
    Bytes b;
    if (!extra->isString() || !fromHex(extra->asString(), b))
      return makeError("extraBytes", out.size(), "a hex string");
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

}  // namespace dcgw::codecs
