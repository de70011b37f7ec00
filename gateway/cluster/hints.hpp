// The hints one node sends the others (schema/postgres/README.md, "Hints between nodes"): the
// destinations whose queues got rows, and the changes of the change feed, as text payloads of
// at most 7,900 bytes (PostgreSQL's NOTIFY takes fewer than 8,000).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/common/change_feed.hpp"

namespace dcgw::cluster {

constexpr std::size_t kMaxHintBytes = 7900;

// "<node> w <id>,<id>...": one payload per at most kMaxHintBytes.
std::vector<std::string> encodeWorkHints(std::int64_t node, const std::vector<std::int64_t>& ids);
// "<node> c" then a line per change: "<kind> <id> <serial, percent-encoded>".
std::vector<std::string> encodeChangeHints(std::int64_t node,
                                           const std::vector<common::Change>& changes);

struct Hint {
  std::int64_t node{0};
  std::vector<common::Change> changes;  // QueueHasWork for a work hint
};
// nullopt for a payload that is not a hint of this format (it is ignored).
std::optional<Hint> decodeHint(const std::string& payload);

}  // namespace dcgw::cluster
