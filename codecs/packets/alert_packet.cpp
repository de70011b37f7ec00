// The 0x61 layout of seed 004 section 7, written field by field.
#include "codecs/packets/alert_packet.hpp"

#include <algorithm>

namespace dcgw::codecs {

namespace {
bool hasNul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}
}  // namespace

Result<Bytes> encodeAlertPacket(const AlertPacket& a) {
  constexpr std::size_t kCard = 14;
  if (std::any_of(a.cardNumber.begin(), a.cardNumber.end(),
                  [](char c) { return static_cast<unsigned char>(c) > 0x7E || c < 0x20; }))
    return makeError("cardNumber", 2, "printable 7-bit ASCII");
  if (a.params.size() > 10) return makeError("params", 23, "at most 10 parameters (P1..P10)");
  if (hasNul(a.title)) return makeError("title", 23, "text without a NUL character");
  if (hasNul(a.alert)) return makeError("alert", 23, "text without a NUL character");
  for (const auto& p : a.params)
    if (hasNul(p)) return makeError("params", 23, "text without a NUL character");
  Bytes out;
  ByteWriter w(out);
  w.writeU8(0x61);
  w.writeU8(0x00);
  std::string card = a.cardNumber.substr(0, kCard);
  card.resize(kCard, ' ');
  w.writeBytes({reinterpret_cast<const std::uint8_t*>(card.data()), card.size()});
  w.writeU8(static_cast<std::uint8_t>(a.state));
  w.writeU8(a.type);
  w.writeU8(a.subType);
  w.writeU32BE(a.time);
  auto text = [&](const std::string& s) {
    w.writeBytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  };
  text(a.title);
  w.writeU8(0);
  text(a.alert);
  for (const auto& p : a.params) {
    w.writeU8(0);
    text(p);
  }
  return out;
}

}  // namespace dcgw::codecs
