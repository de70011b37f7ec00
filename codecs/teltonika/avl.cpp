// Decoding the AVL data field of Codec 8, 8 Extended and 16; offsets in errors are `base` plus
// the position within the data field.
#include "codecs/teltonika/avl.hpp"

#include <cstdio>

namespace dcgw::codecs::teltonika {
namespace {

// Field widths that differ between the codecs (wiki "Codec 8 and 8 Extended differences").
struct Widths {
  std::size_t id;      // IO id inside the groups
  std::size_t event;   // event IO id
  std::size_t count;   // total count and the group counts
  bool generation;     // Codec 16's generation type after the event id
  bool variableGroup;  // 8 Extended's NX group
};

Widths widthsOf(std::uint8_t codec) {
  if (codec == kCodec8Extended) return {2, 2, 2, false, true};
  if (codec == kCodec16) return {2, 2, 1, true, false};
  return {1, 1, 1, false, false};
}

std::string hex2(std::uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v);
  return buf;
}

// Where a read happens, turned into a field name only when it fails (decoding stays free of
// string work on the hot path): "record 2 N4 element 1 of 3 value".
struct Field {
  const char* name;
  std::size_t record{0};       // 1-based; 0: outside the records
  const char* group{nullptr};  // "N1", "N2", "N4", "N8", "NX"
  std::uint64_t k{0}, n{0};    // element k of n within the group
  std::string text() const {
    std::string s;
    if (record) s = "record " + std::to_string(record) + " ";
    if (group) {
      s += group;
      s += k ? " element " + std::to_string(k) + " of " + std::to_string(n) + " " : " ";
    }
    return s + name;
  }
};

// A reader of the data field that names what it failed to read.
class FieldReader {
 public:
  FieldReader(ByteView data, std::size_t base) : r_(data), base_(base) {}

  std::size_t offset() const { return base_ + r_.position(); }
  std::size_t position() const { return r_.position(); }
  std::size_t remaining() const { return r_.remaining(); }

  bool uint(std::size_t width, const Field& field, std::uint64_t& out) {
    out = 0;
    if (!r_.has(width)) {
      error_ = makeError(field.text(), offset(),
                         std::to_string(width) + " bytes, but the data field ends after " +
                             std::to_string(r_.remaining()));
      return false;
    }
    for (std::size_t i = 0; i < width; ++i) {
      std::uint8_t b = 0;
      r_.readU8(b);
      out = out << 8 | b;
    }
    return true;
  }
  bool skip(std::size_t n, const Field& field) {
    if (!r_.skip(n)) {
      error_ =
          makeError(field.text(), offset(),
                    std::to_string(n) + " bytes (IO value length over the frame), but " +
                        "the data field holds only " + std::to_string(r_.remaining()) + " more");
      return false;
    }
    return true;
  }
  Error take() { return std::move(error_); }

 private:
  ByteReader r_;
  std::size_t base_;
  Error error_;
};

// One record; `view` is the whole data field, the reader positioned at the record's start.
bool readRecord(FieldReader& r, ByteView view, std::uint8_t codec, std::size_t index,
                AvlRecord& rec, Error& err) {
  const Widths w = widthsOf(codec);
  const std::size_t start = r.position();
  const std::size_t at = index + 1;
  std::uint64_t v = 0;
  rec.codec = codec;
  auto fail = [&] {
    err = r.take();
    return false;
  };
  if (!r.uint(8, {"timestamp", at}, v)) return fail();
  rec.timestampMs = v;
  if (!r.uint(1, {"priority", at}, v)) return fail();
  rec.priority = static_cast<std::uint8_t>(v);
  if (!r.uint(4, {"longitude", at}, v)) return fail();
  rec.gps.longitude = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  if (!r.uint(4, {"latitude", at}, v)) return fail();
  rec.gps.latitude = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  if (!r.uint(2, {"altitude", at}, v)) return fail();
  rec.gps.altitude = static_cast<std::int16_t>(static_cast<std::uint16_t>(v));
  if (!r.uint(2, {"angle", at}, v)) return fail();
  rec.gps.angle = static_cast<std::uint16_t>(v);
  if (!r.uint(1, {"satellites", at}, v)) return fail();
  rec.gps.satellites = static_cast<std::uint8_t>(v);
  if (!r.uint(2, {"speed", at}, v)) return fail();
  rec.gps.speed = static_cast<std::uint16_t>(v);
  if (!r.uint(w.event, {"event IO id", at}, v)) return fail();
  rec.eventIoId = static_cast<std::uint16_t>(v);
  if (w.generation) {
    if (!r.uint(1, {"generation type", at}, v)) return fail();
    rec.generationType = static_cast<std::uint8_t>(v);
  }
  if (!r.uint(w.count, {"total IO count", at}, v)) return fail();
  rec.totalIoCount = static_cast<std::uint16_t>(v);

  static constexpr std::size_t kWidths[] = {1, 2, 4, 8};
  static constexpr const char* kGroups[] = {"N1", "N2", "N4", "N8"};
  for (int g = 0; g < 4; ++g) {
    const std::size_t width = kWidths[g];
    std::uint64_t n = 0;
    if (!r.uint(w.count, {"count", at, kGroups[g]}, n)) return fail();
    for (std::uint64_t k = 1; k <= n; ++k) {
      IoElement e;
      if (!r.uint(w.id, {"id", at, kGroups[g], k, n}, v)) return fail();
      e.id = static_cast<std::uint16_t>(v);
      e.offset = static_cast<std::uint32_t>(r.position() - start);
      if (!r.uint(width, {"value", at, kGroups[g], k, n}, v)) return fail();
      e.length = static_cast<std::uint16_t>(width);
      e.value = v;
      rec.io.push_back(e);
    }
  }
  if (w.variableGroup) {
    std::uint64_t n = 0;
    if (!r.uint(2, {"count", at, "NX"}, n)) return fail();
    for (std::uint64_t k = 1; k <= n; ++k) {
      IoElement e;
      if (!r.uint(2, {"id", at, "NX", k, n}, v)) return fail();
      e.id = static_cast<std::uint16_t>(v);
      if (!r.uint(2, {"length", at, "NX", k, n}, v)) return fail();
      e.length = static_cast<std::uint16_t>(v);
      e.variable = true;
      e.offset = static_cast<std::uint32_t>(r.position() - start);
      if (!r.skip(e.length, {"value", at, "NX", k, n})) return fail();
      rec.io.push_back(e);
    }
  }
  const ByteView raw = view.subspan(start, r.position() - start);
  rec.raw.assign(raw.begin(), raw.end());
  return true;
}

}  // namespace

