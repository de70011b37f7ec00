// Seed 004 section 13: Tachograph mode (0x4D/0x6D 0x00).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kFields[] = {
    {"activityStart", "Activity Start", 2, 4, K::TimeReal},
    {"slot1CardNumber", "Slot 1 CardNumber", 6, 14, K::Ascii},
    {"slot1Mode", "Slot 1 Mode", 20, 1, K::U8},
    {"slot2CardNumber", "Slot 2 CardNumber", 21, 14, K::Ascii},
    {"slot2Mode", "Slot 2 Mode", 35, 1, K::U8},
    {"odometer", "Odometer", 36, 4, K::U32BE, 0, {1, 200, 0}, "km"},
};
}  // namespace
const Layout kTachographMode{"13", kFields, 40, 40};
}  // namespace dcgw::codecs::layouts
