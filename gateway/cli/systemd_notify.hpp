// Telling systemd how `dcgw serve` is doing (Type=notify): READY=1, STOPPING=1, STATUS=...
#pragma once

#include <string>

namespace dcgw::cli {

// Sends `state` (sd_notify(3) assignments, one per line) to $NOTIFY_SOCKET; nothing when the
// variable is unset (not started by systemd). Failures are ignored: the service runs on, and
// systemd reports the missing readiness itself.
void notifySystemd(const std::string& state);

}  // namespace dcgw::cli
