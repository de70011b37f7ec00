// The admin CLI's command lines: the table of verbs and their options, checked before anything
// is sent; the usage text; and the value helpers and table rendering every noun uses.
#include "gateway/cli/admin_internal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string_view>

#include "adapters/methods.hpp"

namespace dcgw::cli::admin_impl {

constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";

constexpr SettingFlag kSettingFlags[] = {
    {"port", "--port P"},
    {"format", "--format F"},
    {"customTags", "--custom-tags T"},
    {"tlsVerify", "--insecure-tls"},
    {"tlsCaFile", "--tls-ca-file F"},
    {"replyTimeoutMs", "--reply-timeout-ms MS"},
};

std::vector<std::string_view> methodNames() {
  std::vector<std::string_view> names;
  for (const auto& m : adapters::methods()) names.push_back(m.name);
  return names;
}

std::string joined(const std::vector<std::string_view>& parts, std::string_view sep) {
  std::string out;
  for (std::string_view p : parts) out += (out.empty() ? "" : std::string(sep)) + std::string(p);
  return out;
}

std::vector<std::string_view> formatValues() {
  for (const auto& s : adapters::allSettings())
    if (s.name == "format") return {s.values.begin(), s.values.end()};
  return {};
}

// What each method takes, from the methods table: under `dcgw destinations --help`.
std::string methodsUsage() {
  std::string s = "\nforwarding methods (--method; GET /api/v1/methods serves the same table):\n";
  const std::string indent(12, ' ');
  for (const auto& m : adapters::methods()) {
    std::string head = "  " + std::string(m.name);
    head.resize(std::max<std::size_t>(head.size() + 1, indent.size()), ' ');
    s += head + std::string(m.label) + " (seed 004 section " + std::string(m.section) + ")\n";
    s += indent + "--host: " + std::string(m.hostDescription) + " e.g. " +
         std::string(m.hostExample) + "\n";
    std::string flags;
    for (const auto& f : kSettingFlags)
      if (m.takes(f.setting))
        flags += " [" +
                 (f.setting == "format" ? "--format " + joined(formatValues(), "|")
                                        : std::string(f.usage)) +
                 "]";
    s += indent + "takes" + flags + "\n";
    s += indent + "--custom-tags: " + std::string(m.customTags.description) + "\n";
    s += indent + "  e.g. " + std::string(m.customTags.example) + "\n";
  }
  return s;
}

const std::vector<Verb>& verbs() {
  static const std::string destSynopsis =
      "--name N --method " + joined(methodNames(), "|") +
      " --host H [--port P]\n"
      "      [--format " +
      joined(formatValues(), "|") +
      "] [--custom-tags T] [--filter all|none|KEY,KEY...]\n"
      "      [--disabled] [--insecure-tls] [--tls-ca-file F] [--reply-timeout-ms MS]";
  static const std::vector<Option> dest = {
      {"--name", true},      {"--method", true},       {"--host", true},
      {"--port", true},      {"--format", true},       {"--custom-tags", true},
      {"--filter", true},    {"--tls-ca-file", true},  {"--reply-timeout-ms", true},
      {"--disabled", false}, {"--insecure-tls", false}};
  static const std::vector<Option> destUpdate = [] {
    auto o = dest;
    o.push_back({"--enabled", false});
    o.push_back({"--verify-tls", false});
    return o;
  }();
  static const std::vector<Option> loc = {{"--name", true},
                                          {"--description", true},
                                          {"--destinations", true},
                                          {"--file-naming", true},
                                          {"--time-zone", true},
                                          {"--vu-download-days", true},
                                          {"--card-download-days", true}};
  static const std::vector<Option> dev = {
      {"--location", true},     {"--registration", true},     {"--key", true},
      {"--company-card", true}, {"--no-company-card", false}, {"--protocol", true},
      {"--family", true}};
  static const std::vector<Option> devSequence = {{"--to", true}};
  static const std::vector<Option> devCreate = [] {
    auto o = dev;
    o.push_back({"--serial", true});
    return o;
  }();
  static const std::vector<Option> entries = {
      {"--state", true}, {"--type", true},  {"--device", true}, {"--from", true},
      {"--to", true},    {"--limit", true}, {"--after", true}};
  static const std::vector<Verb> base = {
      {"destinations", "list", "", {}, {}, "", "every destination"},
      {"destinations", "show", "ID", {}, {}, "", "one destination's settings"},
      {"destinations",
       "create",
       "",
       dest,
       {"--name", "--method", "--host"},
       destSynopsis,
       "create a destination (--filter keys: GET /api/v1/filter-keys)"},
      {"destinations",
       "update",
       "ID",
       destUpdate,
       {},
       "[the options of create] [--enabled] [--verify-tls]",
       "change the given settings, keep the others"},
      {"destinations", "delete", "ID", {}, {}, "", "remove a destination"},
      {"destinations", "enable", "ID", {}, {}, "", "forward to it again"},
      {"destinations", "disable", "ID", {}, {}, "", "stop queueing packets for it"},
      {"locations", "list", "", {}, {}, "", "every location with its destinations"},
      {"locations", "show", "ID", {}, {}, "", "one location"},
      {"locations",
       "create",
       "",
       loc,
       {"--name"},
       "--name N [--description D] [--destinations ID,ID...|none] [--file-naming eu|fr|es]\n"
       "       [--time-zone ZONE] [--vu-download-days N] [--card-download-days N]",
       "create a location (tachograph files: naming, local time zone, download periods)"},
      {"locations",
       "update",
       "ID",
       loc,
       {},
       "[--name N] [--description D] [--destinations ID,ID...|none] [--file-naming eu|fr|es]\n"
       "       [--time-zone ZONE] [--vu-download-days N] [--card-download-days N]",
       "change the given fields (--destinations is the whole new list)"},
      {"locations", "delete", "ID", {}, {}, "", "remove a location (its devices keep none)"},
      {"locations",
       "alerts",
       "ID",
       {{"--language", true}, {"--enable", true}, {"--disable", true}},
       {},
       "[--language en|de|fr|es] [--enable RULE[=N][,RULE[=N]...]] [--disable RULE[,RULE...]]",
       "show the location's alert rules, or change them (rules and units: schema/alerts.md)"},
      {"devices", "list", "", {}, {}, "", "every device"},
      {"devices", "show", "SERIAL", {}, {}, "", "one device"},
      {"devices",
       "create",
       "",
       devCreate,
       {"--serial"},
       "--serial S [--location ID|none] [--registration R] [--key HEX]\n"
       "      [--company-card NUMBER] [--protocol dcgw|teltonika] [--family FMBxxx|FMX6]",
       "register a device (a Teltonika one: --serial IMEI --protocol teltonika --family F, no "
       "key)"},
      {"devices",
       "update",
       "SERIAL",
       dev,
       {},
       "[--location ID|none] [--registration R] [--key HEX]\n"
       "      [--company-card NUMBER|--no-company-card] [--protocol dcgw|teltonika]\n"
       "      [--family FMBxxx|FMX6|none]",
       "change the given fields (--key sets a new key; --company-card: the company card its "
       "card sessions use)"},
      {"devices", "set", "SERIAL", dev, {}, "[the options of update]", "the same as update"},
      {"devices", "delete", "SERIAL", {}, {}, "", "remove a device (it can no longer log in)"},
      {"devices",
       "rotate-key",
       "SERIAL",
       {},
       {},
       "",
       "generate a new random key and print it (shown only this once)"},
      {"devices",
       "reset-sequence",
       "SERIAL",
       devSequence,
       {},
       "[--to N]",
       "set the sequence mark (default 0: the next sequence is taken as it comes); a logged-in "
       "tracker is closed and logs in again"},
      {"devices", "refused", "", {}, {}, "", "logins the uplink refused, most recent first"},
      {"devices",
       "register",
       "SERIAL",
       dev,
       {},
       "[--location ID|none] [--registration R] [--key HEX]\n"
       "      [--protocol dcgw|teltonika] [--family FMBxxx|FMX6]",
       "register a refused serial as a device (a dcgw one: a key is generated and printed unless "
       "given; a Teltonika IMEI: --protocol teltonika --family F, no key)"},
      {"queue", "list", "", {}, {}, "", "every destination's queue: state, depth, age, errors"},
      {"queue",
       "show",
       "ID",
       {},
       {},
       "",
       "one queue: its blocking entry and last error, then its figures"},
      {"queue",
       "entries",
       "ID",
       entries,
       {},
       "[--state pending|delivered|dead] [--type T] [--device S] [--from ISO] [--to ISO]\n"
       "      [--limit N] [--after CURSOR]",
       "entries of a queue, oldest first, one page"},
      {"queue", "retry", "ID", {}, {}, "", "retry now, ending the backoff wait"},
      {"queue", "pause", "ID", {}, {}, "", "pause forwarding (packets keep being queued)"},
      {"queue", "resume", "ID", {}, {}, "", "resume forwarding"},
      {"queue",
       "skip",
       "ID",
       {{"--reason", true}},
       {"--reason"},
       "--reason TEXT",
       "dead-letter the blocking entry"},
      {"queue", "requeue-dead", "ID", {}, {}, "", "put every dead letter back, in order"},
      {"queue",
       "replay",
       "ID",
       {{"--from", true}},
       {"--from"},
       "--from ISO",
       "send again every delivered entry received at or after ISO"},
      {"tokens", "list", "", {}, {}, "", "every API token (never the secrets)"},
      {"tokens",
       "create",
       "",
       {{"--name", true}, {"--role", true}},
       {"--name", "--role"},
       "--name N --role admin|auditor",
       "create a token and print its secret (only this once)"},
      {"tokens", "revoke", "ID", {}, {}, "", "revoke a token"},
      {"compliance",
       "list",
       "",
       {{"--location", true}, {"--status", true}, {"--soon-days", true}},
       {},
       "[--location ID] [--status overdue,never,due,ok] [--soon-days N]",
       "vehicle units and driver cards due or overdue for download, most urgent first"},
      {"drivers",
       "list",
       "",
       {},
       {},
       "",
       "drivers seen with a name: card number, names, first seen, last seen and its device"},
  };
  static const std::vector<Verb> all = [] {
    std::vector<Verb> v = base;
    v.insert(v.end(), cardVerbs().begin(), cardVerbs().end());
    v.insert(v.end(), fileVerbs().begin(), fileVerbs().end());
    return v;
  }();
  return all;
}

const Verb* findVerb(std::string_view noun, std::string_view verb) {
  for (const Verb& v : verbs())
    if (v.noun == noun && v.verb == verb) return &v;
  return nullptr;
}

std::string verbList(std::string_view noun) {
  std::string s;
  for (const Verb& v : verbs()) {
    if (v.noun != noun) continue;
    if (!s.empty()) s += ", ";
    s += v.verb;
  }
  return s;
}

codecs::Error argError(std::string field, std::string message) {
  return codecs::makeError(std::move(field), 0, std::move(message));
}

bool parseInt(std::string_view text, long long lo, long long hi, long long& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size() && out >= lo && out <= hi;
}

JsonValue jsonInt(long long n) {
  return JsonValue::makeNumber(static_cast<double>(n), n);
}

void put(Object& o, const std::string& key, JsonValue v) {
  for (auto& [k, existing] : o) {
    if (k == key) {
      existing = std::move(v);
      return;
    }
  }
  o.emplace_back(key, std::move(v));
}

void eraseKey(Object& o, std::string_view key) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (it->first == key) {
      o.erase(it);
      return;
    }
  }
}

