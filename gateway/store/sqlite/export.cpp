// The SQLite store written as an export file: the header, then each table's columns and rows in
// rowid order, then its count; all in one read transaction, so the file is one moment's store.
#include "gateway/store/sqlite/export.hpp"

#include <algorithm>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/delivered_runs.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::store::sqlite {

namespace {

// Each run entry as a row of deliveries with the file's columns (a delivered row, one attempt).
std::int64_t exportRunEntries(Db& db, const std::string& columns, std::ostream& out) {
  std::vector<std::string> names;
  for (std::size_t at = 0; at <= columns.size();) {
    const std::size_t end = std::min(columns.find(',', at), columns.size());
    names.push_back(columns.substr(at, end - at));
    at = end + 1;
  }
  std::vector<std::int64_t> destinations;
  {
    Stmt d = db.prepare("SELECT DISTINCT destination_id FROM delivered_runs ORDER BY 1");
    while (d.step()) destinations.push_back(d.integer(0));
  }
  std::int64_t n = 0;
  std::vector<transfer::Value> row(names.size());
  for (std::int64_t dest : destinations) {
    forEachRun(db, dest, 0, [&](Run& r) {
      for (const RunEntry& e : r.entries) {
        for (std::size_t c = 0; c < names.size(); ++c) {
          transfer::Value& v = row[c];
          v = {};
          v.kind = transfer::Value::Kind::Integer;
          const std::string& name = names[c];
          if (name == "destination_id")
            v.integer = dest;
          else if (name == "id")
            v.integer = e.id;
          else if (name == "packet_id")
            v.integer = e.packetId;
          else if (name == "state")
            v.integer = static_cast<int>(DeliveryState::Delivered);
          else if (name == "attempts")
            v.integer = 1;
          else if (name == "finished_at")
            v.integer = e.finishedAtMs;
          else if (name == "duration_us")
            v.integer = e.durationUs;
          else
            v.kind = transfer::Value::Kind::Null;  // reason, and any column added later
        }
        out << transfer::encodeRow(row) << '\n';
        ++n;
      }
      return true;
    });
  }
  return n;
}

}  // namespace

transfer::Summary exportStore(const std::string& path, std::ostream& out) {
  // Read-only: an export changes nothing, not even an older store's schema. So that store is
  // refused with what to do, rather than exported in a layout the import does not know.
  Db db(path, Db::ReadOnly{});
  if (const std::vector<int> missing = missingMigrations(db); !missing.empty()) {
    std::string list;
    for (int v : missing) list += (list.empty() ? "" : ", ") + std::to_string(v);
    throw StoreError(ErrorCategory::Invalid,
                     "the store lacks migration(s) " + list +
                         " of this dcgw (an older store, or no dcgw store at all); run "
                         "`dcgw migrate --db " +
                         path + "` first (export itself changes nothing)");
  }
  transfer::Summary summary;
  summary.source = "sqlite " + std::to_string(db.schemaVersion());
  out << transfer::kMagic << '\n' << "source " << summary.source << '\n';
  db.exec("BEGIN");  // deferred: a read snapshot; ingest goes on committing meanwhile
  try {
    for (const std::string& table : transfer::tables()) {
      std::string columns;
      {
        Stmt info = db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid");
        info.bind(1, table);
        while (info.step()) columns += (columns.empty() ? "" : ",") + info.text(0);
      }
      if (columns.empty())
        throw StoreError(ErrorCategory::Corrupt, "the store has no table " + table);
      out << "table " << table << ' ' << columns << '\n';
      Stmt rows = db.prepare("SELECT " + columns + " FROM " + table);
      std::int64_t n = 0;
      std::vector<transfer::Value> row;
      while (rows.step()) {
        row.assign(static_cast<std::size_t>(rows.columns()), {});
        for (int c = 0; c < rows.columns(); ++c) {
          transfer::Value& v = row[static_cast<std::size_t>(c)];
          switch (rows.type(c)) {
            case SQLITE_INTEGER:
              v.kind = transfer::Value::Kind::Integer;
              v.integer = rows.integer(c);
              break;
            case SQLITE_FLOAT:
              v.kind = transfer::Value::Kind::Real;
              v.real = rows.real(c);
              break;
            case SQLITE_TEXT:
              v.kind = transfer::Value::Kind::Text;
              v.bytes = rows.text(c);
              break;
            case SQLITE_BLOB: {
              v.kind = transfer::Value::Kind::Blob;
              const auto b = rows.blob(c);
              v.bytes.assign(b.begin(), b.end());
              break;
            }
            default:
              break;  // NULL
          }
        }
        out << transfer::encodeRow(row) << '\n';
        ++n;
      }
      // First-attempt deliveries kept as run entries (migration 016) are rows of deliveries
      // in the file, as every other store keeps them.
      if (table == "deliveries") n += exportRunEntries(db, columns, out);
      out << "count " << n << '\n';
      summary.rows.emplace_back(table, n);
    }
    out << "end\n";
    db.exec("COMMIT");
  } catch (...) {
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  return summary;
}

}  // namespace dcgw::store::sqlite
