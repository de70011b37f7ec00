// Configuration shapes, checked once before the store sees them.
#include "gateway/control/validation.hpp"

#include "codecs/packets/registry.hpp"
#include "gateway/forward/destination_settings.hpp"

namespace dcgw::control {

codecs::Status validateDestination(const store::DestinationConfig& d) {
  if (d.settings.name.empty()) return codecs::makeError("name", 0, "a name");
  auto settings = forward::toAdapterSettings(d.settings);
  if (!settings) return settings.error();
  if (codecs::Status s = adapters::validateDestination(*settings); !s) return s;
  if (d.filter)
    for (const std::string& k : *d.filter)
      if (!codecs::isFilterKey(k.c_str(), k.size()))
        return codecs::makeError("filter", 0,
                                 "filter keys of the packet registry, not '" + k + "'");
  return codecs::Ok{};
}

codecs::Status validateLocation(const store::LocationConfig& l) {
  if (l.name.empty()) return codecs::makeError("name", 0, "a name");
  return codecs::Ok{};
}

codecs::Status validateDevice(const store::DeviceConfig& d) {
  if (d.serial.empty() || d.serial.size() > 8)
    return codecs::makeError("serial", 0, "a serial number of 1 to 8 characters");
  for (unsigned char c : d.serial)
    if (c < 0x21 || c > 0x7E)
      return codecs::makeError("serial", 0, "printable ASCII characters without spaces");
  if (d.registration.size() > 13)
    return codecs::makeError("registration", 0, "at most 13 characters");
  if (d.key && (d.key->size() < 16 || d.key->size() > 64))
    return codecs::makeError("key", 0, "a device key of 16 to 64 bytes");
  return codecs::Ok{};
}

codecs::Error toError(const store::Error& e) {
  return codecs::makeError(e.field, 0, e.message);
}

}  // namespace dcgw::control