const JsonValue* member(const Object& o, std::string_view key) {
  for (const auto& [k, v] : o)
    if (k == key) return &v;
  return nullptr;
}

// The fields of `from` that `keys` names, in that order (an input schema out of a fetched
// object: the read-only fields must not be sent back).
Object pick(const JsonValue& from, std::initializer_list<std::string_view> keys) {
  Object o;
  for (std::string_view k : keys)
    if (const JsonValue* v = from.find(k)) o.emplace_back(std::string(k), *v);
  return o;
}

std::string numberText(const JsonValue& v) {
  if (auto exact = v.asExactInteger()) return std::to_string(*exact);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v.asDouble());
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// One value as a table cell: "-" for nothing, yes/no, lists joined with commas.
std::string cell(const JsonValue* v) {
  if (!v) return "-";
  switch (v->kind()) {
    case JsonValue::Kind::Null:
      return "-";
    case JsonValue::Kind::Bool:
      return v->asBool() ? "yes" : "no";
    case JsonValue::Kind::Number:
      return numberText(*v);
    case JsonValue::Kind::String:
      return v->asString().empty() ? "-" : v->asString();
    case JsonValue::Kind::Array: {
      if (v->asArray().empty()) return "-";
      std::string s;
      for (const auto& e : v->asArray()) {
        if (!s.empty()) s += ",";
        s += e.isObject() || e.isArray() ? toJson(e) : cell(&e);
      }
      return s;
    }
    case JsonValue::Kind::Object:
      return toJson(*v);
  }
  return "-";
}

