// Delivered runs (SQLite migration 016, issue 17): the deliveries of one destination that went
// through at the first attempt, kept as one row per run of up to kRunEntries in
// delivered_runs instead of a row each in deliveries. Each entry keeps what the row kept: its
// delivery id, its packet, when it was delivered and how long it took; its state is delivered
// and its history that one successful attempt. Layout: schema/sqlite/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace dcgw::store::sqlite {

class Db;

struct RunEntry {
  std::int64_t id{0};
  std::int64_t packetId{0};
  std::int64_t finishedAtMs{0};
  std::int64_t durationUs{0};
};

constexpr std::size_t kRunEntries = 64;

// One run: entries in ascending id order, never empty once stored.
struct Run {
  std::int64_t destinationId{0};
  std::int64_t storedFirstId{0};  // the key it is stored under (0: not stored yet)
  std::vector<RunEntry> entries;
  std::int64_t firstId() const { return entries.front().id; }
  std::int64_t lastId() const { return entries.back().id; }
  std::int64_t finishedTo() const;  // the latest finish of its entries
};

// Entries as bytes: per entry, the id's step from the one before (the first from firstId),
// then the packet's, the finish time's (both zigzag) and the duration, each a LEB128 varint.
std::vector<std::uint8_t> encodeRun(const std::vector<RunEntry>& entries);
// Throws StoreError(Corrupt) naming the run when the bytes are not a run of `count` entries.
std::vector<RunEntry> decodeRun(std::int64_t destinationId, std::int64_t firstId,
                                std::int64_t count, const std::vector<std::uint8_t>& bytes);

// The destination's newest run.
std::optional<Run> lastRun(Db& db, std::int64_t destinationId);
// The destination's run whose id range holds `id`, if any.
std::optional<Run> runHolding(Db& db, std::int64_t destinationId, std::int64_t id);
// Stores the run under its first id (replacing what was stored under storedFirstId), or
// deletes it when it has no entry left. Sets storedFirstId.
void saveRun(Db& db, Run& run);
// Every run of the destination with an entry above `afterId`, oldest first, until `f` says
// stop (returns false).
void forEachRun(Db& db, std::int64_t destinationId, std::int64_t afterId,
                const std::function<bool(Run&)>& f);
// Every run of the destination, newest first, until `f` says stop (returns false).
void forEachRunNewestFirst(Db& db, std::int64_t destinationId, const std::function<bool(Run&)>& f);

}  // namespace dcgw::store::sqlite
