// Delivered runs: their bytes and their rows (delivered_runs.hpp).
#include "gateway/store/sqlite/delivered_runs.hpp"

#include <algorithm>
#include <string>

#include "gateway/store/errors.hpp"
#include "gateway/store/sqlite/db.hpp"

namespace dcgw::store::sqlite {

namespace {

void putVarint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

constexpr const char* kColumns = "first_id, count, entries";

Run readRun(const Stmt& s, std::int64_t destinationId) {
  Run r;
  r.destinationId = destinationId;
  r.storedFirstId = s.integer(0);
  r.entries = decodeRun(destinationId, r.storedFirstId, s.integer(1), s.blob(2));
  return r;
}

}  // namespace

std::int64_t Run::finishedTo() const {
  std::int64_t to = entries.front().finishedAtMs;
  for (const RunEntry& e : entries) to = std::max(to, e.finishedAtMs);
  return to;
}

std::vector<std::uint8_t> encodeRun(const std::vector<RunEntry>& entries) {
  std::vector<std::uint8_t> out;
  out.reserve(entries.size() * 6 + 8);
  RunEntry prev;
  if (!entries.empty()) prev.id = entries.front().id;
  for (const RunEntry& e : entries) {
    putVarint(out, static_cast<std::uint64_t>(e.id - prev.id));
    putVarint(out, zigzag(e.packetId - prev.packetId));
    putVarint(out, zigzag(e.finishedAtMs - prev.finishedAtMs));
    putVarint(out, static_cast<std::uint64_t>(std::max<std::int64_t>(e.durationUs, 0)));
    prev = e;
  }
  return out;
}

std::vector<RunEntry> decodeRun(std::int64_t destinationId, std::int64_t firstId,
                                std::int64_t count, const std::vector<std::uint8_t>& bytes) {
  auto corrupt = [&](const std::string& what) {
    return StoreError(ErrorCategory::Corrupt, "delivered_runs row (destination " +
                                                  std::to_string(destinationId) + ", first id " +
                                                  std::to_string(firstId) + "): " + what);
  };
  if (count < 1 || count > static_cast<std::int64_t>(kRunEntries))
    throw corrupt("a count of " + std::to_string(count));
  std::size_t at = 0;
  auto next = [&]() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.size()) throw corrupt("its entries end early");
      const std::uint8_t b = bytes[at++];
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw corrupt("a number longer than 64 bits");
  };
  std::vector<RunEntry> out;
  out.reserve(static_cast<std::size_t>(count));
  RunEntry prev;
  prev.id = firstId;
  for (std::int64_t i = 0; i < count; ++i) {
    RunEntry e;
    const std::uint64_t step = next();
    if (i > 0 && step == 0) throw corrupt("ids not ascending");
    e.id = prev.id + static_cast<std::int64_t>(step);
    e.packetId = prev.packetId + unzigzag(next());
    e.finishedAtMs = prev.finishedAtMs + unzigzag(next());
    e.durationUs = static_cast<std::int64_t>(next());
    out.push_back(e);
    prev = e;
  }
  if (at != bytes.size()) throw corrupt("bytes after its last entry");
  if (out.front().id != firstId) throw corrupt("its first entry is not its first id");
  return out;
}

std::optional<Run> lastRun(Db& db, std::int64_t destinationId) {
  Stmt s = db.prepare(std::string("SELECT ") + kColumns +
                      " FROM delivered_runs WHERE destination_id=? ORDER BY first_id DESC LIMIT 1");
  if (!s.bind(1, destinationId).step()) return std::nullopt;
  return readRun(s, destinationId);
}

std::optional<Run> runHolding(Db& db, std::int64_t destinationId, std::int64_t id) {
  // The newest run starting at or before id, then whether it reaches id (a condition on
  // last_id in the statement would walk every older run when none does).
  Stmt s = db.prepare(std::string("SELECT ") + kColumns +
                      ", last_id FROM delivered_runs WHERE destination_id=? AND first_id<=? "
                      "ORDER BY first_id DESC LIMIT 1");
  if (!s.bind(1, destinationId).bind(2, id).step() || s.integer(3) < id) return std::nullopt;
  return readRun(s, destinationId);
}

void saveRun(Db& db, Run& run) {
  if (run.storedFirstId != 0 && (run.entries.empty() || run.storedFirstId != run.firstId()))
    db.prepare("DELETE FROM delivered_runs WHERE destination_id=? AND first_id=?")
        .bind(1, run.destinationId)
        .bind(2, run.storedFirstId)
        .run();
  if (run.entries.empty()) {
    run.storedFirstId = 0;
    return;
  }
  const auto bytes = encodeRun(run.entries);
  db.prepare(
        "INSERT OR REPLACE INTO delivered_runs (destination_id, first_id, last_id, count, "
        "finished_to, entries) VALUES (?,?,?,?,?,?)")
      .bind(1, run.destinationId)
      .bind(2, run.firstId())
      .bind(3, run.lastId())
      .bind(4, static_cast<std::int64_t>(run.entries.size()))
      .bind(5, run.finishedTo())
      .bindBlob(6, bytes.data(), bytes.size())
      .run();
  run.storedFirstId = run.firstId();
}

void forEachRun(Db& db, std::int64_t destinationId, std::int64_t afterId,
                const std::function<bool(Run&)>& f) {
  // From the run holding afterId + 1 (if one does), then every later one.
  std::int64_t from = afterId + 1;
  {
    Stmt holding = db.prepare(
        "SELECT first_id FROM delivered_runs WHERE destination_id=? AND first_id<=? "
        "ORDER BY first_id DESC LIMIT 1");
    if (holding.bind(1, destinationId).bind(2, afterId + 1).step())
      from = std::min(from, holding.integer(0));
  }
  Stmt s = db.prepare(std::string("SELECT ") + kColumns +
                      " FROM delivered_runs WHERE destination_id=? AND first_id>=? "
                      "ORDER BY first_id");
  s.bind(1, destinationId).bind(2, from);
  while (s.step()) {
    Run r = readRun(s, destinationId);
    if (r.lastId() <= afterId) continue;
    if (!f(r)) return;
  }
}

void forEachRunNewestFirst(Db& db, std::int64_t destinationId, const std::function<bool(Run&)>& f) {
  Stmt s = db.prepare(std::string("SELECT ") + kColumns +
                      " FROM delivered_runs WHERE destination_id=? ORDER BY first_id DESC");
  s.bind(1, destinationId);
  while (s.step()) {
    Run r = readRun(s, destinationId);
    if (!f(r)) return;
  }
}

}  // namespace dcgw::store::sqlite
