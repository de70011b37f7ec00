// Seed 004 section 8: New Driver notification (0x44 0x00).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr FieldSpec kFields[] = {
    {"cardNumber", "CardNumber", 2, 14, K::Ascii},
    {"surname", "Surname", 16, 70, K::Utf16LE},
    {"firstNames", "FirstNames", 86, 70, K::Utf16LE},
};
}  // namespace
const Layout kNewDriver{"8", kFields, 156, 156};
}  // namespace dcgw::codecs::layouts
