// Configuration shapes, checked once before the store sees them.
#include "gateway/control/validation.hpp"

#include "codecs/packets/registry.hpp"
#include "gateway/forward/destination_settings.hpp"

namespace dcgw::control {

std::vector<codecs::Error> destinationErrors(const store::DestinationConfig& d) {
  std::vector<codecs::Error> errors;
  if (d.settings.name.empty()) errors.push_back(codecs::makeError("name", 0, "a name"));
  if (auto settings = forward::toAdapterSettings(d.settings); !settings) {
    errors.push_back(settings.error());
  } else {
    for (codecs::Error& e : adapters::validateDestinationAll(*settings))
      errors.push_back(std::move(e));
  }
  if (d.filter)
    for (const std::string& k : *d.filter)
      if (!codecs::isFilterKey(k.c_str(), k.size())) {
        errors.push_back(
            codecs::makeError("filter", 0, "filter keys of the packet registry, not '" + k + "'"));
        break;
      }
  return errors;
}

codecs::Status validateDestination(const store::DestinationConfig& d) {
  std::vector<codecs::Error> errors = destinationErrors(d);
  if (!errors.empty()) return errors.front();
  return codecs::Ok{};
}

codecs::Status validateLocation(const store::LocationConfig& l) {
  if (l.name.empty()) return codecs::makeError("name", 0, "a name");
  return codecs::Ok{};
}

std::vector<codecs::Error> deviceErrors(const store::DeviceConfig& d) {
  std::vector<codecs::Error> errors;
  if (d.serial.empty() || d.serial.size() > 8) {
    errors.push_back(codecs::makeError("serial", 0, "a serial number of 1 to 8 characters"));
  } else {
    for (unsigned char c : d.serial)
      if (c < 0x21 || c > 0x7E) {
        errors.push_back(
            codecs::makeError("serial", 0, "printable ASCII characters without spaces"));
        break;
      }
  }
  if (d.registration.size() > 13)
    errors.push_back(codecs::makeError("registration", 0, "at most 13 characters"));
  if (d.key && (d.key->size() < 16 || d.key->size() > 64))
    errors.push_back(codecs::makeError("key", 0, "a device key of 16 to 64 bytes"));
  return errors;
}

codecs::Status validateDevice(const store::DeviceConfig& d) {
  std::vector<codecs::Error> errors = deviceErrors(d);
  if (!errors.empty()) return errors.front();
  return codecs::Ok{};
}

codecs::Error toError(const store::Error& e) {
  return codecs::makeError(e.field, 0, e.message);
}

}  // namespace dcgw::control
