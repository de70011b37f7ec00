// Devices: create (or register a refused ident), update, rotate the key and remove, each
// validated once, stored with its audit row in one transaction, then published (DeviceChanged:
// routing re-reads, the uplink closes a session whose device went away or got a new key).
#pragma once

#include <optional>
#include <string>

#include "codecs/bytes.hpp"
#include "gateway/control/service.hpp"

namespace dcgw::control {

// The members an update gives (the others keep their value).
struct DeviceChanges {
  std::optional<std::optional<std::int64_t>> locationId;  // a location, or none (null)
  std::optional<std::string> registration;
  std::optional<codecs::Bytes> key;
  // The sequence mark (an admin's reset; 0: nothing stored). Set only when it differs: the
  // change is audited as device.reset-sequence and a logged-in session is closed with
  // SEQUENCE_RESET (schema/uplink.md section 4).
  std::optional<std::uint32_t> lastSequence;
  // The company card its card sessions use when CARD_OPEN names none; "": none (issue 12).
  std::optional<std::string> companyCard;
  // "dcgw" | "teltonika" (issue 15), and the Teltonika family ("FMBxxx" | "FMX6", any case;
  // nullopt inside: none). Switching a device to dcgw without naming a family drops it.
  std::optional<std::string> protocol;
  std::optional<std::optional<std::string>> family;
};

struct CreatedDevice {
  store::DeviceRecord device;
  std::string generatedKey;  // hex; only when the service generated it (shown once)
};

class Devices {
 public:
  explicit Devices(Context ctx) : ctx_(ctx) {}

  std::optional<store::DeviceRecord> get(const std::string& serial);

  // `errors`: what the caller's parser already found wrong with the input; the service adds a
  // location or company card that does not exist and a bad serial, registration or key, all at
  // once.
  Outcome<CreatedDevice> create(const Actor& a, const store::DeviceConfig& d,
                                FieldErrors errors = {});
  // A refused ident becomes a device (with a generated key when none is given); the serial is
  // the ident's, and the ident is forgotten in the same transaction.
  Outcome<CreatedDevice> registerRefused(const Actor& a, const std::string& serial,
                                         store::DeviceConfig d, FieldErrors errors = {});
  Outcome<store::DeviceRecord> update(const Actor& a, const std::string& serial,
                                      const DeviceChanges& c, FieldErrors errors = {});
  // Returns the new key (hex), shown once. Invalid for a Teltonika device (it has no key).
  Outcome<std::string> rotateKey(const Actor& a, const std::string& serial);
  Outcome<Done> remove(const Actor& a, const std::string& serial);

 private:
  Outcome<CreatedDevice> add(const Actor& a, store::DeviceConfig d, FieldErrors errors,
                             bool refused);
  Context ctx_;
};

}  // namespace dcgw::control