std::string cell(const JsonValue& o, std::string_view key) {
  return cell(o.find(key));
}

std::string filterText(const JsonValue* f) {
  if (!f || f->isNull()) return "all";
  if (f->isArray() && f->asArray().empty()) return "none";
  if (!f->isArray()) return cell(f);
  std::string s;
  for (const auto& e : f->asArray()) {
    if (!s.empty()) s += ", ";
    s += cell(&e);
  }
  return s;
}

// REST and SOAP have their port in the URL; the API may still send 0 for them.
std::string portText(const JsonValue& d) {
  const JsonValue* p = d.find("port");
  return p && p->asExactInteger() == 0 ? "-" : cell(p);
}

std::string typeText(const JsonValue* t) {
  if (!t || !t->asExactInteger()) return cell(t);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%02llX", static_cast<unsigned long long>(*t->asExactInteger()));
  return buf;
}

void renderPairs(const std::vector<std::pair<std::string, std::string>>& pairs, std::ostream& out,
                 const std::string& indent) {
  std::size_t width = 0;
  for (const auto& [k, v] : pairs) width = std::max(width, k.size());
  for (const auto& [k, v] : pairs) {
    std::string line = indent + k + std::string(width - k.size() + 2, ' ') + v;
    for (char& c : line)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    out << line << '\n';
  }
}

