// Seed 004 section 17: Odometer (0x4F); the second byte is Journey Start/End, not a subtype.
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kFields[] = {
    {"journeyStartEnd", "Journey Start/End", 1, 1, K::U8},
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"vin", "VIN", 6, 17, K::Ascii},
    {"odometer", "Odometer", 23, 4, K::U32BE, 0, {1, 200, 0}, "km"},
    {"source", "Source", 27, 1, K::U8},
};
}  // namespace
const Layout kOdometer{"17", kFields, 28, 28};
}  // namespace dcgw::codecs::layouts
