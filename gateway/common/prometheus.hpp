// Prometheus' text exposition format: a label value escaped (backslash, double quote, newline).
#pragma once

#include <string>

namespace dcgw::common {

inline std::string promLabel(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

}  // namespace dcgw::common