bool isAvlCodec(std::uint8_t codec) {
  return codec == kCodec8 || codec == kCodec8Extended || codec == kCodec16;
}

const char* codecName(std::uint8_t codec) {
  switch (codec) {
    case kCodec8:
      return "Codec 8";
    case kCodec8Extended:
      return "Codec 8 Extended";
    case kCodec16:
      return "Codec 16";
    case kCodec12:
      return "Codec 12";
    case kCodec13:
      return "Codec 13";
  }
  return "unknown codec";
}

std::size_t minRecordBytes(std::uint8_t codec) {
  const Widths w = widthsOf(codec);
  const std::size_t fixed = 8 + 1 + 15;  // timestamp, priority, GPS element
  return fixed + w.event + (w.generation ? 1 : 0) + w.count * 5 + (w.variableGroup ? 2 : 0);
}

const IoElement* AvlRecord::find(std::uint16_t id) const {
  for (const IoElement& e : io)
    if (e.id == id) return &e;
  return nullptr;
}

Result<AvlData> decodeAvlData(ByteView data, std::size_t base) {
  if (data.size() < 3)
    return makeError("data field", base,
                     "codec id, number of data 1 and number of data 2 (3 bytes at least), not " +
                         std::to_string(data.size()) + " bytes");
  AvlData out;
  out.codec = data[0];
  if (!isAvlCodec(out.codec))
    return makeError("codec id", base, "0x08, 0x8E or 0x10 (AVL data), not " + hex2(out.codec));
  const std::uint8_t n1 = data[1];
  const std::uint8_t n2 = data[data.size() - 1];
  if (n1 != n2)
    return makeError(
        "number of data 2", base + data.size() - 1,
        "the same as number of data 1 (" + std::to_string(n1) + "), not " + std::to_string(n2));
  const ByteView body = data.first(data.size() - 1);  // the records end before N2
  const std::size_t room = body.size() - 2;
  if (std::size_t{n1} * minRecordBytes(out.codec) > room)
    return makeError("number of data 1", base + 1,
                     std::to_string(n1) + " records need at least " +
                         std::to_string(std::size_t{n1} * minRecordBytes(out.codec)) +
                         " bytes, the data field holds " + std::to_string(room));
  FieldReader r(body, base);
  std::uint64_t skip = 0;
  r.uint(2, {"codec id and number of data 1"}, skip);
  out.records.reserve(n1);
  for (std::size_t i = 0; i < n1; ++i) {
    AvlRecord rec;
    Error err;
    if (!readRecord(r, body, out.codec, i, rec, err)) return err;
    out.records.push_back(std::move(rec));
  }
  if (r.remaining() != 0)
    return makeError("number of data 2", r.offset(),
                     "the end of the " + std::to_string(n1) + " records, but " +
                         std::to_string(r.remaining()) +
                         " trailing bytes come before it in the data field");
  return out;
}

}  // namespace dcgw::codecs::teltonika
