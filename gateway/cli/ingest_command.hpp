// `dcgw ingest`: packets from stdin into the store (and, with --forward, on to the destinations
// of each device's location), acknowledged line by line once durable.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dcgw::cli {

// dcgw ingest [--db PATH] [--config FILE] [--synchronous full|normal] [--serial S] [--forward]
//   [--wait-ms N]
//   [--retry-base-ms N] [--retry-cap-ms N] < lines
// Each line: "HEX" (with --serial) or "SERIAL HEX". Prints "ack N" once line N is committed,
// or "refused N: reason". With --forward, the destinations of each device's location get them
// too; the command then waits until every queue is empty (at most --wait-ms, default 10 s) and
// prints one status line per destination.
int runIngest(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
              std::ostream& err);

}  // namespace dcgw::cli
