// sd_notify from libsystemd (linked into dcgw_cli only, privately).
#include "gateway/cli/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

namespace dcgw::cli {

void notifySystemd(const std::string& state) {
  sd_notify(0, state.c_str());
}

}  // namespace dcgw::cli
