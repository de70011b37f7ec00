// Configuration shapes, checked once before the store sees them.
#include "gateway/control/validation.hpp"

#include <algorithm>
#include <unordered_map>

#include "codecs/ddd/naming.hpp"
#include "codecs/forwarding/serial.hpp"
#include "codecs/packets/registry.hpp"
#include "codecs/teltonika/io_map.hpp"
#include "codecs/timefmt.hpp"
#include "gateway/common/time_zone.hpp"
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
  if (!l.files) return codecs::Ok{};
  const store::LocationFiles& f = *l.files;
  if (!codecs::ddd::parseNamingConvention(f.naming))
    return codecs::makeError("files.naming", 0, "\"eu\", \"fr\" or \"es\"");
  if (auto zone = common::TimeZone::load(f.timeZone); !zone)
    return codecs::makeError("files.timeZone", 0, zone.error().expected);
  if (f.vehicleUnitDownloadDays < 1 || f.vehicleUnitDownloadDays > 3650)
    return codecs::makeError("files.vehicleUnitDownloadDays", 0, "a number of days, 1 to 3650");
  if (f.driverCardDownloadDays < 1 || f.driverCardDownloadDays > 3650)
    return codecs::makeError("files.driverCardDownloadDays", 0, "a number of days, 1 to 3650");
  return codecs::Ok{};
}

using codecs::forwarding::forwardedSerial;
using codecs::forwarding::isImei;

std::optional<std::pair<std::string, std::string>> forwardedSerialClash(
    const std::vector<store::DeviceRecord>& devices, const std::string* serial) {
  if (serial) {
    const std::string mine = forwardedSerial(*serial);
    for (const store::DeviceRecord& d : devices)
      if (d.serial != *serial && forwardedSerial(d.serial) == mine)
        return std::pair{*serial, d.serial};
    return std::nullopt;
  }
  std::unordered_map<std::string, const std::string*> seen;
  for (const store::DeviceRecord& d : devices) {
    auto [it, fresh] = seen.emplace(forwardedSerial(d.serial), &d.serial);
    if (!fresh) return std::pair{d.serial, *it->second};
  }
  return std::nullopt;
}

codecs::Error forwardedSerialError(const std::string& serial, const std::string& other) {
  return codecs::makeError("serial", 0,
                           "a serial third parties can tell apart: device " + serial +
                               " would be forwarded as '" + forwardedSerial(serial) +
                               "' (seed 004 section 3 allows 8 characters: an IMEI's last " +
                               "8 digits), and so is device " + other);
}

void canonicalizeDevice(store::DeviceConfig& d) {
  if (d.family)
    if (auto f = codecs::teltonika::parseFamily(*d.family))
      d.family = codecs::teltonika::familyName(*f);
}

std::vector<codecs::Error> deviceErrors(const store::DeviceConfig& d) {
  std::vector<codecs::Error> errors;
  const std::string protocol = d.protocol.value_or("dcgw");
  const bool teltonika = protocol == "teltonika";
  if (teltonika) {
    if (!isImei(d.serial))
      errors.push_back(codecs::makeError(
          "serial", 0, "a Teltonika device's serial is its IMEI: exactly 15 ASCII digits"));
  } else if (d.serial.empty() || d.serial.size() > 8) {
    errors.push_back(codecs::makeError(
        "serial", 0,
        isImei(d.serial) ? "a serial number of 1 to 8 characters (a 15-digit IMEI is a "
                           "Teltonika device's: give protocol teltonika and its family)"
                         : "a serial number of 1 to 8 characters"));
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
  if (d.key && teltonika) {
    errors.push_back(codecs::makeError(
        "key", 0,
        "Teltonika devices have no device key; leave it out (they are known by their IMEI: "
        "use TLS or a private APN, see README)"));
  } else if (d.key && (d.key->size() < 16 || d.key->size() > 64)) {
    errors.push_back(codecs::makeError("key", 0, "a device key of 16 to 64 bytes"));
  }
  if (protocol != "dcgw" && !teltonika)
    errors.push_back(codecs::makeError("protocol", 0, "dcgw or teltonika, not '" + protocol + "'"));
  const std::string family = d.family.value_or("");
  if (teltonika && family.empty()) {
    errors.push_back(codecs::makeError(
        "family", 0,
        "FMBxxx or FMX6: required for a Teltonika device (it decides what its IO ids mean)"));
  } else if (teltonika && !codecs::teltonika::parseFamily(family)) {
    errors.push_back(codecs::makeError("family", 0, "FMBxxx or FMX6, not '" + family + "'"));
  } else if (!teltonika && !family.empty()) {
    errors.push_back(codecs::makeError(
        "family", 0, "null or absent: only a Teltonika device has a family (protocol teltonika)"));
  }
  return errors;
}

codecs::Status validateDevice(const store::DeviceConfig& d) {
  std::vector<codecs::Error> errors = deviceErrors(d);
  if (!errors.empty()) return errors.front();
  return codecs::Ok{};
}

bool isToken(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

bool isCalendarDate(const std::string& s) {
  const auto days = codecs::parseIsoDateDays(s);
  return days && *days >= 0;  // 1970 on
}

std::vector<codecs::Error> cardErrors(const store::CompanyCardConfig& c) {
  std::vector<codecs::Error> errors;
  if (!isToken(c.number, 16))
    errors.push_back(codecs::makeError(
        "number", 0,
        "a company card number: 1 to 16 printable ASCII characters without spaces (normally "
        "the 16 printed on the card)"));
  if (c.name.size() > 64) errors.push_back(codecs::makeError("name", 0, "at most 64 characters"));
  if (!isCalendarDate(c.expiresOn))
    errors.push_back(
        codecs::makeError("expiresOn", 0, "the card's expiry date, a real date as YYYY-MM-DD"));
  return errors;
}

std::vector<codecs::Error> cardBridgeErrors(const store::CardBridgeConfig& b) {
  std::vector<codecs::Error> errors;
  if (!isToken(b.ident, 32))
    errors.push_back(codecs::makeError(
        "ident", 0, "a bridge ident: 1 to 32 printable ASCII characters without spaces"));
  if (b.description.size() > 200)
    errors.push_back(codecs::makeError("description", 0, "at most 200 characters"));
  if (b.key && (b.key->size() < 16 || b.key->size() > 64))
    errors.push_back(codecs::makeError("key", 0, "a bridge key of 16 to 64 bytes"));
  return errors;
}

codecs::Result<codecs::Bytes> parseHexKey(const std::string& hex, const std::string& what) {
  codecs::Bytes key;
  std::size_t bad = 0;
  if (!codecs::fromHex(hex, key, &bad))
    return codecs::makeError("key", bad, "hexadecimal digits (2 per byte) of " + what);
  if (key.size() < 16 || key.size() > 64)
    return codecs::makeError("key", 0,
                             what + " of 16 to 64 bytes (32 to 128 hex digits), not " +
                                 std::to_string(key.size()) + " bytes");
  return key;
}

codecs::Error toError(const store::Error& e) {
  return codecs::makeError(e.field, 0, e.message);
}

}  // namespace dcgw::control
