// dcgw: the gateway executable and its subcommands.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "gateway/cli/admin_commands.hpp"
#include "gateway/cli/backup_command.hpp"
#include "gateway/cli/card_bridge_command.hpp"
#include "gateway/cli/codec_commands.hpp"
#include "gateway/cli/ddd_command.hpp"
#include "gateway/cli/doctor_command.hpp"
#include "gateway/cli/ingest_command.hpp"
#include "gateway/cli/migrate_command.hpp"
#include "gateway/cli/send_command.hpp"
#include "gateway/cli/serve_command.hpp"
#include "gateway/cli/tls_cert_command.hpp"
#include "gateway/cli/token_command.hpp"
#include "gateway/cli/transfer_command.hpp"
#include "gateway/receive/receiver.hpp"
#include "gateway/simulate/simulator.hpp"

namespace {

constexpr const char* kUsage =
    R"(dcgw - data forwarding gateway for tachograph and telematics fleets

usage: dcgw <command> [options]

commands:
  decode [--base64]     read packets (hex, or base64) one per line on stdin, print JSON lines
  encode [--base64]     read packet JSON objects one per line on stdin, print hex (or base64)
  schema packets [DIR]  write the JSON Schema of every packet family into DIR
  ddd [--downloaded-at T] [--utc-offset +HH:MM] [--registration R] [--nation A] FILE...
                        a tachograph file's summary, File Summary packet and conventional names,
                        one JSON line per file (schema/files.md)
  receive [--rest PORT] [--soap PORT] [--xml-tcp PORT] [--xml-udp PORT] [--binary PORT]
          [--bind ADDR] [--refuse-first N]
                        reference receiver: print one JSON line per forwarded message
  send --method M --host H [--port P] [--format base64binary|hex] [--custom-tags T]
       [--serial S] [--registration R] [--ca-file F] [--insecure] [--timeout MS]
       [--reply-timeout MS]
                        forward hex packets from stdin to one destination, print outcomes
  ingest [--db PATH | --store URL] [--config FILE] [--serial S] [--forward] [--wait-ms N]
         [--retry-base-ms N] [--retry-cap-ms N]
                        store packets ("SERIAL HEX" lines) durably, ack each, and forward them
  token create --role admin|auditor [--name NAME] [--db PATH | --store URL]
                        make an admin API token (printed once; stored hashed)
  migrate [--db PATH | --store URL]
                        apply the store's migrations (SQLite file, or PostgreSQL at a
                        postgresql:// URL) and print its schema version
  export [--db PATH] FILE
                        every table of a SQLite store (configuration, queues, history) to FILE
                        (schema/export.md), read in one snapshot while the gateway may run
  import --store URL FILE
                        loads an export into an empty PostgreSQL database, ids kept, in one
                        transaction (README, "Moving a SQLite installation to PostgreSQL")
  tls-cert --out-cert FILE --out-key FILE [--name HOST ...] [--days N]
                        a self-signed ECDSA P-256 certificate and key (0600) for a test
                        deployment of uplink.tls / admin.tls
  serve [--db PATH | --store URL] [--config FILE] [--bind ADDR] [--uplink-port P]
        [--max-connections N]
        [--admin-port P] [--admin-bind ADDR] [--teltonika-port P]
        [--idle-timeout-ms N] [--tls-cert F --tls-key F] [--synchronous full|normal]
        [--retry-base-ms N] [--retry-cap-ms N] [--stats-seconds N] [--log-level L]
        [--log-format text|json] [--log-file PATH [--log-max-bytes N] [--log-max-files N]]
        [--node-name NAME]
                        run the gateway: the uplink listener (schema/uplink.md), durable queues
                        and forwarding, until SIGINT or SIGTERM; --teltonika-port opens the
                        Teltonika listener (schema/teltonika.md) on P whatever etc/dcgw.json says;
                        --store postgresql://... keeps everything in PostgreSQL instead of the
                        SQLite file (README, "PostgreSQL store"); several serves on one
                        PostgreSQL database are nodes of one gateway, each forwarding its share
                        of the destinations (--node-name: how this one is listed; default
                        host/pid; README, "More than one machine")
                        logs go to stderr, or to the --log-file (rotated at --log-max-bytes,
                        --log-max-files kept), reopened on SIGHUP; under systemd (Type=notify)
                        it reports READY=1 once listening, STATUS= and STOPPING=1
  backup [--db PATH] [--with-files [--config FILE]] FILE
                        a consistent copy of the store, taken while the gateway runs (SQLite's
                        online backup API), written beside FILE, fsynced and renamed (0600);
                        --with-files copies the tachograph file store to FILE.files/ too
  restore [--db PATH] [--with-files [--config FILE]] BACKUP
                        checks BACKUP (integrity, schema version) and puts it in place of the
                        store; refused while a gateway runs on it (stop dcgw serve first)
  doctor [--db PATH] [--config FILE] [--json] [--timeout-ms N] [--min-free-mb N]
         [--full-integrity-check]
                        checks the configuration, the store, the ports, the certificates and
                        each destination's reachability (nothing sent); says what to do
  simulate [--host H] [--port P] [--devices N] [--first-serial NUM] [--key HEX] [--rate R]
           [--duration S] [--count N] [--window W] [--invalid-every N] [--drop-every N]
           [--connect-rate N] [--drain S] [--reconnect-every S] [--registration R] [--log FILE]
           [--json]
           [--provision-db PATH --location NAME] [--tls [--ca-file F] [--insecure]]
                        N trackers speaking the uplink protocol: prints sent, acknowledged,
                        rejected and acknowledgement latency p50/p99/max (--help for details)
  simulate --protocol teltonika [--family FMX6|FMBxxx] [--first-imei IMEI] [--devices N]
           [--rate R] [--duration S] [--count N] [--records-per-frame N] [--scenario drive]
           [--udp] [--ack-timeout S] [--connect-rate N] [--drain S] [--log FILE] [--json]
                        N Teltonika devices sending Codec 8 Extended records with stop-and-wait
                        acknowledgement (--help for details)
  simulate --card-session [--port P] [--first-serial S] [--key HEX] [--card NUMBER]
           [--protocol t0|t1|any] [--tls ...]
                        one tracker authenticating its vehicle unit with a company card
                        through the gateway's card relay; prints each step
  simulate --upload FILE [--kind KIND] [--upload-id N] [--upload-stop-after BYTES] [...]
                        one tracker uploading a tachograph file (schema/uplink.md section 8.6);
                        prints each FILE_ACK and the FILE_RESULT; run again to resume
  destinations list|show|create|update|delete|enable|disable
  locations list|show|create|update|delete
  devices list|show|create|update|set|delete|rotate-key|reset-sequence|refused|register|
          card-events|card-sessions
  queue list|show|entries|retry|pause|resume|skip|requeue-dead|replay
  tokens list|create|revoke
  drivers list
  cards list|show|add|set|remove|events|sessions
  card-bridges list|show|add|set|rotate-key|remove
  files list --device SERIAL|show ID|get ID --out FILE
  compliance list       tachograph downloads due or overdue (--location, --status, --soon-days)
                        the admin API of a running gateway: [--url URL] [--token T] [--json]
                        [--ca-file F] [--insecure]; dcgw NOUN --help for each command
  card-bridge --config FILE [--log-level L]
                        hold the company cards in this computer's PC/SC readers for remote
                        tachograph authentication through a gateway (schema/card-bridge.md)
  help                  this text
)";

