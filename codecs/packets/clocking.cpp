// Seed 004 section 11: Clocking (0x6B 0x00 original digipostpro, 0x6B 0x01 new digipostpro).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr const char* kMin = "minutes";
constexpr FieldSpec kOriginal[] = {
    // The original digipostpro sends its local time here (11.1 note 1), not UTC.
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"drivingLicenceNumber", "DrivingLicenceNumber", 20, 16, K::Ascii},
    {"clockState", "ClockState", 36, 1, K::U8},
    {"recordedRest", "RecordedRest", 37, 2, K::U16BE, 0, {}, kMin},
    {"recordedAvailable", "RecordedAvailable", 39, 2, K::U16BE, 0, {}, kMin},
    {"recordedWork", "RecordedWork", 41, 2, K::U16BE, 0, {}, kMin},
    {"recordedDrive", "RecordedDrive", 43, 2, K::U16BE, 0, {}, kMin},
    {"adjustedRest", "AdjustedRest", 45, 2, K::U16BE, 0, {}, kMin},
    {"adjustedAvailable", "AdjustedAvailable", 47, 2, K::U16BE, 0, {}, kMin},
    {"adjustedWork", "AdjustedWork", 49, 2, K::U16BE, 0, {}, kMin},
    {"adjustedDrive", "AdjustedDrive", 51, 2, K::U16BE, 0, {}, kMin},
};
constexpr FieldSpec kNew[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"userReference", "UserReference", 20, 16, K::Ascii},
    {"clockState", "ClockState", 36, 1, K::U8},
    {"reserved", "Reserved", 37, 16, K::Reserved},
    {"fingerprintState", "FingerprintState", 53, 1, K::U8},
    {"surname", "Surname", 54, 70, K::Utf16LE},
    {"firstNames", "FirstNames", 124, 70, K::Utf16LE},
};
}  // namespace
const Layout kClockingOriginal{"11.1", kOriginal, 53, 53};
const Layout kClockingNew{"11.2", kNew, 194, 194};
}  // namespace dcgw::codecs::layouts