// Every member, in the API's order, one per line.
void renderObject(const JsonValue& o, std::ostream& out) {
  if (!o.isObject()) {
    out << toJson(o) << '\n';
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : o.asObject())
    pairs.emplace_back(k, k == "filter" ? filterText(&v) : cell(&v));
  renderPairs(pairs, out);
}

std::size_t displayWidth(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

const std::string* value(const AdminInvocation& inv, const std::string& name) {
  auto it = inv.values.find(name);
  return it == inv.values.end() ? nullptr : &it->second;
}

codecs::Status checkEnum(const AdminInvocation& inv, const std::string& name,
                         const std::vector<std::string_view>& allowed) {
  const std::string* v = value(inv, name);
  if (!v) return codecs::Ok{};
  std::string list;
  for (std::string_view a : allowed) {
    if (*v == a) return codecs::Ok{};
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return argError(name, name + " must be one of " + list + ", not '" + *v + "'");
}

// A bool flag and its opposite; neither leaves the field alone.
codecs::Status flagPair(const AdminInvocation& inv, Object& p, const std::string& key,
                        const std::string& onFlag, const std::string& offFlag) {
  const bool on = inv.flags.count(onFlag) > 0, off = inv.flags.count(offFlag) > 0;
  if (on && off) return argError(offFlag, onFlag + " and " + offFlag + " contradict each other");
  if (on || off) put(p, key, JsonValue::makeBool(on));
  return codecs::Ok{};
}

}  // namespace dcgw::cli::admin_impl
namespace dcgw::cli {

using namespace admin_impl;

void renderTable(const std::vector<TableColumn>& columns,
                 const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  auto clean = [](std::string s) {
    for (char& c : s)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return s;
  };
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.title);
  lines.push_back(header);
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i)
      line.push_back(clean(i < r.size() ? r[i] : std::string()));
    lines.push_back(std::move(line));
  }
  std::vector<std::size_t> width(columns.size(), 0);
  for (const auto& l : lines)
    for (std::size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], displayWidth(l[i]));
  for (const auto& l : lines) {
    std::string text;
    for (std::size_t i = 0; i < l.size(); ++i) {
      const std::size_t pad = width[i] - displayWidth(l[i]);
      const bool last = i + 1 == l.size();
      if (i > 0) text += "  ";
      if (columns[i].right)
        text += std::string(pad, ' ') + l[i];
      else
        text += l[i] + (last ? "" : std::string(pad, ' '));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  }
}

