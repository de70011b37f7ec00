// Devices: validated once, changed with their audit row in one transaction, then published.
#include "gateway/control/devices.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "gateway/control/validation.hpp"
#include "gateway/control/views.hpp"

namespace dcgw::control {

namespace {

std::string target(const std::string& serial) {
  return "device " + serial;
}

Failure missing(const std::string& serial) {
  return Failure::notFound("no device '" + serial + "'");
}

codecs::Bytes newKey() {
  codecs::Bytes k(32);
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  return k;
}

// The location is read in the change's transaction. Its error goes where the input has the
// member (before registration and key); the serial's is checked only where the input names it.
void check(store::ConfigReader& r, const store::DeviceConfig& d, bool checkSerial,
           std::initializer_list<const char*> afterLocation, FieldErrors& errors) {
  if (d.locationId && !r.location(*d.locationId))
    errors.addBefore("locationId", "the id of an existing location, or null", afterLocation);
  for (const codecs::Error& e : deviceErrors(d))
    if (e.field != "serial" || checkSerial) errors.add(e.field, e.expected);
  if (d.companyCard && !d.companyCard->empty() && !r.companyCard(*d.companyCard))
    errors.add("companyCard", "the number of a registered company card, or null for none ('" +
                                  *d.companyCard + "' is not registered)");
}

}  // namespace

std::optional<store::DeviceRecord> Devices::get(const std::string& serial) {
  return ctx_.store.device(serial);
}

Outcome<CreatedDevice> Devices::create(const Actor& a, const store::DeviceConfig& d,
                                       FieldErrors errors) {
  return add(a, d, std::move(errors), false);
}

Outcome<CreatedDevice> Devices::registerRefused(const Actor& a, const std::string& serial,
                                                store::DeviceConfig d, FieldErrors errors) {
  bool known = false;
  for (const auto& r : ctx_.store.refusedIdents()) known = known || r.serial == serial;
  if (!known) return Failure::notFound("no refused ident '" + serial + "'");
  d.serial = serial;
  return add(a, std::move(d), std::move(errors), true);
}

Outcome<CreatedDevice> Devices::add(const Actor& a, store::DeviceConfig d, FieldErrors errors,
                                    bool refused) {
  CreatedDevice created;
  canonicalizeDevice(d);
  const bool teltonika = d.protocol && *d.protocol == "teltonika";
  {
    auto tx = ctx_.store.begin();
    if (refused) {
      check(*tx, d, false, {"registration", "key", "serial", "protocol", "family"}, errors);
    } else {
      check(*tx, d, !errors.has("serial"), {"registration", "key", "protocol", "family"}, errors);
    }
    if (!errors.empty()) return Failure::invalid(errors);
    if (tx->device(d.serial))
      return Failure::conflict("device '" + d.serial + "' is already registered");
    if (auto clash = forwardedSerialClash(tx->devices(), &d.serial))
      return Failure::conflict(forwardedSerialError(clash->first, clash->second).expected);
    if (!d.key && refused && !teltonika) {  // a Teltonika device has no key
      d.key = newKey();
      created.generatedKey = codecs::toHex(*d.key);
    }
    if (store::Status s = tx->upsertDevice(d); !s) return Failure::fromStore(s.error());
    if (refused) tx->removeRefusedIdent(d.serial);
    auto after = tx->device(d.serial);
    if (!after) return Failure::conflict("device '" + d.serial + "' was removed meanwhile");
    created.device = *after;
    ctx_.audit(*tx, a, refused ? "device.register-refused" : "device.create", target(d.serial),
               std::nullopt, renderDevice(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::device(d.serial));
  return created;
}

Outcome<store::DeviceRecord> Devices::update(const Actor& a, const std::string& serial,
                                             const DeviceChanges& c, FieldErrors errors) {
  store::DeviceRecord after;
  bool reset = false;
  {
    auto tx = ctx_.store.begin();
    auto before = tx->device(serial);
    if (!before) return missing(serial);
    store::DeviceConfig d{serial, before->locationId, before->registration, std::nullopt,
                          std::nullopt};
    if (c.locationId) d.locationId = *c.locationId;
    if (c.registration) d.registration = *c.registration;
    if (c.key) d.key = *c.key;
    d.companyCard = c.companyCard;
    // The protocol and family are checked as they will be, so both are given to the store.
    d.protocol = c.protocol.value_or(before->protocol);
    if (c.family) {
      d.family = c.family->value_or("");
    } else {
      d.family = *d.protocol == "dcgw" ? std::string() : before->family;
    }
    canonicalizeDevice(d);
    // A device's serial only changes meaning with its protocol (dcgw serial or IMEI).
    check(*tx, d, *d.protocol != before->protocol,
          {"registration", "key", "serial", "lastSequence", "protocol", "family"}, errors);
    if (!errors.empty()) return Failure::invalid(errors);
    if (store::Status s = tx->upsertDevice(d); !s) return Failure::fromStore(s.error());
    // In the same transaction as its audit row: an ingest commit cannot slip in between.
    reset = c.lastSequence && *c.lastSequence != before->lastSequence;
    if (reset) {
      if (store::Status s = tx->setLastSequence(serial, *c.lastSequence); !s)
        return Failure::fromStore(s.error());
    }
    after = *tx->device(serial);
    ctx_.audit(*tx, a,
               c.key   ? "device.update-and-set-key"
               : reset ? "device.reset-sequence"
                       : "device.update",
               target(serial), renderDevice(*before), renderDevice(after));
    tx->commit();
  }
  if (reset) {
    ctx_.publish(std::vector<common::Change>{common::Change::device(serial),
                                             common::Change::sequenceReset(serial)});
  } else {
    ctx_.publish(common::Change::device(serial));
  }
  return after;
}

Outcome<std::string> Devices::rotateKey(const Actor& a, const std::string& serial) {
  std::string keyHex;
  {
    auto tx = ctx_.store.begin();
    auto before = tx->device(serial);
    if (!before) return missing(serial);
    if (before->protocol == "teltonika")
      return Failure::conflict("Teltonika devices have no device key; device '" + serial +
                               "' is known by its IMEI (use TLS or a private APN, see README)");
    const codecs::Bytes key = newKey();
    keyHex = codecs::toHex(key);
    store::DeviceConfig d{serial, before->locationId, before->registration, key, std::nullopt};
    if (store::Status s = tx->upsertDevice(d); !s) return Failure::fromStore(s.error());
    ctx_.audit(*tx, a, "device.rotate-key", target(serial), renderDevice(*before),
               renderDevice(*tx->device(serial)));
    tx->commit();
  }
  ctx_.publish(common::Change::device(serial));
  return keyHex;
}

Outcome<Done> Devices::remove(const Actor& a, const std::string& serial) {
  {
    auto tx = ctx_.store.begin();
    auto before = tx->device(serial);
    if (!before) return missing(serial);
    if (store::Status s = tx->removeDevice(serial); !s) return missing(serial);
    ctx_.audit(*tx, a, "device.delete", target(serial), renderDevice(*before), std::nullopt);
    tx->commit();
  }
  ctx_.publish(common::Change::device(serial));
  return Done{};
}

}  // namespace dcgw::control
