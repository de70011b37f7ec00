// An export file loaded into PostgreSQL: each table's rows inserted with their ids, values
// converted to the column's type (booleans from SQLite's 0/1, bytes as binary parameters),
// counts checked, the identity sequences set past the ids loaded; all or nothing.
#include "gateway/store/postgres/import.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "codecs/json.hpp"
#include "gateway/store/postgres/pg.hpp"

namespace dcgw::store::postgres {
namespace {

StoreError invalid(std::int64_t line, const std::string& what) {
  return StoreError(ErrorCategory::Invalid,
                    "the export file, line " + std::to_string(line) + ": " + what);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = s.find(sep, at);
    out.push_back(s.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) return out;
    at = end + 1;
  }
}

}  // namespace

transfer::Summary importStore(const std::string& url, std::istream& in) {
  Conn db(url);
  db.migrate();
  {
    Stmt used = db.prepare(
        "SELECT (SELECT count(*) FROM destinations) + (SELECT count(*) FROM locations) + "
        "(SELECT count(*) FROM devices) + (SELECT count(*) FROM packets) + "
        "(SELECT count(*) FROM api_tokens)");
    used.step();
    if (used.integer(0) != 0)
      throw StoreError(ErrorCategory::Conflict,
                       "the PostgreSQL database already holds destinations, locations, devices, "
                       "packets or tokens: import into an empty one (createdb, then dcgw import)");
  }
  // Column types of every table, from the catalogue.
  std::map<std::string, std::map<std::string, std::string>> types;
  {
    Stmt cols = db.prepare(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema()");
    while (cols.step()) types[cols.text(0)][cols.text(1)] = cols.text(2);
  }
  Transaction tx(db, Transaction::Mode::Durable);
  transfer::Summary summary;
  std::string line;
  std::int64_t lineNo = 0;
  auto next = [&]() -> bool {
    if (!std::getline(in, line)) return false;
    ++lineNo;
    return true;
  };
  if (!next() || line != transfer::kMagic)
    throw invalid(1, std::string("not a dcgw export (it starts with '") + transfer::kMagic + "')");
  if (!next() || line.rfind("source sqlite ", 0) != 0)
    throw invalid(2, "'source sqlite N' expected (only SQLite exports are imported)");
  summary.source = line.substr(7);
  const std::vector<std::string>& order = transfer::tables();
  std::set<std::string> loaded;
  for (;;) {
    if (!next()) throw invalid(lineNo + 1, "the file ends before its 'end' line (cut short?)");
    if (line == "end") break;
    if (line.rfind("table ", 0) != 0) throw invalid(lineNo, "'table NAME COLUMNS' expected");
    const auto parts = split(line.substr(6), ' ');
    if (parts.size() != 2) throw invalid(lineNo, "'table NAME COLUMNS' expected");
    const std::string& table = parts[0];
    if (std::find(order.begin(), order.end(), table) == order.end() || !types.count(table))
      throw invalid(lineNo, "table '" + table + "' is not one dcgw imports");
    if (!loaded.insert(table).second) throw invalid(lineNo, "table '" + table + "' twice");
    const auto columns = split(parts[1], ',');
    std::vector<std::string> columnTypes;
    std::string placeholders;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto t = types[table].find(columns[i]);
      if (t == types[table].end())
        throw invalid(lineNo, "table " + table + " has no column '" + columns[i] +
                                  "' in PostgreSQL (an export of a newer dcgw?)");
      columnTypes.push_back(t->second);
      placeholders += (i ? ",$" : "$") + std::to_string(i + 1);
    }
    // config_version has its one row already: the exported one replaces it.
    if (table == "config_version") db.exec("DELETE FROM config_version");
    const std::string insert =
        "INSERT INTO " + table + " (" + parts[1] + ") VALUES (" + placeholders + ")";
    std::int64_t n = 0;
    std::vector<std::optional<std::string>> values(columns.size());
    std::vector<int> formats(columns.size());
    for (;;) {
      if (!next()) throw invalid(lineNo + 1, "the file ends inside table " + table);
      if (line.rfind("count ", 0) == 0) {
        if (line.substr(6) != std::to_string(n))
          throw invalid(lineNo, "table " + table + " holds " + std::to_string(n) +
                                    " rows, the file says " + line.substr(6));
        break;
      }
      auto row = transfer::decodeRow(line);
      if (!row || row->size() != columns.size())
        throw invalid(lineNo, "a row of " + std::to_string(columns.size()) + " values of table " +
                                  table + " expected");
      for (std::size_t i = 0; i < columns.size(); ++i) {
        const transfer::Value& v = (*row)[i];
        formats[i] = 0;
        switch (v.kind) {
          case transfer::Value::Kind::Null:
            values[i].reset();
            break;
          case transfer::Value::Kind::Integer:
            if (columnTypes[i] == "boolean")
              values[i] = v.integer ? "true" : "false";
            else
              values[i] = std::to_string(v.integer);
            break;
          case transfer::Value::Kind::Real: {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", v.real);
            values[i] = buf;
            break;
          }
          case transfer::Value::Kind::Text:
          case transfer::Value::Kind::Blob:
            values[i] = v.bytes;
            formats[i] = columnTypes[i] == "bytea" ? 1 : 0;  // bytes as they are
            if (columnTypes[i] != "bytea" && v.kind == transfer::Value::Kind::Blob)
              throw invalid(lineNo, "bytes in column " + columns[i] + " of " + table +
                                        ", which PostgreSQL keeps as " + columnTypes[i]);
            // Sent as text: a NUL byte would cut it short, and PostgreSQL refuses bytes that are
            // not UTF-8 (a SQLite TEXT holds either): named here, before anything is loaded.
            if (columnTypes[i] != "bytea") {
              if (const auto nul = v.bytes.find('\0'); nul != std::string::npos)
                throw invalid(lineNo, "column " + columns[i] + " of " + table +
                                          " holds a NUL byte (at byte " + std::to_string(nul) +
                                          "), which PostgreSQL's " + columnTypes[i] +
                                          " cannot keep");
              if (!codecs::isValidUtf8(v.bytes))
                throw invalid(lineNo, "column " + columns[i] + " of " + table +
                                          " is not valid UTF-8, which PostgreSQL's " +
                                          columnTypes[i] + " requires");
            }
            break;
        }
      }
      db.run(insert, values, formats);
      ++n;
    }
    summary.rows.emplace_back(table, n);
  }
  for (const std::string& t : order)
    if (!loaded.count(t)) throw invalid(lineNo, "the file has no table " + t);
  // New ids continue after the imported ones.
  {
    Stmt ids = db.prepare(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND is_identity = 'YES'");
    std::vector<std::pair<std::string, std::string>> identity;
    while (ids.step()) identity.emplace_back(ids.text(0), ids.text(1));
    for (const auto& [table, column] : identity)
      db.exec("SELECT setval(pg_get_serial_sequence('" + table + "', '" + column +
              "'), COALESCE((SELECT max(" + column + ") FROM " + table + "), 1), (SELECT max(" +
              column + ") FROM " + table + ") IS NOT NULL)");
  }
  tx.commit();
  return summary;
}

}  // namespace dcgw::store::postgres
