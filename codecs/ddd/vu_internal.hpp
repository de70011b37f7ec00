// Shared by the vehicle-unit parser's parts: the TREP loop and Gen1 fixed layouts (vu.cpp), the
// Gen2 record arrays (vu_gen2.cpp) and the field decoders (vu_fields.cpp). Not part of the
// codec's interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd::vu {

// Sizes of the pieces the summary reads (Annex 1C Appendix 1 data dictionary); the same in every
// generation, Gen2 only appends members after them.
constexpr std::size_t kVinSize = 17;                 // 2.164 VehicleIdentificationNumber
constexpr std::size_t kRegistrationIdSize = 15;      // 2.166 nation, codePage, vehicleRegNumber(13)
constexpr std::size_t kRegistrationNumberSize = 14;  // 2.167 codePage, vehicleRegNumber(13)
constexpr std::size_t kPeriodSize = 8;               // 2.193 VuDownloadablePeriod
// 2.205 VuIdentification up to vuManufacturingDate: name 36, address 36, part number 16, serial
// 8, software 8, manufacturing date 4 (Gen1 then adds an 8-byte approval number: 116 in all;
// Gen2 a 16-byte one, vuGeneration, vuAbility and, in version 2, vuDigitalMapVersion).
constexpr std::size_t kIdentificationPrefix = 108;
// 2.174 VuCalibrationRecord up to nextCalibrationDate: the whole Gen1 record (Gen2 appends seals,
// and version 2 sensor serial numbers, load type and calibration country before them).
constexpr std::size_t kCalibrationPrefix = 167;

struct Calibration {
  std::uint32_t newTime{};  // newTimeValue, 0 when it holds no value
  std::uint8_t authorisedSpeed{};
  std::optional<std::uint32_t> nextCalibrationDate;
  std::uint8_t nation{0xFF};
  std::string number;  // UTF-8
};

struct State {
  explicit State(std::vector<Warning>& w) : warnings(w) {}
  VehicleUnitSummary vu;
  bool vinRead = false;           // an overview's VehicleIdentificationNumber was read
  bool registrationRead = false;  // an overview's registration number
  bool nationRead = false;        // an overview's registration nation
  std::optional<Calibration> latest;
  std::vector<Warning>& warnings;

  void warn(std::size_t offset, std::string text) {
    warnings.push_back(Warning{offset, std::move(text)});
  }
};

// Field decoders (vu_fields.cpp); `offset` is the field's offset in the file (for warnings), `b`
// holds at least the sizes above.
void readVin(ByteView b, std::size_t offset, State& st);
void readRegistrationIdentification(ByteView b, std::size_t offset, State& st);
void readRegistrationNumber(ByteView b, std::size_t offset, State& st);
void readDownloadablePeriod(ByteView b, State& st);
void readIdentification(ByteView b, std::size_t offset, State& st);
void readCalibration(ByteView b, std::size_t offset, State& st);

// The data of one Gen2 TREP (21-25, 31-35), the reader standing just after its TREP byte.
// Returns "" when it was walked to its SignatureRecordArray, otherwise why it could not be
// (the reader then stands where the walk stopped).
std::string walkGen2(std::uint8_t trep, ByteReader& r, State& st);

// printf-style formatting for warning texts.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace dcgw::codecs::ddd::vu
