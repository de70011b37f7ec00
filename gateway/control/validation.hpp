// The shapes the configuration must have, checked before anything is stored: by the config
// loader and the admin API alike (the store checks only its own integrity: names taken, objects
// missing). Errors name the field and what was expected there.
#pragma once

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
// Every error of a device (serial, registration, key); validateDevice returns the first.
std::vector<codecs::Error> deviceErrors(const store::DeviceConfig& d);
// A serial of 1 to 8 printable ASCII characters, a registration of at most 13, a key of 16 to
// 64 bytes when one is given.
codecs::Status validateDevice(const store::DeviceConfig& d);

// A store refusal as a codecs error (the field and what was expected there).
codecs::Error toError(const store::Error& e);

}  // namespace dcgw::control
