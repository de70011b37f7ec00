// `dcgw cards ...` and `dcgw card-bridges ...` (issue 12): the company cards and card bridges of
// the card relay, and the relay's events and sessions (also a device's: `dcgw devices
// card-events|card-sessions SERIAL`).
#include <cstdint>
#include <map>
#include <ostream>
#include <sstream>

#include "gateway/cli/admin_internal.hpp"

namespace dcgw::cli::admin_impl {

namespace {

const std::vector<Option> kCardOptions = {
    {"--name", true}, {"--location", true}, {"--expires", true}};
const std::vector<Option> kBridgeOptions = {{"--description", true}, {"--key", true}};
const std::vector<Option> kEventOptions = {{"--limit", true}, {"--before", true}};
const std::vector<Option> kSessionOptions = {{"--limit", true}};

std::string text(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.find(key);
  return v && v->isString() ? v->asString() : "";
}

bool flag(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.find(key);
  return v && v->kind() == JsonValue::Kind::Bool && v->asBool();
}

// "2026-11-22T10:15:30.250Z" -> "2026-11-22 10:15:30" (a table's width).
std::string when(const std::string& iso) {
  if (iso.size() < 19) return iso.empty() ? "-" : iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

// online at office-1 (Reader 0) | offline
std::string cardStateText(const JsonValue& c) {
  if (!flag(c, "online")) return "offline";
  std::string s = "online at " + text(c, "bridge");
  if (!text(c, "reader").empty()) s += " (" + text(c, "reader") + ")";
  return s;
}

std::string inUseText(const JsonValue& c) {
  if (text(c, "inUseBy").empty()) return "-";
  return text(c, "inUseBy") + " since " + when(text(c, "inUseSince"));
}

std::string expiresText(const JsonValue& c) {
  return text(c, "expiresOn") + (flag(c, "expired") ? " (expired)" : "");
}

std::string durationText(const JsonValue& s) {
  const JsonValue* ms = s.find("durationMs");
  if (!ms || !ms->asExactInteger()) return "-";
  const std::int64_t v = *ms->asExactInteger();
  if (v < 1000) return std::to_string(v) + "ms";
  return formatDuration(static_cast<double>(v) / 1000.0);
}

std::vector<std::string> sessionRow(const JsonValue& s) {
  return {when(text(s, "endedAt")), cell(s, "card"), cell(s, "device"), cell(s, "bridge"),
          cell(s, "outcome"),       durationText(s), cell(s, "apdus")};
}

const std::vector<TableColumn> kSessionColumns = {
    {"ENDED"}, {"CARD"}, {"DEVICE"}, {"BRIDGE"}, {"OUTCOME"}, {"DURATION", true}, {"APDUS", true}};

}  // namespace

const std::vector<Verb>& cardVerbs() {
  static const std::vector<Verb> all = {
      {"cards", "list", "", {}, {}, "", "every company card: expiry, online, in use, queue"},
      {"cards", "show", "NUMBER", {}, {}, "", "one company card and its last sessions"},
      {"cards",
       "add",
       "NUMBER",
       kCardOptions,
       {"--expires"},
       "--expires YYYY-MM-DD [--name N] [--location NAME_OR_ID[,NAME_OR_ID...]]",
       "register a company card (its number: normally the 16 characters printed on it); "
       "--location: the locations whose devices may use it"},
      {"cards",
       "set",
       "NUMBER",
       kCardOptions,
       {},
       "[--name N] [--location NAME_OR_ID[,...]|none] [--expires YYYY-MM-DD]",
       "change the given fields (--location is the whole new list)"},
      {"cards", "remove", "NUMBER", {}, {}, "", "remove a company card no device names"},
      {"cards",
       "events",
       "NUMBER",
       kEventOptions,
       {},
       "[--limit N] [--before CURSOR]",
       "the card relay's events of the card, newest first, one page"},
      {"cards",
       "sessions",
       "NUMBER",
       kSessionOptions,
       {},
       "[--limit N]",
       "the card's ended sessions, newest first: outcome, duration"},
      {"card-bridges", "list", "", {}, {}, "", "every card bridge: connected, its cards"},
      {"card-bridges", "show", "IDENT", {}, {}, "", "one card bridge"},
      {"card-bridges",
       "add",
       "IDENT",
       kBridgeOptions,
       {},
       "[--description D] [--key HEX]",
       "register a card bridge (without --key a key is generated and printed, only this once)"},
      {"card-bridges",
       "set",
       "IDENT",
       kBridgeOptions,
       {},
       "[--description D] [--key HEX]",
       "change the given fields (--key sets a new key)"},
      {"card-bridges",
       "rotate-key",
       "IDENT",
       {},
       {},
       "",
       "generate a new random key and print it (shown only this once)"},
      {"card-bridges", "remove", "IDENT", {}, {}, "", "remove a card bridge"},
      {"devices",
       "card-events",
       "SERIAL",
       kEventOptions,
       {},
       "[--limit N] [--before CURSOR]",
       "the card relay's events of the device, newest first, one page"},
      {"devices",
       "card-sessions",
       "SERIAL",
       kSessionOptions,
       {},
       "[--limit N]",
       "the device's ended card sessions, newest first"},
  };
  return all;
}

// --company-card NUMBER or --no-company-card (create, update, set, register).
codecs::Status companyCardChange(const AdminInvocation& inv, Object& p) {
  const std::string* card = value(inv, "--company-card");
  const bool none = inv.flags.count("--no-company-card") > 0;
  if (card && none)
    return argError("--no-company-card",
                    "--company-card and --no-company-card contradict each other");
  if (card && card->empty())
    return argError("--company-card", "--company-card needs a card number (or --no-company-card)");
  if (card) put(p, "companyCard", JsonValue::makeString(*card));
  if (none) put(p, "companyCard", JsonValue());
  return codecs::Ok{};
}

// --location NAME_OR_ID[,...] (or none) as location ids: names are looked up in the API.
std::optional<JsonValue> Runner::locationIds(const std::string& given) {
  JsonValue::Array ids;
  if (given == "none") return JsonValue::makeArray(ids);
  std::map<std::string, long long> byName;
  bool fetched = false;
  std::istringstream in(given);
  for (std::string item; std::getline(in, item, ',');) {
    long long id = 0;
    if (parseInt(item, 1, INT64_MAX, id)) {
      ids.push_back(jsonInt(id));
      continue;
    }
    if (!fetched) {
      auto locations = call("GET", "/api/v1/locations");
      if (!locations) return std::nullopt;
      if (const JsonValue* all = locations->json.find("locations"); all && all->isArray())
        for (const auto& l : all->asArray())
          if (auto n = l.find("id"); n && n->asExactInteger())
            byName[text(l, "name")] = *n->asExactInteger();
      fetched = true;
    }
    auto found = byName.find(item);
    if (found == byName.end()) {
      exit_ = badArgs(argError("--location", "--location: no location named '" + item +
                                                 "' (give names or ids, comma-separated, or "
                                                 "none; dcgw locations list)"));
      return std::nullopt;
    }
    ids.push_back(jsonInt(found->second));
  }
  if (ids.empty()) {
    exit_ = badArgs(argError("--location", "--location needs names or ids, or none"));
    return std::nullopt;
  }
  return JsonValue::makeArray(ids);
}

int Runner::cardEvents(const std::string& target) {
  std::string query;
  long long n = 0;
  if (const std::string* l = value(inv_, "--limit")) {
    if (!parseInt(*l, 1, 500, n))
      return badArgs(argError("--limit", "--limit must be from 1 to 500, not '" + *l + "'"));
    query += "limit=" + *l;
  }
  if (const std::string* b = value(inv_, "--before")) {
    if (!parseInt(*b, 1, INT64_MAX, n))
      return badArgs(
          argError("--before", "--before must be the cursor a page printed, not '" + *b + "'"));
    query += std::string(query.empty() ? "" : "&") + "before=" + *b;
  }
  auto a = call("GET", target + (query.empty() ? "" : "?" + query));
  if (!a) return exit_;
  if (inv_.json) return printRaw(*a);
  const JsonValue* events = a->json.find("events");
  if (!events || !events->isArray()) return unexpected(*a, "no 'events' list");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events->asArray())
    rows.push_back({when(text(e, "at")), cell(e, "code"), cell(e, "card"), cell(e, "device"),
                    cell(e, "bridge"), cell(e, "text")});
  renderTable({{"AT"}, {"CODE"}, {"CARD"}, {"DEVICE"}, {"BRIDGE"}, {"TEXT"}}, rows, out_);
  if (const JsonValue* next = a->json.find("next"); next && next->asExactInteger())
    err_ << "more: --before " << *next->asExactInteger() << '\n';
  return kAdminOk;
}

int Runner::cardSessions(const std::string& target) {
  std::string query;
  if (const std::string* l = value(inv_, "--limit")) {
    long long n = 0;
    if (!parseInt(*l, 1, 500, n))
      return badArgs(argError("--limit", "--limit must be from 1 to 500, not '" + *l + "'"));
    query = "?limit=" + *l;
  }
  return list(target + query, "sessions", kSessionColumns, sessionRow);
}

int Runner::cards(const std::string& v) {
  const std::string base = "/api/v1/cards", one = base + "/" + op_;
  if (v == "list")
    return list(
        base, "cards",
        {{"NUMBER"}, {"NAME"}, {"EXPIRES"}, {"STATE"}, {"IN USE BY"}, {"QUEUE", true}, {"DEVICES"}},
        [](const JsonValue& c) {
          return std::vector<std::string>{
              cell(c, "number"), cell(c, "name"),        expiresText(c),    cardStateText(c),
              inUseText(c),      cell(c, "queueLength"), cell(c, "devices")};
        });
  if (v == "show") {
    auto a = call("GET", one);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue& c = a->json;
    renderPairs({{"number", cell(c, "number")},
                 {"name", cell(c, "name")},
                 {"locationIds", cell(c, "locationIds")},
                 {"expiresOn", expiresText(c)},
                 {"state", cardStateText(c)},
                 {"inUseBy", inUseText(c)},
                 {"queueLength", cell(c, "queueLength")},
                 {"devices", cell(c, "devices")}},
                out_);
    std::vector<std::vector<std::string>> rows;
    if (const JsonValue* s = c.find("lastSessions"); s && s->isArray())
      for (const auto& x : s->asArray()) rows.push_back(sessionRow(x));
    out_ << "\nlast sessions:\n";
    if (rows.empty()) {
      out_ << "  none\n";
    } else {
      renderTable(kSessionColumns, rows, out_);
    }
    return kAdminOk;
  }
  if (v == "remove") return remove(one, "removed company card " + inv_.operand);
  if (v == "events") return cardEvents(one + "/events");
  if (v == "sessions") return cardSessions(one + "/sessions");
  Object body;
  if (v == "add") put(body, "number", JsonValue::makeString(inv_.operand));
  if (const std::string* n = value(inv_, "--name")) put(body, "name", JsonValue::makeString(*n));
  if (const std::string* l = value(inv_, "--location")) {
    if (*l == "none" && v == "add")
      return badArgs(argError("--location", "--location none: leave --location out instead"));
    auto ids = locationIds(*l);
    if (!ids) return exit_;
    put(body, "locationIds", *ids);
  }
  if (const std::string* e = value(inv_, "--expires"))
    put(body, "expiresOn", JsonValue::makeString(*e));
  if (v == "add") return create(base, body, "company card", "number");
  if (v == "set") {
    if (body.empty())
      return badArgs(
          argError("options", "nothing to change: give --name, --location or --expires"));
    // The API's PUT of a card keeps what is absent: only the given fields are sent.
    auto a = call("PUT", one, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "updated company card " << inv_.operand << '\n';
    renderObject(a->json, out_);
    return kAdminOk;
  }
  return kAdminBadArgs;
}

int Runner::cardBridges(const std::string& v) {
  const std::string base = "/api/v1/card-bridges", one = base + "/" + op_;
  if (v == "list")
    return list(base, "cardBridges", {{"IDENT"}, {"DESCRIPTION"}, {"KEY"}, {"STATE"}, {"CARDS"}},
                [](const JsonValue& b) {
                  const std::string state = flag(b, "connected")
                                                ? "connected from " + text(b, "address") +
                                                      " since " + when(text(b, "connectedSince"))
                                                : "disconnected";
                  return std::vector<std::string>{cell(b, "ident"), cell(b, "description"),
                                                  cell(b, "hasKey"), state, cell(b, "cards")};
                });
  if (v == "show") return show(one);
  if (v == "remove") return remove(one, "removed card bridge " + inv_.operand);
  if (v == "rotate-key") {
    auto a = call("POST", one + "/rotate-key");
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue* key = a->json.find("key");
    if (!key || !key->isString()) return unexpected(*a, "no 'key'");
    out_ << key->asString() << '\n';
    err_ << "new key of card bridge " << inv_.operand
         << ": shown only this once; write it into the bridge's configuration (a connected "
            "bridge is disconnected until it logs in with it)\n";
    return kAdminOk;
  }
  Object body;
  if (v == "add") put(body, "ident", JsonValue::makeString(inv_.operand));
  if (const std::string* d = value(inv_, "--description"))
    put(body, "description", JsonValue::makeString(*d));
  if (const std::string* k = value(inv_, "--key")) put(body, "key", JsonValue::makeString(*k));
  if (v == "add") {
    auto a = call("POST", base, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "created card bridge " << inv_.operand << '\n';
    renderObject(a->json, out_);
    if (a->json.find("key"))
      err_ << "the generated key is shown only this once; write it into the bridge's "
              "configuration\n";
    return kAdminOk;
  }
  if (v == "set") {
    if (body.empty())
      return badArgs(argError("options", "nothing to change: give --description or --key"));
    auto a = call("PUT", one, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "updated card bridge " << inv_.operand << '\n';
    renderObject(a->json, out_);
    return kAdminOk;
  }
  return kAdminBadArgs;
}

}  // namespace dcgw::cli::admin_impl
