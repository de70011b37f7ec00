// `dcgw card-bridge`.
#include "gateway/cli/card_bridge_command.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "gateway/cardbridge/bridge.hpp"

namespace dcgw::cli {

namespace {

constexpr const char* kHelp =
    R"(usage: dcgw card-bridge --config FILE [--log-level trace|debug|info|warn|error]

Holds the company cards in this computer's PC/SC readers (pcscd) for remote tachograph
authentication: connects to the gateway's card-bridge listener, reports each card it knows
(by the extended serial number in the configuration), and serves the sessions the gateway
relays for trackers. Reconnects by itself (10 s doubling to 5 min). Stops on SIGINT or SIGTERM.

The configuration file (JSON):
  {"gateway": {"host": "gateway.example.com", "port": 7710, "tls": true,
               "caFile": "/etc/dcgw/ca.pem"},
   "ident": "office-1",
   "key": "<the bridge key registered at the gateway, hex>",
   "cards": [{"extendedSerial": "0011223344556677", "card": "1200000000110200"}],
   "readers": [], "logApdus": false}
A card whose serial number is not listed is logged with its serial number, to be added.
)";

}  // namespace

int runCardBridge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config;
  auto level = spdlog::level::info;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << kHelp;
      return 0;
    }
    if ((a == "--config" || a == "--log-level") && i + 1 >= args.size()) {
      err << "dcgw card-bridge: " << a << " needs a value\n";
      return 2;
    }
    if (a == "--config") {
      config = args[++i];
    } else if (a == "--log-level") {
      level = spdlog::level::from_str(args[++i]);
      if (spdlog::level::to_string_view(level) != args[i]) {
        err << "dcgw card-bridge: --log-level must be trace, debug, info, warn or error, not '"
            << args[i] << "'\n";
        return 2;
      }
    } else {
      err << "dcgw card-bridge: unknown option '" << a << "' (see --help)\n";
      return 2;
    }
  }
  if (config.empty()) {
    err << "dcgw card-bridge: --config FILE is required (see --help)\n";
    return 2;
  }
  auto c = cardbridge::loadBridgeConfig(config);
  if (!c) {
    err << "dcgw card-bridge: " << c.error() << '\n';
    return 2;
  }
  spdlog::set_level(level);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // every thread started from here on too
  cardbridge::Bridge bridge(std::move(*c));
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("card bridge: stopping (signal {})", sig);
    bridge.stop();
  });
  bridge.run();
  pthread_kill(signals.native_handle(), SIGTERM);  // if run() ended by itself
  signals.join();
  return 0;
}

}  // namespace dcgw::cli
