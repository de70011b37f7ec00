// Test helper: synthetic vehicle-unit download files (.DDD, TV format) laid out as Annex 1C
// Appendix 7 section 2.2.6 sends them (SID 76 + TREP, then the TREP's data), Gen1 and Gen2
// (versions 1 and 2), filled with made-up data only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/ddd/summary.hpp"

namespace dcgw::testing {

// One VuCalibrationRecord (data dictionary 2.174); the other members are filled by the builder.
struct VuCalibrationSpec {
  std::uint32_t oldTime{};
  std::uint32_t newTime{};
  std::uint8_t authorisedSpeed{};
  std::uint32_t nextCalibrationDate{};
  std::uint8_t nation{};           // vehicleRegistrationIdentification.vehicleRegistrationNation
  std::string registrationNumber;  // code page 1 bytes, at most 13
};

struct VuSpec {
  codecs::ddd::Generation generation{codecs::ddd::Generation::Gen1};
  bool downloadInterfaceVersion{false};  // Gen2v2: begin with TREP 00 (DDP_028a)
  std::string vin;                       // 17 IA5 characters
  // Gen2v1 overviews carry no nation (VehicleRegistrationNumberRecordArray, 2.168).
  std::uint8_t registrationNation{};
  std::uint8_t registrationCodePage{1};
  std::string registrationNumber;  // bytes in that code page, at most 13
  std::uint32_t currentTime{};
  std::uint32_t periodBegin{}, periodEnd{};
  std::uint8_t manufacturerCodePage{1};
  std::string manufacturerName, manufacturerAddress;  // bytes in that code page, at most 35
  std::string partNumber;                             // IA5, at most 16
  std::uint32_t serialNumber{};
  std::uint8_t serialMonthYear[2]{};  // BCD MM, YY
  std::uint8_t serialType{}, serialManufacturer{};
  std::string softwareVersion;  // IA5, 4
  std::uint32_t softwareInstalled{}, manufacturingDate{};
  std::vector<VuCalibrationSpec> calibrations;
  // Variable parts: days of activities from firstDay (one TREP 02/22/32 each), the activity
  // changes and card insertions of each day, detailed speed blocks (one per moving minute).
  std::uint32_t firstDay{};
  int activityDays{2};
  int activityChangesPerDay{6};
  int cardInsertionsPerDay{1};
  int speedBlocks{3};
  int faults{1};
  int events{2};
};

// A complete made-up VU: three calibrations, the latest (by newTimeValue) in the middle.
VuSpec sampleVuSpec(codecs::ddd::Generation gen);

// One TREP block each, SID and TREP included, as the download protocol sends them.
codecs::Bytes overviewBlock(const VuSpec& s);
codecs::Bytes activitiesBlock(const VuSpec& s, std::uint32_t day);
codecs::Bytes eventsAndFaultsBlock(const VuSpec& s);
codecs::Bytes detailedSpeedBlock(const VuSpec& s);
codecs::Bytes technicalDataBlock(const VuSpec& s);

// A whole download (DDP_034): [interface version,] overview, each day's activities, events and
// faults, detailed speed, technical data.
codecs::Bytes buildVehicleUnit(const VuSpec& s);
codecs::Bytes buildSampleVehicleUnit(codecs::ddd::Generation gen);
// The sample with enough days of activities and detailed speed blocks to reach minBytes.
codecs::Bytes buildLargeVehicleUnit(codecs::ddd::Generation gen, std::size_t minBytes = 1 << 20);

}  // namespace dcgw::testing