std::string formatDuration(double seconds) {
  if (!(seconds > 0)) seconds = 0;
  const long long t = static_cast<long long>(std::floor(seconds));
  char buf[48];
  if (t < 60)
    std::snprintf(buf, sizeof buf, "%llds", t);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else if (t < 86400)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t % 3600 / 60);
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parseIsoTime(const std::string& text) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &s, &used) !=
          6 ||
      used != 19)
    return std::nullopt;
  std::string_view rest = std::string_view(text).substr(19);
  std::chrono::nanoseconds frac{0};
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    long long scale = 100'000'000;
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      frac += std::chrono::nanoseconds((rest[digits] - '0') * scale);
      scale /= 10;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    rest.remove_prefix(digits);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                        std::chrono::day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  auto tp = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
            std::chrono::seconds{s} + frac;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(tp);
}

std::string adminUsage(const std::string& noun) {
  std::string s = "usage:\n";
  for (const Verb& v : verbs()) {
    if (!noun.empty() && v.noun != noun) continue;
    s += "  dcgw " + std::string(v.noun) + " " + std::string(v.verb);
    if (!v.operand.empty()) s += " " + std::string(v.operand);
    if (!v.synopsis.empty()) s += " " + std::string(v.synopsis);
    s += "\n      " + std::string(v.summary) + "\n";
  }
  if (noun.empty() || noun == "destinations") s += methodsUsage();
  s += "\ncommon options:\n"
       "  --url URL      the admin API (else $DCGW_URL, else " +
       std::string(kDefaultUrl) +
       ")\n"
       "  --token T      an API token (else $DCGW_TOKEN; required): dcgw token create --role\n"
       "                 admin|auditor, or dcgw tokens create\n"
       "  --json         print the API's JSON as returned instead of a table\n"
       "  --ca-file F    https: trust this CA (PEM) besides the system store\n"
       "  --insecure     https: do not verify the certificate\n"
       "\nexit status: 0 done, 1 the API refused (its reasons on stderr), 2 bad arguments,\n"
       "3 the gateway could not be reached\n";
  return s;
}

