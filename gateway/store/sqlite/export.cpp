// The SQLite store written as an export file: the header, then each table's columns and rows in
// rowid order, then its count; all in one read transaction, so the file is one moment's store.
#include "gateway/store/sqlite/export.hpp"

#include "gateway/store/sqlite/db.hpp"

namespace dcgw::store::sqlite {

transfer::Summary exportStore(const std::string& path, std::ostream& out) {
  Db db(path);
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
