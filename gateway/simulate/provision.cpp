// --provision-db: registers the run's devices in a gateway's SQLite store before they connect.
#include <cstdint>
#include <exception>
#include <optional>
#include <ostream>
#include <string>

#include "codecs/result.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/simulate/simulator_internal.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::simulate {

int provisionDevices(const Options& o, std::ostream& err) {
  try {
    // Provisioning is set-up, not the measured path: no fsync per device.
    store::SqliteStore store(o.provisionDb, store::Durability::Normal);
    std::optional<std::int64_t> locationId;
    std::string known;
    for (const auto& l : store.locations()) {
      if (l.name == o.location) locationId = l.id;
      known += (known.empty() ? "" : ", ") + l.name;
    }
    if (!locationId) {
      err << "dcgw simulate: --location: no location '" << o.location << "' in " << o.provisionDb
          << " (it has: " << (known.empty() ? "none" : known) << ")\n";
      return 2;
    }
    // One transaction for all of them: thousands of devices, one commit.
    auto tx = store.begin();
    for (std::uint32_t i = 0; i < o.devices; ++i) {
      store::DeviceConfig dc;
      dc.serial = std::to_string(o.firstSerial + i);
      dc.locationId = locationId;
      dc.registration = o.registration;
      dc.key = o.key;
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
    err << "dcgw simulate: --provision-db " << o.provisionDb << ": " << e.what() << '\n';
    return 1;
  }
  return -1;
}

}  // namespace dcgw::simulate
