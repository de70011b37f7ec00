// The export file's rows.
#include "gateway/store/transfer.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "codecs/bytes.hpp"

namespace dcgw::store::transfer {

const std::vector<std::string>& tables() {
  static const std::vector<std::string> t = {"config_version",   "destinations",
                                             "locations",        "location_destinations",
                                             "company_cards",    "company_card_locations",
                                             "card_bridges",     "devices",
                                             "alert_settings",   "alert_rules",
                                             "packets",          "deliveries",
                                             "attempts",         "destination_state",
                                             "refused_idents",   "api_tokens",
                                             "audit_log",        "card_events",
                                             "card_sessions",    "files",
                                             "file_uploads",     "drivers",
                                             "alert_conditions", "tacho_downloads"};
  return t;
}

std::string encodeRow(const std::vector<Value>& row) {
  std::string out = "r";
  for (const Value& v : row) {
    out += '\t';
    switch (v.kind) {
      case Value::Kind::Null:
        out += '~';
        break;
      case Value::Kind::Integer:
        out += 'i';
        out += std::to_string(v.integer);
        break;
      case Value::Kind::Real: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v.real);
        out += 'f';
        out += buf;
        break;
      }
      case Value::Kind::Text:
      case Value::Kind::Blob:
        out += v.kind == Value::Kind::Text ? 't' : 'b';
        out += codecs::toBase64(codecs::ByteView(
            reinterpret_cast<const std::uint8_t*>(v.bytes.data()), v.bytes.size()));
        break;
    }
  }
  return out;
}

std::optional<std::vector<Value>> decodeRow(const std::string& line) {
  if (line.empty() || line[0] != 'r') return std::nullopt;
  std::vector<Value> row;
  std::size_t at = 1;
  while (at < line.size()) {
    if (line[at] != '\t') return std::nullopt;
    const std::size_t end = std::min(line.find('\t', at + 1), line.size());
    const std::string field = line.substr(at + 1, end - at - 1);
    at = end;
    if (field.empty()) return std::nullopt;
    Value v;
    const std::string body = field.substr(1);
    switch (field[0]) {
      case '~':
        if (!body.empty()) return std::nullopt;
        break;
      case 'i': {
        v.kind = Value::Kind::Integer;
        auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v.integer);
        if (ec != std::errc() || p != body.data() + body.size() || body.empty())
          return std::nullopt;
        break;
      }
      case 'f': {
        v.kind = Value::Kind::Real;
        char* end = nullptr;
        v.real = std::strtod(body.c_str(), &end);
        if (body.empty() || *end != '\0') return std::nullopt;
        break;
      }
      case 't':
      case 'b': {
        v.kind = field[0] == 't' ? Value::Kind::Text : Value::Kind::Blob;
        codecs::Bytes b;
        if (!codecs::fromBase64(body, b)) return std::nullopt;
        v.bytes.assign(b.begin(), b.end());
        break;
      }
      default:
        return std::nullopt;
    }
    row.push_back(std::move(v));
  }
  return row;
}

}  // namespace dcgw::store::transfer
