// `dcgw destinations|locations|devices|queue|tokens ...`: the admin CLI over the admin HTTP API
// (schema/openapi.yaml), printing human tables or the API's JSON.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codecs/result.hpp"
#include "gateway/cli/admin_client.hpp"

namespace dcgw::cli {

// Exit statuses of every admin command.
inline constexpr int kAdminOk = 0;
inline constexpr int kAdminApiError = 1;     // the API answered with an error
inline constexpr int kAdminBadArgs = 2;      // bad options or values
inline constexpr int kAdminUnreachable = 3;  // no answer from the gateway

// noun: destinations, locations, devices, queue or tokens. args: what follows it
// (`list`, `show 3 --json`, ...). Common options: --url URL (else $DCGW_URL, else
// http://127.0.0.1:8080), --token T (else $DCGW_TOKEN; required), --json, --ca-file F,
// --insecure. Returns one of the exit statuses above.
int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err);

// What the commands take from outside, replaceable in tests.
struct AdminEnvironment {
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  std::function<std::unique_ptr<AdminTransport>(const ClientOptions&)> connect;
  std::function<std::chrono::system_clock::time_point()> now;
};
AdminEnvironment defaultAdminEnvironment();

int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const AdminEnvironment& env);

// The command line of one admin command, checked against its verb's options.
struct AdminInvocation {
  std::string noun;
  std::string verb;
  std::string operand;                        // the ID or SERIAL, when the verb takes one
  std::map<std::string, std::string> values;  // "--name" -> "Receiver"
  std::set<std::string> flags;                // "--disabled"
  ClientOptions client;
  bool json{false};
  bool help{false};  // --help, -h or `help`: nothing else was checked
};

// The error's field names the option (or "ID", "SERIAL", "command") and `expected` is the whole
// message.
codecs::Result<AdminInvocation> parseAdminArgs(
    const std::string& noun, const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

// The usage of one noun's commands (or of all five when noun is empty).
std::string adminUsage(const std::string& noun);

struct TableColumn {
  std::string title;
  bool right{false};  // numbers
};
// A header row and aligned columns two spaces apart; the last column is not padded. Control
// characters in cells become spaces so one row stays one line.
void renderTable(const std::vector<TableColumn>& columns,
                 const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// 45s, 12m05s, 3h07m, 2d05h.
std::string formatDuration(double seconds);

// "2026-11-22T10:15:30.250Z" (a fraction and "+00:00" allowed).
std::optional<std::chrono::system_clock::time_point> parseIsoTime(const std::string& text);

}  // namespace dcgw::cli
