// --provision-db of both simulators: registers the run's devices in a gateway's SQLite store
// before they connect.
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "codecs/result.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/simulate/shared.hpp"
#include "gateway/simulate/simulator_internal.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::simulate {

int provisionDevices(const std::string& db, const std::string& location, std::uint32_t count,
                     const std::function<store::DeviceConfig(std::uint32_t)>& device,
                     std::ostream& err) {
  try {
    // Provisioning is set-up, not the measured path: no fsync per device.
    store::SqliteStore store(db, store::Durability::Normal);
    std::optional<std::int64_t> locationId;
    std::string known;
    for (const auto& l : store.locations()) {
      if (l.name == location) locationId = l.id;
      known += (known.empty() ? "" : ", ") + l.name;
    }
    if (!locationId) {
      err << "dcgw simulate: --location: no location '" << location << "' in " << db
          << " (it has: " << (known.empty() ? "none" : known) << ")\n";
      return 2;
    }
    // One transaction for all of them: thousands of devices, one commit.
    auto tx = store.begin();
    for (std::uint32_t i = 0; i < count; ++i) {
      store::DeviceConfig dc = device(i);
      dc.locationId = locationId;
      codecs::Status valid = control::validateDevice(dc);
      if (auto s = valid ? tx->upsertDevice(dc) : store::Status(store::invalid("", ""));
          !valid || !s) {
        err << "dcgw simulate: cannot provision device " << dc.serial << ": "
            << (valid ? s.error().field + ": " + s.error().message : valid.error().message())
            << '\n';
        return 1;
      }
    }
    tx->commit();
  } catch (const std::exception& e) {
    err << "dcgw simulate: --provision-db " << db << ": " << e.what() << '\n';
    return 1;
  }
  return -1;
}

int provisionDevices(const Options& o, std::ostream& err) {
  return provisionDevices(
      o.provisionDb, o.location, o.devices,
      [&](std::uint32_t i) {
        store::DeviceConfig dc;
        dc.serial = std::to_string(o.firstSerial + i);
        dc.registration = o.registration;
        dc.key = o.key;
        return dc;
      },
      err);
}

}  // namespace dcgw::simulate
