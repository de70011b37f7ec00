// Seed 004 section 10: Time source comparison (0x49 0x00).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kFields[] = {
    {"timeSource", "Time Source", 2, 4, K::TimeReal},
    {"source", "Source", 6, 1, K::U8},
    {"utc", "UTC", 7, 4, K::TimeReal},
};
}  // namespace
const Layout kTimeSource{"10", kFields, 11, 11};
}  // namespace dcgw::codecs::layouts
