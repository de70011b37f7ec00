// Hint payloads between nodes: encoding and decoding.
#include "gateway/cluster/hints.hpp"

#include <charconv>
#include <sstream>

namespace dcgw::cluster {
namespace {

using Kind = common::Change::Kind;

struct KindName {
  Kind kind;
  const char* name;
};
constexpr KindName kKinds[] = {
    {Kind::QueueHasWork, "work"},      {Kind::DestinationChanged, "destination"},
    {Kind::QueueActed, "queue-acted"}, {Kind::LocationChanged, "location"},
    {Kind::DeviceChanged, "device"},   {Kind::SequenceReset, "sequence-reset"},
    {Kind::CardChanged, "card"},       {Kind::CardBridgeChanged, "card-bridge"},
};

std::string percentEncoded(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> percentDecoded(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hexDigit(s[i + 1]), lo = hexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<std::int64_t> number(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Splits `lines` into payloads of at most kMaxHintBytes, each starting with `head`.
std::vector<std::string> pack(const std::string& head, const std::vector<std::string>& items,
                              char separator) {
  std::vector<std::string> out;
  std::string cur = head;
  bool empty = true;
  for (const std::string& item : items) {
    if (!empty && cur.size() + 1 + item.size() > kMaxHintBytes) {
      out.push_back(cur);
      cur = head;
      empty = true;
    }
    cur += empty && separator == ',' ? ' ' : separator;
    cur += item;
    empty = false;
  }
  if (!empty) out.push_back(cur);
  return out;
}

}  // namespace

std::vector<std::string> encodeWorkHints(std::int64_t node, const std::vector<std::int64_t>& ids) {
  std::vector<std::string> items;
  items.reserve(ids.size());
  for (std::int64_t id : ids) items.push_back(std::to_string(id));
  return pack(std::to_string(node) + " w", items, ',');
}

std::vector<std::string> encodeChangeHints(std::int64_t node,
                                           const std::vector<common::Change>& changes) {
  std::vector<std::string> items;
  for (const common::Change& c : changes) {
    for (const KindName& k : kKinds) {
      if (k.kind != c.kind) continue;
      std::string line = std::string(k.name) + ' ' + std::to_string(c.id);
      if (!c.serial.empty()) line += ' ' + percentEncoded(c.serial);
      if (line.size() + 32 < kMaxHintBytes) items.push_back(std::move(line));
    }
  }
  return pack(std::to_string(node) + " c", items, '\n');
}

std::optional<Hint> decodeHint(const std::string& payload) {
  const std::size_t sp = payload.find(' ');
  if (sp == std::string::npos || sp + 2 > payload.size()) return std::nullopt;
  Hint h;
  auto node = number(payload.substr(0, sp));
  if (!node) return std::nullopt;
  h.node = *node;
  const char type = payload[sp + 1];
  const std::string rest = payload.substr(sp + 2);
  if (type == 'w') {
    if (rest.empty() || rest[0] != ' ') return std::nullopt;
    std::stringstream ss(rest.substr(1));
    for (std::string item; std::getline(ss, item, ',');) {
      auto id = number(item);
      if (!id) return std::nullopt;
      h.changes.push_back(common::Change::queueHasWork(*id));
    }
    return h;
  }
  if (type != 'c') return std::nullopt;
  std::stringstream ss(rest);
  for (std::string line; std::getline(ss, line, '\n');) {
    if (line.empty()) continue;
    std::stringstream ls(line);
    std::string name, idText, serialText;
    ls >> name >> idText >> serialText;
    auto id = number(idText);
    auto serial = percentDecoded(serialText);
    if (!id || !serial) return std::nullopt;
    bool known = false;
    for (const KindName& k : kKinds) {
      if (name != k.name) continue;
      h.changes.push_back(common::Change{k.kind, *id, *serial});
      known = true;
    }
    if (!known) return std::nullopt;
  }
  return h;
}

}  // namespace dcgw::cluster
