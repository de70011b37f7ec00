// Teltonika AVL data (schema/teltonika.md section 3): the records of Codec 8, 8 Extended and 16,
// decoded from the data field (codec id .. number of data 2) that TCP and UDP both carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs::teltonika {

constexpr std::uint8_t kCodec8 = 0x08;
constexpr std::uint8_t kCodec8Extended = 0x8E;
constexpr std::uint8_t kCodec16 = 0x10;
constexpr std::uint8_t kCodec12 = 0x0C;
constexpr std::uint8_t kCodec13 = 0x0D;

bool isAvlCodec(std::uint8_t codec);  // 8, 8 Extended or 16
const char* codecName(std::uint8_t codec);

// The fewest bytes one record of the codec takes (every IO group empty).
std::size_t minRecordBytes(std::uint8_t codec);

struct GpsElement {
  std::int32_t longitude{0};  // degrees x 1e7, negative west
  std::int32_t latitude{0};   // degrees x 1e7, negative south
  std::int16_t altitude{0};   // metres
  std::uint16_t angle{0};     // degrees from north
  std::uint8_t satellites{0};
  std::uint16_t speed{0};  // km/h
};

// One IO element as received. Values of the 1/2/4/8-byte groups are also given as a number
// (big-endian, unsigned); the bytes of every element stay in the record's raw copy.
struct IoElement {
  std::uint16_t id{0};
  std::uint16_t length{0};  // 1, 2, 4, 8, or an NX element's own length (8 Extended)
  std::uint32_t offset{0};  // of the value within AvlRecord::raw
  std::uint64_t value{0};   // the value of a 1/2/4/8-byte element; 0 for NX
  bool variable{false};     // from the NX group
};

struct AvlRecord {
  std::uint8_t codec{kCodec8};
  std::uint64_t timestampMs{0};  // since 1970-01-01 UTC
  std::uint8_t priority{0};      // 0 low, 1 high, 2 panic
  GpsElement gps;
  std::uint16_t eventIoId{0};                  // the IO that caused the record; 0: periodic
  std::optional<std::uint8_t> generationType;  // Codec 16 only
  std::uint16_t totalIoCount{0};               // as sent (not checked against the groups)
  std::vector<IoElement> io;                   // in wire order
  Bytes raw;  // the record's bytes exactly as received (timestamp .. last IO value)

  const IoElement* find(std::uint16_t id) const;  // the first element with that id
  ByteView valueBytes(const IoElement& e) const {
    return ByteView(raw).subspan(e.offset, e.length);
  }
};

struct AvlData {
  std::uint8_t codec{kCodec8};
  std::vector<AvlRecord> records;
};

// Decodes codec id | N1 | N1 records | N2 (no CRC). `base` is added to every offset an error
// names, so a caller can report offsets within the whole frame or datagram.
Result<AvlData> decodeAvlData(ByteView data, std::size_t base = 0);

// ---- encoding (the simulator and tests) ----
struct IoOut {
  std::uint16_t id{0};
  Bytes value;  // 1, 2, 4 or 8 bytes go to their group; any other length to NX (8 Extended)
};
struct RecordOut {
  std::uint64_t timestampMs{0};
  std::uint8_t priority{0};
  GpsElement gps;
  std::uint16_t eventIoId{0};
  std::uint8_t generationType{0};  // Codec 16 only
  std::vector<IoOut> io;
};
// A big-endian value of `width` bytes (1, 2, 4 or 8).
IoOut ioValue(std::uint16_t id, std::uint64_t value, std::size_t width);

// Appends codec id | N | records | N. Returns an error (naming the record and id) when an id
// or a count does not fit the codec, or a value length has no group in it.
Result<Bytes> encodeAvlData(std::uint8_t codec, const std::vector<RecordOut>& records);

}  // namespace dcgw::codecs::teltonika
