// The IO element ids the gateway reads, per Teltonika device family (schema/teltonika.md
// section 7), and accessors that turn a decoded record into typed values (absent: nullopt).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "codecs/teltonika/avl.hpp"

namespace dcgw::codecs::teltonika {

// FMBxxx: FMB/FMC/FMM/FMU 0xx-2xx, 9xx (the FMB firmware's "Data Sending Parameters ID" pages).
// FMX6: FMB640/FMC640/FMM640 and FMC650 (the "FMX640 AVL ID" / "FMB630 AVL ID" pages).
enum class Family : std::uint8_t { FMBxxx, FMX6 };
const char* familyName(Family f);                       // "FMBxxx", "FMX6"
std::optional<Family> parseFamily(std::string_view s);  // case-insensitive

enum class Quantity : std::uint8_t {
  Ignition,             // 0/1
  Movement,             // 0/1
  GnssStatus,           // family-specific codes
  DataMode,             // 0..5 home/roaming/unknown x stop/moving
  ExternalVoltageMv,    // mV
  TotalOdometerM,       // m (the device's virtual odometer)
  TripOdometerM,        // m
  Driver1WorkingState,  // 0 rest, 1 driver available, 2 work, 3 drive, 6 error, 7 n/a
  Driver2WorkingState,
  Driver1CardPresent,  // 0 absent, 1 present
  Driver2CardPresent,
  TachoVehicleSpeedKmh,
  TachoOdometerM,  // tachograph total vehicle distance, m
  Driver1IdMsb,    // first 8 of the 16 ASCII characters
  Driver1IdLsb,    // last 8
  CanVehicleSpeedKmh,
  FuelLevelPercent,
  FuelLevelDeciLitres,  // 0.1 l
  EngineSpeedRpm,
  TotalFuelUsedRaw,  // as the family's table gives it (see unit)
  Driver2IdMsb,      // driver 2's card, as Driver1IdMsb/Lsb
  Driver2IdLsb,
  EngineCoolantTemp,   // signed; unit per family (see unit)
  AmbientAirTempC,     // signed, degrees C
  ServiceDistanceKm,   // signed, km
  FmsSoftwareVersion,  // 4 ASCII characters "abcd" (FMS version ab.cd)
  FmsDiagnosticsSupported,
  Driver1ContinuousDrivingMin,  // minutes, as the tachograph reports them
  Driver1CumulativeBreakMin,
  Driver1ActivityDurationMin,
  Driver1CumulativeDrivingMin,
  Driver1TimeRelatedStates,  // seed 004 section 14.5 codes
};

struct IoMapping {
  Quantity quantity;
  std::uint16_t id;
  std::uint8_t bytes;
  const char* name;  // the table's property name
  const char* unit;
  const char* source;  // the public page the row was checked against
  bool checked;        // false: taken from a secondary source, to verify before relying on it
};

std::span<const IoMapping> ioTable(Family f);
const IoMapping* ioMapping(Family f, Quantity q);  // nullptr: the family has no such id

// The raw unsigned value of a 1/2/4/8-byte element for the quantity; nullopt when the family
// has no id for it, the record lacks it, or it came with an unexpected length.
std::optional<std::uint64_t> ioValue(const AvlRecord& r, Family f, Quantity q);

std::optional<bool> ignition(const AvlRecord& r, Family f);
std::optional<bool> movement(const AvlRecord& r, Family f);
std::optional<std::uint8_t> gnssStatus(const AvlRecord& r, Family f);
std::optional<std::uint8_t> dataMode(const AvlRecord& r, Family f);
std::optional<std::uint32_t> externalVoltageMv(const AvlRecord& r, Family f);
std::optional<std::uint32_t> totalOdometerM(const AvlRecord& r, Family f);
std::optional<std::uint32_t> tripOdometerM(const AvlRecord& r, Family f);
// slot 1 or 2.
std::optional<std::uint8_t> driverWorkingState(const AvlRecord& r, Family f, int slot);
std::optional<bool> driverCardPresent(const AvlRecord& r, Family f, int slot);
std::optional<std::uint16_t> tachoSpeedKmh(const AvlRecord& r, Family f);
std::optional<std::uint32_t> tachoOdometerM(const AvlRecord& r, Family f);
// The 16 ASCII characters of driver `slot`'s card (1 or 2), as driver1CardNumber.
std::optional<std::string> driverCardNumber(const AvlRecord& r, Family f, int slot);
// The 16 ASCII characters of driver 1's card (MSB half then LSB half, each big-endian) when
// both halves are present; "" when both are all zero bytes (no card).
std::optional<std::string> driver1CardNumber(const AvlRecord& r, Family f);
std::optional<std::uint32_t> engineSpeedRpm(const AvlRecord& r, Family f);
// Engine coolant temperature in 0.1 degrees C, whatever unit the family sends it in.
std::optional<std::int32_t> engineCoolantDeciC(const AvlRecord& r, Family f);

}  // namespace dcgw::codecs::teltonika
