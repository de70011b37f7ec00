// Building the Alerts packet (0x61 0x00, seed 004 section 7) the gateway raises itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs {

enum class AlertState : std::uint8_t { Clear = 0, Alert = 1, Info = 2 };

struct AlertPacket {
  std::string cardNumber;  // CardNumber.driverIdentification; "" when the alert names no card
  AlertState state{AlertState::Alert};
  std::uint8_t type{0};
  std::uint8_t subType{0};
  std::uint32_t time{0};            // TimeReal: seconds since 1970-01-01T00:00:00Z
  std::string title;                // UTF-8, localised
  std::string alert;                // UTF-8, localised
  std::vector<std::string> params;  // P1..P10, UTF-8
};

// The packet's bytes: CardNumber space padded to 14 bytes (a longer number, such as a 16
// character driver card number with its replacement and renewal indexes, is cut to the 14 of
// driverIdentification), then the info strings joined by NUL (no trailing NUL). Errors name
// the field: a card number that is not 7-bit ASCII, more than 10 parameters, a NUL inside a text.
Result<Bytes> encodeAlertPacket(const AlertPacket& a);

}  // namespace dcgw::codecs
