// One Teltonika device's deriver: turns its AVL records into seed 004 packets (Tracking,
// Tachograph mode, Odometer, New Driver, Vehicle CAN, Consolidated DDS) as schema/teltonika.md
// section 9 specifies. Pure: no I/O, no clock; all state is in this copyable value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/teltonika/avl.hpp"
#include "codecs/teltonika/io_map.hpp"

namespace dcgw::derive {

struct AvlPacket {
  codecs::Bytes packet;  // one whole seed 004 packet (type byte first)
  std::size_t record;    // index, in the span given to derive(), of the record it was made from
};

// How many slot-1 card numbers a deriver remembers for New Driver (section 9.4).
inline constexpr std::size_t kSeenCards = 16;

class AvlDeriver {
 public:
  explicit AvlDeriver(codecs::teltonika::Family family) : family_(family) {}

  // The records of one frame (any order; derived in timestamp order, equal timestamps in frame
  // order). Returns the packets to store, in the order to store them.
  std::vector<AvlPacket> derive(std::span<const codecs::teltonika::AvlRecord> records);
  codecs::teltonika::Family family() const { return family_; }

  // The per-record state the packet builders share (public for the builders in avl_can.cpp).
  struct Latest {  // the latest value received at or before the record being derived
    std::optional<std::uint32_t> deviceOdoM, tachoOdoM;
    std::optional<std::uint64_t> fuelUsedMl;
    std::optional<std::uint8_t> fuelLevelPct;
    std::optional<std::int32_t> coolantDeciC;
    std::optional<std::int32_t> ambientC;
    std::optional<std::int32_t> serviceKm;
    // The odometer Tachograph mode, Odometer and Vehicle CAN use: the tachograph's, else the
    // device's (second: 0 tachograph, 1 device).
    std::optional<std::pair<std::uint32_t, std::uint8_t>> odometer() const;
  };
  struct Tacho {  // the last known tachograph values (raw), nullopt: never received
    std::optional<std::uint8_t> state[2], present[2];
    // The 16 characters as received (16 zero bytes: no card). Fixed arrays keep the deriver
    // free of heap memory, so the listener's copy per frame is a plain copy.
    std::optional<std::array<char, 16>> card[2];
    bool operator==(const Tacho&) const = default;
  };
  struct Journey {  // from the ignition-on edge this deriver saw, to the ignition-off edge
    bool open{false};
    std::uint32_t startSec{0};
    std::optional<std::pair<std::uint32_t, std::uint8_t>> startOdo;
    std::optional<std::uint64_t> startFuelMl;
    std::optional<std::uint32_t> maxRpm;
    // Since the last Engine on / In journey packet (section 9.5).
    std::uint32_t logSec{0};
    std::optional<std::pair<std::uint32_t, std::uint8_t>> logOdo;
    std::optional<std::uint64_t> logFuelMl;
    std::uint64_t rpmSum{0};
    std::uint32_t rpmCount{0};
    std::optional<std::uint32_t> logMaxRpm;
    std::uint16_t logMaxKmh{0};
  };

 private:
  void deriveOne(const codecs::teltonika::AvlRecord& r, std::size_t index,
                 std::vector<AvlPacket>& out);
  void track(const codecs::teltonika::AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out);
  void tachoMode(const codecs::teltonika::AvlRecord& r, std::size_t index,
                 std::vector<AvlPacket>& out);
  void ignitionEdges(const codecs::teltonika::AvlRecord& r, std::size_t index,
                     std::vector<AvlPacket>& out);
  void canEngineOn(const codecs::teltonika::AvlRecord& r, std::size_t index,
                   std::vector<AvlPacket>& out);
  void canEngineOff(const codecs::teltonika::AvlRecord& r, std::size_t index,
                    std::vector<AvlPacket>& out);
  void inJourney(const codecs::teltonika::AvlRecord& r, std::size_t index,
                 std::vector<AvlPacket>& out);
  void dds(const codecs::teltonika::AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out);
  std::string slot1Card() const;  // 14 characters for the packets' CardNumber fields

  codecs::teltonika::Family family_;
  Latest latest_;
  // Tracking (section 9.1): the previous Tracking point and what happened since it.
  struct Point {
    std::uint64_t ms;
    std::int32_t lat, lon;
    std::optional<std::uint32_t> deviceOdoM, tachoOdoM;  // the record's own values
  };
  std::optional<Point> lastPoint_;
  std::uint16_t maxKmh_{0};
  std::optional<std::pair<std::uint64_t, std::uint16_t>> lastSpeed_;  // ms, km/h
  std::optional<std::int32_t> minAcc_, maxAcc_;                       // 1/100 m/s2
  // Tachograph mode (9.2) and DDS (9.6).
  Tacho tacho_;
  std::optional<Tacho> sentTacho_;
  std::optional<std::uint32_t> lastDdsSec_;
  std::optional<std::uint8_t> sentDdsMode_;
  std::array<char, 14> sentDdsCard_{};
  std::optional<std::uint16_t> ddsMin_[4];  // continuous drive, break, activity, daily drive
  std::optional<std::uint8_t> trs_;
  // Ignition (9.3, 9.5).
  std::optional<bool> ignition_;
  bool fmsInitSent_{false};
  std::optional<std::array<char, 4>> fmsVersion_;
  std::optional<std::uint8_t> fmsDiagnostics_;
  Journey journey_;
  // New Driver (9.4): the last kSeenCards slot-1 card numbers, oldest first.
  std::array<std::array<char, 14>, kSeenCards> seen_{};  // space padded
  std::size_t seenCount_{0};
};

}  // namespace dcgw::derive
