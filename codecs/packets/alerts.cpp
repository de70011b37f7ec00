// Seed 004 section 7: Alerts (0x61 0x00).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kFields[] = {
    {"cardNumber", "CardNumber", 2, 14, K::Ascii},
    {"alertState", "AlertState", 16, 1, K::U8},
    {"alertType", "AlertType", 17, 1, K::U8},
    {"alertSubType", "AlertSubType", 18, 1, K::U8},
    {"alertDatetime", "AlertDatetime", 19, 4, K::TimeReal},
    {"info", "Info", 23, 0, K::InfoStrings},
};
}  // namespace
const Layout kAlerts{"7", kFields, 23, 23};
}  // namespace dcgw::codecs::layouts