codecs::Result<AdminInvocation> parseAdminArgs(
    const std::string& noun, const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  AdminInvocation inv;
  inv.noun = noun;
  const Verb* spec = nullptr;
  bool operandSeen = false;
  std::optional<std::string> url, token, caFile;
  const std::string help = " (see dcgw " + noun + " --help)";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      inv.help = true;
      return inv;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::string name = a;
      std::optional<std::string> attached;
      if (const std::size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = a.substr(0, eq);
        attached = a.substr(eq + 1);
      }
      const bool commonValue = name == "--url" || name == "--token" || name == "--ca-file";
      const bool commonFlag = name == "--json" || name == "--insecure";
      const Option* opt = nullptr;
      if (spec)
        for (const Option& o : spec->options)
          if (o.name == name) opt = &o;
      if (!commonValue && !commonFlag && !opt) {
        if (!spec)
          return argError(name, "unknown option '" + name + "' before the command (dcgw " + noun +
                                    " <command> [options])" + help);
        return argError(name, "unknown option '" + name + "' for " + inv.verb + help);
      }
      std::string value;
      if (commonValue || (opt && opt->value)) {
        if (attached) {
          value = *attached;
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return argError(name, name + " needs a value");
        }
      } else if (attached) {
        return argError(name, name + " takes no value");
      }
      auto once = [&](std::optional<std::string>& slot) -> bool {
        if (slot) return false;
        slot = value;
        return true;
      };
      bool fresh = true;
      if (name == "--url") {
        fresh = once(url);
      } else if (name == "--token") {
        fresh = once(token);
      } else if (name == "--ca-file") {
        fresh = once(caFile);
      } else if (name == "--json") {
        inv.json = true;
      } else if (name == "--insecure") {
        inv.client.insecure = true;
      } else if (opt->value) {
        fresh = inv.values.emplace(name, value).second;
      } else {
        inv.flags.insert(name);
      }
      if (!fresh) return argError(name, name + " is given twice");
      continue;
    }
    if (!spec) {
      if (a == "help") {
        inv.help = true;
        return inv;
      }
      spec = findVerb(noun, a);
      if (!spec)
        return argError("command",
                        "unknown command '" + a + "': " + noun + " takes " + verbList(noun) + help);
      inv.verb = a;
      continue;
    }
    if (!spec->operand.empty() && !operandSeen) {
      inv.operand = a;
      operandSeen = true;
      continue;
    }
    return argError(a, "unexpected argument '" + a + "' for " + inv.verb + help);
  }
  if (!spec)
    return argError("command", "missing command: dcgw " + noun + " takes " + verbList(noun) + help);
  const std::string& what = inv.verb;
  const std::string operand(spec->operand);
  if (!operand.empty() && !operandSeen) return argError(operand, what + " needs " + operand + help);
  if (operand == "ID") {
    long long id = 0;
    if (!parseInt(inv.operand, 1, INT64_MAX, id))
      return argError("ID", what + ": ID must be a positive integer, not '" + inv.operand + "'");
  } else if (!operand.empty() && inv.operand.empty()) {
    return argError(operand, what + ": " + operand + " must not be empty");
  }
  for (std::string_view r : spec->required)
    if (!inv.values.count(std::string(r)))
      return argError(std::string(r), what + " needs " + std::string(r) + help);

  std::string urlSource = "--url";
  if (!url) {
    if (auto e = getenv("DCGW_URL"); e && !e->empty()) {
      url = *e;
      urlSource = "DCGW_URL";
    } else {
      url = kDefaultUrl;
    }
  }
  auto base = parseBaseUrl(*url);
  if (!base) {
    return argError(urlSource, urlSource + ": " + base.error().expected);
  }
  inv.client.url = *base;
  if (!token) token = getenv("DCGW_TOKEN");
  if (!token || token->empty())
    return argError("--token",
                    "no token: pass --token T or set DCGW_TOKEN (make one with dcgw "
                    "token create --role admin|auditor --db DB)");
  inv.client.token = *token;
  if (caFile) {
    if (!std::ifstream(*caFile))
      return argError("--ca-file", "--ca-file: cannot read '" + *caFile + "'");
    inv.client.caFile = *caFile;
  }
  return inv;
}

}  // namespace dcgw::cli
