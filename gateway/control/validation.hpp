// The shapes the configuration must have, checked before anything is stored: by the config
// loader and the admin API alike (the store checks only its own integrity: names taken, objects
// missing). Errors name the field and what was expected there.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codecs/result.hpp"
#include "gateway/store/errors.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::control {

// Every error of a destination, in the order name, method and format, what the method's
// adapter accepts, filter keys; validateDestination returns the first (the config loader's).
std::vector<codecs::Error> destinationErrors(const store::DestinationConfig& d);
// A name; a known method and format; what the method's adapter accepts (URL or host and port,
// custom tags, CA file); filter keys of the packet registry.
codecs::Status validateDestination(const store::DestinationConfig& d);
// A name.
codecs::Status validateLocation(const store::LocationConfig& l);
// Every error of a device (serial, registration, key, protocol, family); validateDevice returns
// the first. protocol nullopt is dcgw, family nullopt none.
std::vector<codecs::Error> deviceErrors(const store::DeviceConfig& d);
// dcgw: a serial of 1 to 8 printable ASCII characters, a key of 16 to 64 bytes when one is given,
// no family. teltonika (issue 15): the serial is the IMEI (exactly 15 ASCII digits), no key, a
// family FMBxxx or FMX6 (any case). A registration of at most 13 characters.
codecs::Status validateDevice(const store::DeviceConfig& d);
// Two devices that third parties would receive under one serial (seed 004 section 3's 8
// characters: codecs::forwarding::forwardedSerial, a Teltonika IMEI's last 8 digits): the
// serials of the first such pair among `devices`, or nullopt. `serial`, when given, is the one
// device to check against the others (an admin adding it).
std::optional<std::pair<std::string, std::string>> forwardedSerialClash(
    const std::vector<store::DeviceRecord>& devices, const std::string* serial = nullptr);
// The error naming such a clash.
codecs::Error forwardedSerialError(const std::string& serial, const std::string& other);
// Gives a family named in any case its canonical spelling (codecs::teltonika::familyName);
// anything else is left for deviceErrors to name.
void canonicalizeDevice(store::DeviceConfig& d);

// Company cards and card bridges (issue 12; schema/card-bridge.md sections 1 and 2).
// 1 to `max` printable ASCII characters without spaces (a card number: 16, a bridge ident: 32).
bool isToken(const std::string& s, std::size_t max);
// A real calendar date written YYYY-MM-DD (1970 to 9999).
bool isCalendarDate(const std::string& s);
// Every error of a card: number, name (at most 64 characters), expiresOn. The locations are the
// store's to check.
std::vector<codecs::Error> cardErrors(const store::CompanyCardConfig& c);
// Every error of a card bridge: ident, description (at most 200 characters), key (16 to 64
// bytes when given).
std::vector<codecs::Error> cardBridgeErrors(const store::CardBridgeConfig& b);
// "32 to 128 hex digits" as a key; the error names the field `key`.
codecs::Result<codecs::Bytes> parseHexKey(const std::string& hex, const std::string& what);

// A store refusal as a codecs error (the field and what was expected there).
codecs::Error toError(const store::Error& e);

}  // namespace dcgw::control
