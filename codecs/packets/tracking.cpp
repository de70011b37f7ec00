// Seed 004 section 12: Tracking (0x47 0x00), Positional update (0x01), Tracking suppression (0x02).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr Scale kDegrees{1, 600000, 0};
constexpr Scale kTenths{1, 10, 0};
constexpr Scale kHundredths{1, 100, 0};
constexpr FieldSpec kTrackingFields[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"latitude", "Latitude", 6, 4, K::I32BE, 0, kDegrees, "decimal degrees"},
    {"longitude", "Longitude", 10, 4, K::I32BE, 0, kDegrees, "decimal degrees"},
    {"altitude", "Altitude", 14, 2, K::I16BE, 0, {}, "metres"},
    {"speed", "Speed", 16, 2, K::I16BE, 0, kTenths, "knots"},
    {"heading", "Heading", 18, 2, K::I16BE, 0, kTenths, "decimal degrees"},
    {"reserved", "Reserved", 20, 2, K::Reserved},
    {"maxSpeed", "Max Speed", 22, 2, K::I16BE, 0, kHundredths, "m/s"},
    {"minimumAcceleration", "Minimum Acceleration", 24, 2, K::I16BE, 0, kHundredths, "m/s2"},
    {"maximumAcceleration", "Maximum Acceleration", 26, 2, K::I16BE, 0, kHundredths, "m/s2"},
    {"duration", "Duration", 28, 2, K::U16BE, 0, {}, "seconds"},
    {"distance", "Distance", 30, 4, K::U32BE, 0, kHundredths, "metres"},
    // Offsets 34-39 are not sent by digiDL devices (section 12 note 1).
    {"satellites", "Satellites", 34, 1, K::U8, kOptional},
    {"reserved2", "Reserved", 35, 1, K::Reserved, kOptional},
    {"gpsDateTime", "GPS DateTime", 36, 4, K::TimeReal, kOptional},
};
constexpr FieldSpec kPositionalFields[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"latitude", "Latitude", 6, 4, K::I32BE, 0, kDegrees, "decimal degrees"},
    {"longitude", "Longitude", 10, 4, K::I32BE, 0, kDegrees, "decimal degrees"},
    {"altitude", "Altitude", 14, 2, K::I16BE, 0, {}, "metres"},
    {"speed", "Speed", 16, 2, K::I16BE, 0, kTenths, "knots"},
    {"heading", "Heading", 18, 2, K::I16BE, 0, kTenths, "decimal degrees"},
    {"gpsDateTime", "GPS DateTime", 20, 4, K::TimeReal},
};
constexpr FieldSpec kSuppressionFields[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"activated", "Activated", 6, 1, K::U8},
};
}  // namespace
const Layout kTracking{"12", kTrackingFields, 34, 40};
const Layout kPositionalUpdate{"12.1", kPositionalFields, 24, 24};
const Layout kTrackingSuppression{"12.2", kSuppressionFields, 7, 7};
}  // namespace dcgw::codecs::layouts