int usage(std::ostream& o, int code) {
  o << kUsage;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2) return usage(std::cerr, 2);
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return usage(std::cout, 0);
  if (cmd == "decode" || cmd == "encode") {
    auto enc = dcgw::cli::TextEncoding::Hex;
    for (const auto& a : args) {
      if (a == "--base64") {
        enc = dcgw::cli::TextEncoding::Base64;
      } else if (a == "--hex") {
        enc = dcgw::cli::TextEncoding::Hex;
      } else {
        std::cerr << "dcgw " << cmd << ": unknown option '" << a
                  << "' (expected --base64 or --hex)\n";
        return 2;
      }
    }
    return cmd == "decode" ? dcgw::cli::runDecode(std::cin, std::cout, enc)
                           : dcgw::cli::runEncode(std::cin, std::cout, enc);
  }
  if (cmd == "schema") return dcgw::cli::runSchema(args, std::cout, std::cerr);
  if (cmd == "ddd") return dcgw::cli::runDdd(args, std::cout, std::cerr);
  if (cmd == "ingest") return dcgw::cli::runIngest(args, std::cin, std::cout, std::cerr);
  if (cmd == "token") return dcgw::cli::runToken(args, std::cout, std::cerr);
  if (cmd == "migrate") return dcgw::cli::runMigrate(args, std::cout, std::cerr);
  if (cmd == "export") return dcgw::cli::runExport(args, std::cout, std::cerr);
  if (cmd == "import") return dcgw::cli::runImport(args, std::cout, std::cerr);
  if (cmd == "tls-cert") return dcgw::cli::runTlsCert(args, std::cout, std::cerr);
  if (cmd == "serve") return dcgw::cli::runServe(args, std::cout, std::cerr);
  if (cmd == "backup") return dcgw::cli::runBackup(args, std::cout, std::cerr);
  if (cmd == "restore") return dcgw::cli::runRestore(args, std::cout, std::cerr);
  if (cmd == "doctor") return dcgw::cli::runDoctor(args, std::cout, std::cerr);
  if (cmd == "send") return dcgw::cli::runSend(args, std::cin, std::cout, std::cerr);
  if (cmd == "simulate") return dcgw::simulate::runSimulate(args, std::cout, std::cerr);
  if (cmd == "destinations" || cmd == "locations" || cmd == "devices" || cmd == "queue" ||
      cmd == "tokens" || cmd == "cards" || cmd == "card-bridges" || cmd == "files" ||
      cmd == "compliance" || cmd == "drivers")
    return dcgw::cli::runAdminCommand(cmd, args, std::cout, std::cerr);
  if (cmd == "receive") return dcgw::receive::runReceive(args, std::cout, std::cerr);
  if (cmd == "card-bridge") return dcgw::cli::runCardBridge(args, std::cout, std::cerr);
  std::cerr << "dcgw: unknown command '" << cmd << "'\n";
  return usage(std::cerr, 2);
}
