// A pool of realistic seed 004 packets for `dcgw simulate`, built once so sending only copies
// bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codecs/bytes.hpp"

namespace dcgw::simulate {

struct MixSettings {
  std::size_t poolSize{4096};
  // dateTime of the last packet of the pool, seconds since the epoch; 0: the time of building.
  // The pool covers the poolSize seconds before it, so no packet is dated in the future.
  std::int64_t endSeconds{0};
  std::uint64_t seed{2026};
};

// One vehicle's drive as a weighted mix of every packet family: mostly Tracking (0x47) along a
// route, with vehicle CAN, tachograph mode, driver decision support, clocking, sensors,
// odometer, alerts, new driver, time source and file summaries in between. Every packet is
// encoded from its JSON form by codecs::encodePacket and checked by codecs::decodePacket when
// the pool is built.
class PacketMix {
 public:
  // Throws std::logic_error when a generated packet does not encode or decode (a bug in the
  // templates here, never a property of the input).
  explicit PacketMix(const MixSettings& settings = {});

  std::size_t size() const { return offsets_.size() - 1; }
  // REQUIRES: size() > 0. The index wraps around the pool.
  codecs::ByteView packet(std::size_t index) const {
    index %= size();
    return codecs::ByteView(bytes_).subspan(offsets_[index], offsets_[index + 1] - offsets_[index]);
  }
  // What is sent in place of packet(index) under --invalid-every: its first 5 bytes, which no
  // family of the mix accepts, so the gateway must REJECT it (checked when the pool is built).
  codecs::ByteView invalidPacket(std::size_t index) const { return packet(index).first(5); }

 private:
  codecs::Bytes bytes_;               // every packet, back to back
  std::vector<std::size_t> offsets_;  // size() + 1 boundaries into bytes_
};

// Whether the n-th packet (from 1) of a device is sent invalid under `--invalid-every every`.
inline bool isInvalidPacket(std::uint64_t n, std::uint64_t every) {
  return every != 0 && n % every == 0;
}

}  // namespace dcgw::simulate
