// Encoding AVL data fields (for `dcgw simulate` and the tests): the exact inverse of decodeAvlData.
#include <array>

#include "codecs/teltonika/avl.hpp"

namespace dcgw::codecs::teltonika {
namespace {

void writeUint(Bytes& out, std::uint64_t v, std::size_t width) {
  for (std::size_t i = width; i-- > 0;) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

int groupOf(std::size_t length) {
  switch (length) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
  }
  return 4;  // NX
}

}  // namespace

IoOut ioValue(std::uint16_t id, std::uint64_t value, std::size_t width) {
  IoOut o;
  o.id = id;
  writeUint(o.value, value, width);
  return o;
}

Result<Bytes> encodeAvlData(std::uint8_t codec, const std::vector<RecordOut>& records) {
  if (!isAvlCodec(codec)) return makeError("codec id", 0, "0x08, 0x8E or 0x10");
  if (records.size() > 255) return makeError("number of data", 0, "at most 255 records");
  const bool ext = codec == kCodec8Extended;
  const std::size_t idWidth = codec == kCodec8 ? 1 : 2;
  const std::size_t countWidth = ext ? 2 : 1;
  const std::uint64_t maxId = idWidth == 1 ? 0xFF : 0xFFFF;
  const std::uint64_t maxCount = countWidth == 1 ? 0xFF : 0xFFFF;
  Bytes out;
  out.push_back(codec);
  out.push_back(static_cast<std::uint8_t>(records.size()));
  for (std::size_t i = 0; i < records.size(); ++i) {
    const RecordOut& r = records[i];
    const std::string at = "record " + std::to_string(i + 1);
    std::array<std::vector<const IoOut*>, 5> groups;
    for (const IoOut& io : r.io) {
      const int g = groupOf(io.value.size());
      if (g == 4 && (!ext || io.value.size() > 0xFFFF))
        return makeError(at + " IO " + std::to_string(io.id), 0,
                         "a value of 1, 2, 4 or 8 bytes (variable lengths need 8 Extended)");
      if (io.id > maxId)
        return makeError(at + " IO " + std::to_string(io.id), 0,
                         "an id of at most " + std::to_string(maxId));
      groups[g].push_back(&io);
    }
    for (const auto& g : groups)
      if (g.size() > maxCount) return makeError(at, 0, "too many IO elements for the codec");
    if (r.io.size() > maxCount) return makeError(at, 0, "too many IO elements for the codec");
    if (r.eventIoId > maxId) return makeError(at + " event IO id", 0, "an id the codec holds");
    writeUint(out, r.timestampMs, 8);
    out.push_back(r.priority);
    writeUint(out, static_cast<std::uint32_t>(r.gps.longitude), 4);
    writeUint(out, static_cast<std::uint32_t>(r.gps.latitude), 4);
    writeUint(out, static_cast<std::uint16_t>(r.gps.altitude), 2);
    writeUint(out, r.gps.angle, 2);
    out.push_back(r.gps.satellites);
    writeUint(out, r.gps.speed, 2);
    writeUint(out, r.eventIoId, idWidth);
    if (codec == kCodec16) out.push_back(r.generationType);
    writeUint(out, r.io.size(), countWidth);
    for (int g = 0; g < 4; ++g) {
      writeUint(out, groups[g].size(), countWidth);
      for (const IoOut* io : groups[g]) {
        writeUint(out, io->id, idWidth);
        out.insert(out.end(), io->value.begin(), io->value.end());
      }
    }
    if (ext) {
      writeUint(out, groups[4].size(), 2);
      for (const IoOut* io : groups[4]) {
        writeUint(out, io->id, 2);
        writeUint(out, io->value.size(), 2);
        out.insert(out.end(), io->value.begin(), io->value.end());
      }
    }
  }
  out.push_back(static_cast<std::uint8_t>(records.size()));
  return out;
}

}  // namespace dcgw::codecs::teltonika
