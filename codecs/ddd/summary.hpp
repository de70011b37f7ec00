// What a tachograph file (.DDD: card TLV or vehicle-unit TV, Gen1 and Gen2) yields: the
// values seed 004 section 9's File Summary packets and the conventional file names need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/timefmt.hpp"

namespace dcgw::codecs::ddd {

enum class FileKind : std::uint8_t {
  Unknown,       // neither a card file nor a vehicle-unit file could be recognised
  DriverCard,    // File Summary 0x66 0x00
  WorkshopCard,  // File Summary 0x66 0x01
  ControlCard,   // stored and named; no File Summary packet in seed 004
  CompanyCard,   // idem
  VehicleUnit,   // File Summary 0x66 0x02
};
// "driverCard", "workshopCard", "controlCard", "companyCard", "vehicleUnit", "unknown".
const char* fileKindName(FileKind kind);

enum class Generation : std::uint8_t { Unknown, Gen1, Gen2v1, Gen2v2 };
// "gen1", "gen2v1", "gen2v2", "unknown".
const char* generationName(Generation gen);

// A block that was skipped, damaged or not understood. The file is still stored.
struct Warning {
  std::size_t offset{};  // byte offset in the file
  std::string text;      // names the block (tag / TREP) and what was wrong
};

// Strings are UTF-8, converted from the file's code page (Annex 1C: codePage byte + bytes),
// trailing spaces and NULs trimmed. An absent value stays empty / nullopt.
struct CardSummary {
  std::string cardNumber;            // CardNumber, all 16 characters (identification + indexes)
  std::uint8_t issuingNation{0xFF};  // NationNumeric
  std::string issuingNationAlpha;    // NationAlpha, 1 to 3 characters ("D", "F", "UK", "EC")
  std::string surname;
  std::string firstNames;
  std::optional<CivilDate> birthDate;          // driver cards only
  std::optional<std::uint32_t> validityBegin;  // TimeReal
  std::optional<std::uint32_t> expiryDate;     // TimeReal
  std::string drivingLicenceNumber;            // driver cards only (16)
  std::string drivingLicenceIssuingAuthority;  // driver cards only
  std::string workshopName;                    // workshop cards only
  std::string workshopAddress;                 // workshop cards only
  // Oldest and newest day in the cyclic activity buffer (TimeReal of each day's record, 00:00 UTC).
  std::optional<std::uint32_t> activityFirstDay;
  std::optional<std::uint32_t> activityLastDay;
};

struct VehicleUnitSummary {
  std::string vin;                        // VehicleIdentificationNumber (17)
  std::uint8_t registrationNation{0xFF};  // NationNumeric
  std::string registrationNationAlpha;
  std::string registrationNumber;
  std::string manufacturerName;
  std::string manufacturerAddress;
  std::string partNumber;       // VUIdentification.vuPartNumber (16)
  std::string softwareVersion;  // vuSoftwareIdentification.vuSoftwareVersion (4)
  std::string serialNumber;     // vuSerialNumber rendered as text (for people, not packets)
  std::optional<std::uint8_t> authorisedSpeed;           // latest calibration record, km/h
  std::optional<std::uint32_t> nextCalibrationDate;      // latest calibration record, TimeReal
  std::optional<std::uint32_t> downloadablePeriodBegin;  // VuDownloadablePeriod, TimeReal
  std::optional<std::uint32_t> downloadablePeriodEnd;
};

struct ParsedFile {
  FileKind kind{FileKind::Unknown};
  Generation generation{Generation::Unknown};
  std::optional<CardSummary> card;       // card kinds, when the identification was read
  std::optional<VehicleUnitSummary> vu;  // VehicleUnit, when the overview was read
  std::vector<Warning> warnings;
  // Empty when a summary was made; otherwise why none could be (the file is still stored).
  std::string error;

  bool hasSummary() const { return card.has_value() || vu.has_value(); }
};

// Never throws on any input; every problem becomes a Warning or the error.
ParsedFile parseFile(ByteView data);

// The summary as one JSON object (schema/files.md): kind, generation, card or vehicleUnit,
// warnings, error. Dates as ISO-8601.
std::string toJson(const ParsedFile& file);

}  // namespace dcgw::codecs::ddd
