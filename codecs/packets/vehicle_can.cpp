// Seed 004 section 15: Vehicle CAN data (0x46 0x80-0x84). Every multi-byte integer is
// little-endian, including the Engine Off fields at 54-60 the seed forgot to footnote.
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr Scale kLitres{1, 1000, 0};
constexpr Scale kPercent{2, 5, 0};
constexpr Scale kKm{1, 200, 0};
constexpr Scale kEngineTemp{1, 1, -40};
constexpr Scale kAmbientTemp{1, 32, -273};
constexpr Scale kServiceKm{5, 1, -160635};
constexpr Scale kRpm{1, 8, 0};
constexpr Scale kKmh{1, 256, 0};
constexpr const char* kSec = "seconds";

constexpr FieldSpec kInit[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"requestsDiagnosticsSupported", "Requests & Diagnostics Supported", 6, 1, K::U8, kFmsSupport},
    {"softwareVersion", "Software Version", 7, 4, K::FmsVersion},
};
constexpr FieldSpec kEngineOn[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"totalFuelUsed", "Total Fuel Used", 20, 4, K::U32LE, 0, kLitres, "litres"},
    {"fuelLevel", "Fuel Level", 24, 1, K::U8, 0, kPercent, "%"},
    {"odometer", "Odometer", 25, 4, K::U32LE, 0, kKm, "km"},
    {"engineTemperature", "Engine Temperature", 29, 1, K::U8, 0, kEngineTemp, "degrees C"},
    {"ambientTemperature", "Ambient Temperature", 30, 2, K::U16LE, 0, kAmbientTemp, "degrees C"},
    {"serviceDistance", "Service Distance", 32, 2, K::U16LE, 0, kServiceKm, "km"},
};
constexpr FieldSpec kEngineOff[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"totalFuelUsed", "Total Fuel Used", 6, 4, K::U32LE, 0, kLitres, "litres"},
    {"fuelLevel", "Fuel Level", 10, 1, K::U8, 0, kPercent, "%"},
    {"odometer", "Odometer", 11, 4, K::U32LE, 0, kKm, "km"},
    {"engineTemperature", "Engine Temperature", 15, 1, K::U8, 0, kEngineTemp, "degrees C"},
    {"ambientTemperature", "Ambient Temperature", 16, 2, K::U16LE, 0, kAmbientTemp, "degrees C"},
    {"journeyDuration", "Journey Duration", 18, 2, K::U16LE, 0, {}, kSec},
    {"journeyFuelUsed", "Journey Fuel Used", 20, 3, K::U24LE, 0, kLitres, "litres"},
    {"journeyDistance", "Journey Distance", 23, 3, K::U24LE, 0, kKm, "km"},
    {"cruiseControlDuration", "Cruise Control Duration", 26, 2, K::U16LE, 0, {}, kSec},
    {"cruiseControlFuelUsed", "Cruise Control Fuel Used", 28, 2, K::U16LE, 0, kLitres, "litres"},
    {"idleDuration", "Idle Duration", 30, 2, K::U16LE, 0, {}, kSec},
    {"fuelUsedInIdle", "Fuel Used in Idle", 32, 2, K::U16LE, 0, kLitres, "litres"},
    {"ptoDuration", "PTO Duration", 34, 2, K::U16LE, 0, {}, kSec},
    {"fuelUsedInPto", "Fuel Used in PTO", 36, 2, K::U16LE, 0, kLitres, "litres"},
    {"numberOfBrakePresses", "Number of Brake Presses", 38, 2, K::U16LE},
    {"numberOfHarshBrakingEvents", "Number of Harsh Braking Events", 40, 2, K::U16LE},
    {"durationOfHarshBraking", "Duration of Harsh Braking", 42, 2, K::U16LE, 0, {}, kSec},
    {"numberOfHarshAccelerationEvents", "Number of Harsh Acceleration Events", 44, 2, K::U16LE},
    {"durationOfHarshAcceleration", "Duration of Harsh Acceleration", 46, 2, K::U16LE, 0, {}, kSec},
    {"numberOfClutchPresses", "Number of Clutch Presses", 48, 2, K::U16LE},
    {"numberOfShortIdleEvents", "Number of Short Idle Events", 50, 1, K::U8},
    {"numberOfLongIdleEvents", "Number of Long Idle Events", 51, 1, K::U8},
    {"durationOfHighEnginePower", "Duration of High Engine Power", 52, 2, K::U16LE, 0, {}, kSec},
    {"numberOfHighPowerEvents", "Number of High Power Events", 54, 2, K::U16LE},
    {"durationOfHighEngineSpeed", "Duration of High Engine Speed", 56, 2, K::U16LE, 0, {}, kSec},
    {"numberOfHighSpeedEvents", "Number of High Speed Events", 58, 2, K::U16LE},
    {"currentMaxEngineSpeed", "Current Max Engine Speed", 60, 2, K::U16LE, 0, kRpm, "rpm"},
};
constexpr FieldSpec kInJourney[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"totalFuelUsed", "Total Fuel Used", 6, 4, K::U32LE, 0, kLitres, "litres"},
    {"fuelLevel", "Fuel Level", 10, 1, K::U8, 0, kPercent, "%"},
    {"odometer", "Odometer", 11, 4, K::U32LE, 0, kKm, "km"},
    {"engineTemperature", "Engine Temperature", 15, 1, K::U8, 0, kEngineTemp, "degrees C"},
    {"ambientTemperature", "Ambient Temperature", 16, 2, K::U16LE, 0, kAmbientTemp, "degrees C"},
    {"durationSinceLastLog", "Duration Since Last Log", 18, 2, K::U16LE, 0, {}, kSec},
    {"fuelUsedSinceLastLog", "Fuel Used Since Last Log", 20, 2, K::U16LE, 0, kLitres, "litres"},
    {"distanceTravelledSinceLastLog", "Distance Travelled Since Last Log", 22, 2, K::U16LE, 0, kKm,
     "km"},
    {"averageVehicleSpeed", "Average Vehicle Speed", 24, 2, K::U16LE, 0, kKmh, "km/h"},
    {"averageEngineSpeed", "Average Engine Speed", 26, 2, K::U16LE, 0, kRpm, "rpm"},
    {"maximumVehicleSpeed", "Maximum Vehicle Speed", 28, 2, K::U16LE, 0, kKmh, "km/h"},
    {"maximumEngineSpeed", "Maximum Engine Speed", 30, 2, K::U16LE, 0, kRpm, "rpm"},
};
constexpr FieldSpec kOnChange[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"tellTale", "Tell Tale", 6, 32, K::Hex},
    {"doorControl1", "Door Control 1", 38, 1, K::Hex},
    {"doorControl2", "Door Control 2", 39, 8, K::Hex},
};
}  // namespace
const Layout kCanInitialisation{"15.1", kInit, 11, 11};
const Layout kCanEngineOn{"15.2", kEngineOn, 34, 34};
const Layout kCanEngineOff{"15.3", kEngineOff, 62, 62};
const Layout kCanInJourney{"15.4", kInJourney, 32, 32};
const Layout kCanOnChange{"15.5", kOnChange, 47, 47};
}  // namespace dcgw::codecs::layouts
