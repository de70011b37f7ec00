// The store's export file (schema/export.md): every table of a store as text lines, so a SQLite
// installation moves to PostgreSQL with its configuration, queues and history (`dcgw export`,
// `dcgw import`). This part knows the format only; each backend reads or writes its tables
// (sqlite/export.cpp, postgres/import.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dcgw::store::transfer {

constexpr const char* kMagic = "dcgw-export 1";

// The tables, in the order they are written and loaded (each after those it refers to).
const std::vector<std::string>& tables();

struct Value {
  enum class Kind { Null, Integer, Real, Text, Blob };
  Kind kind{Kind::Null};
  std::int64_t integer{0};
  double real{0};
  std::string bytes;  // Text (UTF-8) or Blob
};

// "r" then a tab and one field per value: "~" NULL, "i<decimal>", "f<%.17g>", "t<base64>",
// "b<base64>".
std::string encodeRow(const std::vector<Value>& row);
// nullopt when the line is not a row of that form.
std::optional<std::vector<Value>> decodeRow(const std::string& line);

// What an import loaded, table by table (for the command's report).
struct Summary {
  std::string source;  // "sqlite 13"
  std::vector<std::pair<std::string, std::int64_t>> rows;
};

}  // namespace dcgw::store::transfer
