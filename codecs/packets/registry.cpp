// The packet-kind table of seed 004 section 4, with figure 5's filter keys.
#include "codecs/packets/registry.hpp"

#include <array>
#include <cstring>

#include "codecs/packets/families.hpp"

namespace dcgw::codecs {
namespace {

using namespace layouts;

// Filter keys the seed's figure 5 lacks (types added to the seed after the filter, or without a
// layout) are named after the type, so every kind can be chosen in a filter.
constexpr PacketKind kKinds[] = {
    {0x41, 0x00, 0x00, false, "Alcohol lock", "Alcohol lock", "opaque", nullptr, 2},
    {0x43, 0x00, 0x00, false, "CAN Logging", "CAN Logging", "opaque", nullptr, 2},
    {0x44, 0x00, 0x00, false, "New Driver notification", "New Driver notification", "new-driver",
     &kNewDriver, 156},
    {0x46, 0x80, 0x80, false, "Vehicle CAN data - FMS Initialisation",
     "Vehicle CAN data - FMS Initialisation", "vehicle-can", &kCanInitialisation, 11},
    {0x46, 0x81, 0x81, false, "Vehicle CAN data - Engine on", "Vehicle CAN data - Engine On",
     "vehicle-can", &kCanEngineOn, 34},
    {0x46, 0x82, 0x82, false, "Vehicle CAN data - In journey", "Vehicle CAN data - In Journey",
     "vehicle-can", &kCanInJourney, 32},
    {0x46, 0x83, 0x83, false, "Vehicle CAN data - Engine off", "Vehicle CAN data - Engine Off",
     "vehicle-can", &kCanEngineOff, 62},
    {0x46, 0x84, 0x84, false, "Vehicle CAN data - On change", "Vehicle CAN data - On change",
     "vehicle-can", &kCanOnChange, 47},
    {0x47, 0x00, 0x00, false, "Tracking", "Tracking", "tracking", &kTracking, 34},
    {0x47, 0x01, 0x01, false, "Positional update", "Positional update", "tracking",
     &kPositionalUpdate, 24},
    {0x47, 0x02, 0x02, false, "Tracking suppression", "Tracking suppression", "tracking",
     &kTrackingSuppression, 7},
    {0x49, 0x00, 0x00, false, "Time source comparison", "Time source comparison", "time-source",
     &kTimeSource, 11},
    {0x4D, 0x00, 0x00, false, "Tachograph mode", "Tachograph mode", "tachograph-mode",
     &kTachographMode, 40},
    {0x4D, 0x02, 0x02, false, "Stoneridge Duo", "Stoneridge Duo", "dds", &kStoneridgeDuo, 53},
    {0x4D, 0x03, 0x03, false, "VDO Counter", "VDO Counter", "dds", &kVdoCounter, 60},
    {0x4D, 0x04, 0x04, false, "Intellic iCounter", "Intellic iCounter", "dds", &kIntellicICounter,
     43},
    {0x4D, 0x0C, 0x0C, false, "Consolidated DDS", "Consolidated DDS", "dds", &kConsolidatedDds, 66},
    {0x4F, 0x00, 0xFF, true, "Odometer", "Odometer", "odometer", &kOdometer, 28},
    {0x53, 0x00, 0x03, true, "Sensors", "Sensors", "sensors", &kSensorSwitch, 7, "Switch"},
    {0x53, 0x04, 0x05, true, "Sensors", "Sensors", "sensors", &kSensorAnalogue, 8, "Analogue"},
    {0x53, 0x06, 0x06, true, "Sensors", "Sensors", "sensors", &kSensorAccelerometer, 10,
     "Accelerometer"},
    {0x53, 0x10, 0x19, true, "Sensors", "Sensors", "sensors", &kSensorOneWire, 16,
     "1-Wire Temperature Probe"},
    {0x53, 0x20, 0x2F, true, "Sensors", "Sensors", "sensors", &kSensorPassenger, 10,
     "Passenger Counter"},
    // Sensor numbers the seed does not define yet: still a sensor, kept as raw bytes.
    {0x53, 0x00, 0xFF, true, "Sensors", "Sensors", "opaque", nullptr, 2},
    {0x61, 0x00, 0x00, false, "Alerts", "Notifications", "alerts", &kAlerts, 23},
    {0x64, 0x00, 0x00, false, "Device configuration", "Device configuration", "opaque", nullptr, 2},
    {0x66, 0x00, 0x00, false, "Driver Card File", "Driver Card file", "file-summary",
     &kDriverCardSummary, 199},
    {0x66, 0x01, 0x01, false, "Workshop Card File", "Workshop Card file", "file-summary",
     &kWorkshopCardSummary, 311},
    {0x66, 0x02, 0x02, false, "Vehicle Unit File", "Vehicle Unit file", "file-summary",
     &kVehicleUnitSummary, 155},
    {0x6B, 0x00, 0x00, false, "Clocking", "Clocking", "clocking", &kClockingOriginal, 53},
    {0x6B, 0x01, 0x01, false, "Clocking", "Clocking", "clocking", &kClockingNew, 194},
};

constexpr PacketKind kUnknown{0x00, 0x00, 0xFF, false, "unknown", nullptr, "opaque", nullptr, 1};

constexpr const char* kFilterKeys[] = {
    // Seed 004 figure 5, column by column.
    "New Driver notification",
    "Vehicle CAN data - FMS Initialisation",
    "Vehicle CAN data - Engine On",
    "Vehicle CAN data - In Journey",
    "Vehicle CAN data - Engine Off",
    "Vehicle CAN data - On change",
    "Tracking",
    "Positional update",
    "Tracking suppression",
    "Tachograph mode",
    "Stoneridge Duo",
    "VDO Counter",
    "Consolidated DDS",
    "Sensors",
    "Notifications",
    "Device configuration",
    "Driver Card file",
    "Workshop Card file",
    "Vehicle Unit file",
    "Clocking",
    // Kinds the figure lacks.
    "Intellic iCounter",
    "Time source comparison",
    "Odometer",
    "Alcohol lock",
    "CAN Logging",
};

struct TypeIndex {
  std::array<std::uint8_t, 256> first{};
  std::array<std::uint8_t, 256> count{};
};

constexpr TypeIndex makeIndex() {
  TypeIndex ix{};
  constexpr std::size_t n = sizeof(kKinds) / sizeof(kKinds[0]);
  for (std::size_t i = n; i-- > 0;) {
    ix.first[kKinds[i].type] = static_cast<std::uint8_t>(i);
    ++ix.count[kKinds[i].type];
  }
  return ix;
}
// The table is grouped by type, so each type's entries are one contiguous run.
constexpr TypeIndex kIndex = makeIndex();

}  // namespace

std::span<const PacketKind> packetKinds() {
  return kKinds;
}
const PacketKind& unknownPacketKind() {
  return kUnknown;
}

const PacketKind* findPacketKind(std::uint8_t type, std::uint8_t second) {
  if (type == 0x6D) type = 0x4D;
  const std::uint8_t n = kIndex.count[type];
  const PacketKind* k = kKinds + kIndex.first[type];
  for (std::uint8_t i = 0; i < n; ++i, ++k)
    if (second >= k->subLo && second <= k->subHi) return k;
  return &kUnknown;
}

std::span<const char* const> filterKeys() {
  return kFilterKeys;
}

bool isFilterKey(const char* text, std::size_t length) {
  for (const char* k : kFilterKeys)
    if (std::strlen(k) == length && std::memcmp(k, text, length) == 0) return true;
  return false;
}

}  // namespace dcgw::codecs
