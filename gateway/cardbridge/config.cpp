// The card bridge's configuration file.
#include "gateway/cardbridge/config.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "codecs/json.hpp"

namespace dcgw::cardbridge {

using codecs::JsonValue;

namespace {

using Out = codecs::Result<BridgeConfig, std::string>;

std::string unknownMember(const JsonValue& o, const std::string& where,
                          std::initializer_list<const char*> known) {
  for (const auto& [k, v] : o.asObject()) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) return where + k + ": unknown member";
  }
  return {};
}

bool isHex(const std::string& s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Out parseBridgeConfig(const std::string& text) {
  auto doc = codecs::parseJson(text);
  if (!doc) return "not JSON: " + doc.error().message();
  if (!doc->isObject()) return std::string("the file must hold a JSON object");
  if (auto e = unknownMember(*doc, "",
                             {"gateway", "ident", "key", "cards", "readers", "logApdus", "retry"});
      !e.empty())
    return e;
  BridgeConfig c;
  c.gateway.port = 7710;
  auto str = [](const JsonValue* v) { return v && v->isString(); };
  const JsonValue* g = doc->find("gateway");
  if (!g || !g->isObject()) return std::string("gateway: an object with host and port is required");
  if (auto e = unknownMember(*g, "gateway.",
                             {"host", "port", "tls", "caFile", "serverName", "insecure"});
      !e.empty())
    return e;
  if (!str(g->find("host")) || g->find("host")->asString().empty())
    return std::string("gateway.host: a host name or address is required");
  c.gateway.host = g->find("host")->asString();
  if (const JsonValue* p = g->find("port")) {
    const auto n = p->asExactInteger();
    if (!p->isNumber() || !n || *n < 1 || *n > 65535)
      return std::string("gateway.port: a port number from 1 to 65535");
    c.gateway.port = static_cast<std::uint16_t>(*n);
  }
  for (const char* b : {"tls", "insecure"})
    if (const JsonValue* v = g->find(b)) {
      if (v->kind() != JsonValue::Kind::Bool)
        return std::string("gateway.") + b + ": true or false";
      (std::string(b) == "tls" ? c.gateway.tls : c.gateway.insecure) = v->asBool();
    }
  for (const char* s : {"caFile", "serverName"})
    if (const JsonValue* v = g->find(s)) {
      if (!v->isString()) return std::string("gateway.") + s + ": a string";
      (std::string(s) == "caFile" ? c.gateway.caFile : c.gateway.serverName) = v->asString();
    }
  const JsonValue* ident = doc->find("ident");
  if (!str(ident) || ident->asString().empty() || ident->asString().size() > 32)
    return std::string("ident: the bridge's ident, 1 to 32 characters, as registered");
  for (unsigned char ch : ident->asString())
    if (ch < 0x20 || ch > 0x7E) return std::string("ident: printable ASCII characters only");
  c.ident = ident->asString();
  const JsonValue* key = doc->find("key");
  if (!str(key) || key->asString().size() < 32 || key->asString().size() > 128 ||
      key->asString().size() % 2 || !isHex(key->asString()) ||
      !codecs::fromHex(key->asString(), c.key))
    return std::string("key: the bridge key, 32 to 128 hex digits, as registered");
  const JsonValue* cards = doc->find("cards");
  if (!cards || !cards->isArray())
    return std::string("cards: a list of {extendedSerial, card} is required");
  std::set<std::string> numbers;
  for (std::size_t i = 0; i < cards->asArray().size(); ++i) {
    const JsonValue& e = cards->asArray()[i];
    const std::string at = "cards[" + std::to_string(i) + "].";
    if (!e.isObject()) return at.substr(0, at.size() - 1) + ": an object";
    if (auto u = unknownMember(e, at, {"extendedSerial", "card", "name"}); !u.empty()) return u;
    const JsonValue* esn = e.find("extendedSerial");
    if (!str(esn) || esn->asString().size() != 16 || !isHex(esn->asString()))
      return at + "extendedSerial: 16 hex digits (the card's extended serial number)";
    const JsonValue* num = e.find("card");
    if (!str(num) || num->asString().empty() || num->asString().size() > 16)
      return at + "card: the company card number, 1 to 16 characters";
    for (unsigned char ch : num->asString())
      if (ch < 0x21 || ch > 0x7E) return at + "card: printable characters without spaces";
    const std::string serial = lower(esn->asString());
    if (c.cards.count(serial)) return at + "extendedSerial: " + serial + " is listed twice";
    if (!numbers.insert(num->asString()).second)
      return at + "card: " + num->asString() + " is listed twice";
    c.cards[serial] = num->asString();
  }
  if (const JsonValue* r = doc->find("readers")) {
    if (!r->isArray()) return std::string("readers: a list of reader name prefixes");
    for (const auto& x : r->asArray()) {
      if (!x.isString()) return std::string("readers: a list of reader name prefixes");
      c.readers.push_back(x.asString());
    }
  }
  if (const JsonValue* l = doc->find("logApdus")) {
    if (l->kind() != JsonValue::Kind::Bool) return std::string("logApdus: true or false");
    c.logApdus = l->asBool();
  }
  if (const JsonValue* r = doc->find("retry")) {
    if (!r->isObject()) return std::string("retry: {firstMs, maxMs}");
    if (auto u = unknownMember(*r, "retry.", {"firstMs", "maxMs"}); !u.empty()) return u;
    for (const char* k : {"firstMs", "maxMs"})
      if (const JsonValue* v = r->find(k)) {
        const auto n = v->asExactInteger();
        if (!v->isNumber() || !n || *n < 10 || *n > 3'600'000)
          return std::string("retry.") + k + ": milliseconds from 10 to 3600000";
        (std::string(k) == "firstMs" ? c.retryFirstMs : c.retryMaxMs) = static_cast<int>(*n);
      }
    if (c.retryMaxMs < c.retryFirstMs) return std::string("retry.maxMs: at least retry.firstMs");
  }
  return c;
}

Out loadBridgeConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read '" + path + "'";
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parseBridgeConfig(ss.str());
  if (!c) return path + ": " + c.error();
  return c;
}

}  // namespace dcgw::cardbridge
