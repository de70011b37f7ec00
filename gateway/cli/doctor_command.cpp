// `dcgw doctor [--db PATH] [--config FILE] [--json] ...`: runs the checks of doctor_checks.hpp
// and prints them for people or, with --json, for scripts (schema/doctor.md).
#include "gateway/cli/doctor_command.hpp"

#include <stdexcept>
#include <string>

#include "gateway/cli/doctor_checks.hpp"

namespace dcgw::cli {
namespace {

constexpr const char* kUsage =
    "usage: dcgw doctor [--db PATH] [--config FILE] [--json] [--timeout-ms N] [--min-free-mb N]\n"
    "                   [--full-integrity-check]\n"
    "  checks the configuration file, the store (read-only), the listening ports, the\n"
    "  listeners' certificates and each destination's reachability (nothing is sent);\n"
    "  exit 0 when no check is an error, 1 otherwise\n";

}  // namespace

int runDoctor(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  doctor::Options o;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
    if (a == "--json") {
      json = true;
      continue;
    }
    if (a == "--full-integrity-check") {
      o.fullIntegrityCheck = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      err << "dcgw doctor: option " << a << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string& v = args[++i];
    try {
      if (a == "--db") {
        o.db = v;
      } else if (a == "--config") {
        o.config = v;
      } else if (a == "--timeout-ms") {
        const long long n = std::stoll(v);
        if (n < 1 || n > 600'000) throw std::out_of_range(v);
        o.timeout = std::chrono::milliseconds(n);
      } else if (a == "--min-free-mb") {
        const long long n = std::stoll(v);
        if (n < 0 || n > (1LL << 30)) throw std::out_of_range(v);
        o.minFreeBytes = n * 1024 * 1024;
      } else {
        err << "dcgw doctor: unknown option '" << a << "'\n" << kUsage;
        return 2;
      }
    } catch (const std::exception&) {
      err << "dcgw doctor: " << a << " needs a number in range, not '" << v << "'\n";
      return 2;
    }
  }
  const auto checks = doctor::runChecks(o);
  out << (json ? doctor::renderJson(checks) : doctor::renderText(checks));
  for (const auto& c : checks)
    if (c.status == doctor::Status::Error) return 1;
  return 0;
}

}  // namespace dcgw::cli
