// Checks each command line against a table of verbs before anything is sent, maps it to its
// endpoint and renders the answer; updates fetch the object, change the given fields and PUT
// the whole input back, as the API replaces objects.
#include "gateway/cli/admin_commands.hpp"

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

namespace dcgw::cli {
namespace {

using codecs::JsonValue;
using Object = JsonValue::Object;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";

struct Option {
  std::string_view name;
  bool value;  // takes a value (else a flag)
};

struct Verb {
  std::string_view noun;
  std::string_view verb;
  std::string_view operand;  // "ID", "SERIAL" or empty
  std::vector<Option> options;
  std::vector<std::string_view> required;
  std::string_view synopsis;
  std::string_view summary;
};

// The flag that sets each setting of the methods table (adapters/methods.hpp).
struct SettingFlag {
  std::string_view setting;
  std::string_view usage;
};
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
  static const std::vector<Option> loc = {
      {"--name", true}, {"--description", true}, {"--destinations", true}};
  static const std::vector<Option> dev = {
      {"--location", true}, {"--registration", true}, {"--key", true}};
  static const std::vector<Option> devCreate = [] {
    auto o = dev;
    o.push_back({"--serial", true});
    return o;
  }();
  static const std::vector<Option> entries = {
      {"--state", true}, {"--type", true},  {"--device", true}, {"--from", true},
      {"--to", true},    {"--limit", true}, {"--after", true}};
  static const std::vector<Verb> all = {
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
       "--name N [--description D] [--destinations ID,ID...|none]",
       "create a location"},
      {"locations",
       "update",
       "ID",
       loc,
       {},
       "[--name N] [--description D] [--destinations ID,ID...|none]",
       "change the given fields (--destinations is the whole new list)"},
      {"locations", "delete", "ID", {}, {}, "", "remove a location (its devices keep none)"},
      {"devices", "list", "", {}, {}, "", "every device"},
      {"devices", "show", "SERIAL", {}, {}, "", "one device"},
      {"devices",
       "create",
       "",
       devCreate,
       {"--serial"},
       "--serial S [--location ID|none] [--registration R] [--key HEX]",
       "register a device"},
      {"devices",
       "update",
       "SERIAL",
       dev,
       {},
       "[--location ID|none] [--registration R] [--key HEX]",
       "change the given fields (--key sets a new key)"},
      {"devices", "delete", "SERIAL", {}, {}, "", "remove a device (it can no longer log in)"},
      {"devices",
       "rotate-key",
       "SERIAL",
       {},
       {},
       "",
       "generate a new random key and print it (shown only this once)"},
      {"devices", "refused", "", {}, {}, "", "logins the uplink refused, most recent first"},
      {"devices",
       "register",
       "SERIAL",
       dev,
       {},
       "[--location ID|none] [--registration R] [--key HEX]",
       "register a refused serial as a device (a key is generated and printed unless given)"},
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
  };
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
                 const std::string& indent = "") {
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

}  // namespace

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
  } else if (operand == "SERIAL" && inv.operand.empty()) {
    return argError("SERIAL", what + ": SERIAL must not be empty");
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

namespace {

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

codecs::Result<Object> destinationChanges(const AdminInvocation& inv) {
  if (auto s = checkEnum(inv, "--method", methodNames()); !s) return s.error();
  if (auto s = checkEnum(inv, "--format", formatValues()); !s) return s.error();
  Object p;
  static constexpr std::pair<const char*, const char*> kText[] = {
      {"--name", "name"},     {"--method", "method"},          {"--host", "host"},
      {"--format", "format"}, {"--custom-tags", "customTags"}, {"--tls-ca-file", "tlsCaFile"}};
  for (auto [opt, key] : kText)
    if (const std::string* v = value(inv, opt)) put(p, key, JsonValue::makeString(*v));
  long long n = 0;
  if (const std::string* v = value(inv, "--port")) {
    if (!parseInt(*v, 1, 65535, n))
      return argError("--port", "--port must be a number from 1 to 65535, not '" + *v + "'");
    put(p, "port", jsonInt(n));
  }
  if (const std::string* v = value(inv, "--reply-timeout-ms")) {
    if (!parseInt(*v, 1, 3'600'000, n))
      return argError(
          "--reply-timeout-ms",
          "--reply-timeout-ms must be milliseconds from 1 to 3600000, not '" + *v + "'");
    put(p, "replyTimeoutMs", jsonInt(n));
  }
  if (const std::string* v = value(inv, "--filter")) {
    if (*v == "all") {
      put(p, "filter", JsonValue());
    } else if (*v == "none") {
      put(p, "filter", JsonValue::makeArray({}));
    } else {
      JsonValue::Array keys;
      std::string_view rest = *v;
      while (true) {
        const std::size_t comma = rest.find(',');
        std::string_view k = rest.substr(0, comma);
        while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
        while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
        if (k.empty())
          return argError("--filter",
                          "--filter must be all, none or filter keys separated by "
                          "commas, not '" +
                              *v + "'");
        keys.push_back(JsonValue::makeString(std::string(k)));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      put(p, "filter", JsonValue::makeArray(std::move(keys)));
    }
  }
  if (auto s = flagPair(inv, p, "enabled", "--enabled", "--disabled"); !s) return s.error();
  if (auto s = flagPair(inv, p, "tlsVerify", "--verify-tls", "--insecure-tls"); !s)
    return s.error();
  return p;
}

codecs::Result<Object> locationChanges(const AdminInvocation& inv) {
  Object p;
  if (const std::string* v = value(inv, "--name")) put(p, "name", JsonValue::makeString(*v));
  if (const std::string* v = value(inv, "--description"))
    put(p, "description", JsonValue::makeString(*v));
  if (const std::string* v = value(inv, "--destinations")) {
    JsonValue::Array ids;
    if (!v->empty() && *v != "none") {
      std::string_view rest = *v;
      while (true) {
        const std::size_t comma = rest.find(',');
        long long id = 0;
        if (!parseInt(rest.substr(0, comma), 1, INT64_MAX, id))
          return argError("--destinations",
                          "--destinations must be destination IDs separated by commas (or none), "
                          "not '" +
                              *v + "'");
        ids.push_back(jsonInt(id));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    put(p, "destinationIds", JsonValue::makeArray(std::move(ids)));
  }
  return p;
}

codecs::Result<Object> deviceChanges(const AdminInvocation& inv) {
  Object p;
  if (const std::string* v = value(inv, "--serial")) {
    if (v->empty()) return argError("--serial", "--serial must not be empty");
    put(p, "serial", JsonValue::makeString(*v));
  }
  if (const std::string* v = value(inv, "--location")) {
    long long id = 0;
    if (*v == "none") {
      put(p, "locationId", JsonValue());
    } else if (parseInt(*v, 1, INT64_MAX, id)) {
      put(p, "locationId", jsonInt(id));
    } else {
      return argError("--location", "--location must be a location ID or none, not '" + *v + "'");
    }
  }
  if (const std::string* v = value(inv, "--registration"))
    put(p, "registration", JsonValue::makeString(*v));
  if (const std::string* v = value(inv, "--key")) put(p, "key", JsonValue::makeString(*v));
  return p;
}

codecs::Result<std::string> entriesQuery(const AdminInvocation& inv) {
  if (auto s = checkEnum(inv, "--state", {"pending", "delivered", "dead"}); !s) return s.error();
  long long n = 0;
  if (const std::string* v = value(inv, "--limit"); v && !parseInt(*v, 1, 500, n))
    return argError("--limit", "--limit must be a number from 1 to 500, not '" + *v + "'");
  if (const std::string* v = value(inv, "--after"); v && !parseInt(*v, 0, INT64_MAX, n))
    return argError("--after",
                    "--after must be the cursor (a number) a previous page gave, not '" + *v + "'");
  std::string q;
  static constexpr std::pair<const char*, const char*> kParams[] = {
      {"--state", "state"}, {"--type", "type"},   {"--device", "device"}, {"--from", "from"},
      {"--to", "to"},       {"--limit", "limit"}, {"--after", "after"}};
  for (auto [opt, key] : kParams) {
    if (const std::string* v = value(inv, opt))
      q += (q.empty() ? "?" : "&") + std::string(key) + "=" + percentEncode(*v);
  }
  return q;
}

class Runner {
 public:
  Runner(const AdminInvocation& inv, const AdminEnvironment& env, std::ostream& out,
         std::ostream& err)
      : inv_(inv),
        env_(env),
        out_(out),
        err_(err),
        prog_("dcgw " + inv.noun + " " + inv.verb),
        op_(inv.noun == "devices" ? percentEncode(inv.operand) : inv.operand) {}

  int run() {
    const std::string& n = inv_.noun;
    const std::string& v = inv_.verb;
    if (n == "destinations") return destinations(v);
    if (n == "locations") return locations(v);
    if (n == "devices") return devices(v);
    if (n == "queue") return queue(v);
    if (n == "tokens") return tokens(v);
    return kAdminBadArgs;  // parseAdminArgs knows no verb of another noun
  }

 private:
  struct Answer {
    HttpResponse response;
    JsonValue json;  // null when the body is empty
  };

  int destinations(const std::string& v) {
    const std::string base = "/api/v1/destinations";
    if (v == "list")
      return list(base, "destinations",
                  {{"ID", true},
                   {"NAME"},
                   {"METHOD"},
                   {"HOST"},
                   {"PORT", true},
                   {"FORMAT"},
                   {"ENABLED"},
                   {"PAUSED"},
                   {"LOCATIONS"},
                   {"FILTER"}},
                  [](const JsonValue& d) {
                    return std::vector<std::string>{cell(d, "id"),
                                                    cell(d, "name"),
                                                    cell(d, "method"),
                                                    cell(d, "host"),
                                                    portText(d),
                                                    cell(d, "format"),
                                                    cell(d, "enabled"),
                                                    cell(d, "paused"),
                                                    cell(d, "locationIds"),
                                                    filterText(d.find("filter"))};
                  });
    if (v == "show") return show(base + "/" + op_);
    if (v == "create") {
      auto changes = destinationChanges(inv_);
      if (!changes) return badArgs(changes.error());
      return create(base, *changes, "destination", "id");
    }
    if (v == "update") {
      auto changes = destinationChanges(inv_);
      if (!changes) return badArgs(changes.error());
      return update(base + "/" + op_, *changes,
                    {"name", "method", "host", "port", "format", "customTags", "filter", "enabled",
                     "tlsVerify", "tlsCaFile", "replyTimeoutMs"},
                    [&](Object& o) {
                      // The URL methods take the port from the URL; a port read back for
                      // them (or a 0 for "none") must not make the PUT invalid.
                      const JsonValue* m = member(o, "method");
                      const adapters::MethodInfo* info =
                          m && m->isString() ? adapters::findMethod(m->asString()) : nullptr;
                      const bool urlMethod = info && !info->takes("port");
                      const JsonValue* port = member(o, "port");
                      if (!member(*changes, "port") &&
                          (urlMethod || !port || port->isNull() || port->asExactInteger() == 0))
                        eraseKey(o, "port");
                    });
    }
    if (v == "delete") return remove(base + "/" + op_, "deleted destination " + inv_.operand);
    if (v == "enable" || v == "disable") {
      auto a = call("POST", base + "/" + op_ + "/" + v);
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "destination " << inv_.operand << " (" << cell(a->json, "name") << ") "
           << (v == "enable" ? "enabled" : "disabled") << '\n';
      return kAdminOk;
    }
    return kAdminBadArgs;
  }

  int locations(const std::string& v) {
    const std::string base = "/api/v1/locations";
    if (v == "list")
      return list(base, "locations",
                  {{"ID", true}, {"NAME"}, {"DEVICES", true}, {"DESTINATIONS"}, {"DESCRIPTION"}},
                  [](const JsonValue& l) {
                    return std::vector<std::string>{cell(l, "id"), cell(l, "name"),
                                                    cell(l, "devices"), cell(l, "destinationIds"),
                                                    cell(l, "description")};
                  });
    if (v == "show") return show(base + "/" + op_);
    auto changes = locationChanges(inv_);
    if (!changes) return badArgs(changes.error());
    if (v == "create") return create(base, *changes, "location", "id");
    if (v == "update")
      return update(base + "/" + op_, *changes, {"name", "description", "destinationIds"});
    if (v == "delete") return remove(base + "/" + op_, "deleted location " + inv_.operand);
    return kAdminBadArgs;
  }

  int devices(const std::string& v) {
    const std::string base = "/api/v1/devices";
    if (v == "list")
      return list(base, "devices",
                  {{"SERIAL"}, {"LOCATION", true}, {"REGISTRATION"}, {"KEY"}, {"LAST SEQ", true}},
                  [](const JsonValue& d) {
                    return std::vector<std::string>{cell(d, "serial"), cell(d, "locationId"),
                                                    cell(d, "registration"), cell(d, "hasKey"),
                                                    cell(d, "lastSequence")};
                  });
    if (v == "refused")
      return list("/api/v1/refused-idents", "refusedIdents",
                  {{"SERIAL"}, {"ADDRESS"}, {"ATTEMPTS", true}, {"FIRST"}, {"LAST"}, {"REASON"}},
                  [](const JsonValue& r) {
                    return std::vector<std::string>{cell(r, "serial"),   cell(r, "address"),
                                                    cell(r, "attempts"), cell(r, "firstAt"),
                                                    cell(r, "lastAt"),   cell(r, "reason")};
                  });
    if (v == "show") return show(base + "/" + op_);
    if (v == "delete") return remove(base + "/" + op_, "deleted device " + inv_.operand);
    if (v == "rotate-key") {
      auto a = call("POST", base + "/" + op_ + "/key");
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      const JsonValue* key = a->json.find("key");
      if (!key || !key->isString()) return unexpected(*a, "no 'key'");
      out_ << key->asString() << '\n';
      err_ << "new key of device " << inv_.operand
           << ": shown only this once; give it to the tracker before it next logs in\n";
      return kAdminOk;
    }
    auto changes = deviceChanges(inv_);
    if (!changes) return badArgs(changes.error());
    if (v == "create") return create(base, *changes, "device", "serial");
    if (v == "update") {
      // PUT replaces the device; the key is write-only and kept when absent, so only a given
      // --key is sent.
      return update(base + "/" + op_, *changes, {"locationId", "registration"});
    }
    if (v == "register") {
      auto a = call("POST", "/api/v1/refused-idents/" + op_ + "/register",
                    toJson(JsonValue::makeObject(*changes)));
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "registered device " << inv_.operand << '\n';
      renderObject(a->json, out_);
      if (a->json.find("key"))
        err_ << "the generated key is shown only this once; give it to the tracker\n";
      return kAdminOk;
    }
    return kAdminBadArgs;
  }

  int queue(const std::string& v) {
    const std::string base = "/api/v1/queues";
    if (v == "list") {
      return list(base, "queues",
                  {{"ID", true},
                   {"NAME"},
                   {"STATE"},
                   {"DEPTH", true},
                   {"OLDEST", true},
                   {"NEXT RETRY"},
                   {"FAILURES", true},
                   {"LAST ERROR"}},
                  [this](const JsonValue& q) {
                    return std::vector<std::string>{cell(q, "destinationId"),
                                                    cell(q, "name"),
                                                    stateText(q),
                                                    cell(q, "depth"),
                                                    ageText(q),
                                                    nextRetryText(q),
                                                    cell(q, "consecutiveFailures"),
                                                    cell(q, "lastError")};
                  });
    }
    if (v == "show") {
      auto a = call("GET", base + "/" + op_);
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      renderQueue(a->json);
      return kAdminOk;
    }
    if (v == "entries") {
      auto q = entriesQuery(inv_);
      if (!q) return badArgs(q.error());
      auto a = call("GET", base + "/" + op_ + "/entries" + *q);
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      const JsonValue* entries = a->json.find("entries");
      if (!entries || !entries->isArray()) return unexpected(*a, "no 'entries' list");
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : entries->asArray())
        rows.push_back({cell(e, "id"), cell(e, "packetId"), cell(e, "state"),
                        typeText(e.find("type")), cell(e, "filterKey"), cell(e, "serial"),
                        cell(e, "receivedAt"), cell(e, "attempts"), cell(e, "reason")});
      renderTable({{"ID", true},
                   {"PACKET", true},
                   {"STATE"},
                   {"TYPE"},
                   {"FILTER KEY"},
                   {"DEVICE"},
                   {"RECEIVED"},
                   {"ATTEMPTS", true},
                   {"REASON"}},
                  rows, out_);
      const JsonValue* next = a->json.find("next");
      if (next && !next->isNull())
        out_ << "more: dcgw queue entries " << inv_.operand << " --after " << cell(next)
             << " (with the same filters)\n";
      return kAdminOk;
    }
    if (v == "retry" || v == "pause" || v == "resume") {
      auto a = call("POST", base + "/" + op_ + "/" + v);
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "queue " << inv_.operand << " (" << cell(a->json, "name")
           << "): " << stateText(a->json) << ", depth " << cell(a->json, "depth") << '\n';
      return kAdminOk;
    }
    if (v == "skip") {
      Object body{{"reason", JsonValue::makeString(*value(inv_, "--reason"))}};
      auto a = call("POST", base + "/" + op_ + "/skip", toJson(JsonValue::makeObject(body)));
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "skipped entry " << cell(a->json, "skipped") << " of queue " << inv_.operand
           << " (now a dead letter)\n";
      return kAdminOk;
    }
    if (v == "requeue-dead") {
      auto a = call("POST", base + "/" + op_ + "/requeue-dead");
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "requeued " << cell(a->json, "requeued") << " dead letters of queue " << inv_.operand
           << '\n';
      return kAdminOk;
    }
    if (v == "replay") {
      Object body{{"from", JsonValue::makeString(*value(inv_, "--from"))}};
      auto a = call("POST", base + "/" + op_ + "/replay", toJson(JsonValue::makeObject(body)));
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      out_ << "replaying " << cell(a->json, "replayed") << " delivered entries of queue "
           << inv_.operand << '\n';
      return kAdminOk;
    }
    return kAdminBadArgs;
  }

  int tokens(const std::string& v) {
    const std::string base = "/api/v1/tokens";
    if (v == "list")
      return list(base, "tokens", {{"ID", true}, {"NAME"}, {"ROLE"}, {"CREATED"}, {"LAST USED"}},
                  [](const JsonValue& t) {
                    return std::vector<std::string>{cell(t, "id"), cell(t, "name"), cell(t, "role"),
                                                    cell(t, "createdAt"), cell(t, "lastUsedAt")};
                  });
    if (v == "create") {
      if (auto s = checkEnum(inv_, "--role", {"admin", "auditor"}); !s) return badArgs(s.error());
      Object body{{"name", JsonValue::makeString(*value(inv_, "--name"))},
                  {"role", JsonValue::makeString(*value(inv_, "--role"))}};
      auto a = call("POST", base, toJson(JsonValue::makeObject(body)));
      if (!a) return exit_;
      if (inv_.json) return printRaw(*a);
      const JsonValue* secret = a->json.find("token");
      if (!secret || !secret->isString()) return unexpected(*a, "no 'token'");
      out_ << secret->asString() << '\n';
      err_ << "created token " << cell(a->json, "id") << " '" << cell(a->json, "name") << "' ("
           << cell(a->json, "role") << "); its secret is shown only this once\n";
      return kAdminOk;
    }
    if (v == "revoke") return remove(base + "/" + op_, "revoked token " + inv_.operand);
    return kAdminBadArgs;
  }

  // --- the shapes every noun shares ---

  int list(const std::string& target, const std::string& key,
           const std::vector<TableColumn>& columns,
           const std::function<std::vector<std::string>(const JsonValue&)>& row) {
    auto a = call("GET", target);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue* items = a->json.find(key);
    if (!items || !items->isArray()) return unexpected(*a, "no '" + key + "' list");
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items->asArray()) rows.push_back(row(item));
    renderTable(columns, rows, out_);
    return kAdminOk;
  }

  int show(const std::string& target) {
    auto a = call("GET", target);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    renderObject(a->json, out_);
    return kAdminOk;
  }

  int create(const std::string& target, const Object& body, const std::string& what,
             const std::string& idKey) {
    auto a = call("POST", target, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "created " << what << " " << cell(a->json, idKey) << '\n';
    renderObject(a->json, out_);
    return kAdminOk;
  }

  int update(const std::string& target, const Object& changes,
             std::initializer_list<std::string_view> inputFields,
             const std::function<void(Object&)>& adjust = {}) {
    if (changes.empty())
      return badArgs(argError("options", "nothing to change: give at least one option (see dcgw " +
                                             inv_.noun + " --help)"));
    auto current = call("GET", target);
    if (!current) return exit_;
    if (!current->json.isObject()) return unexpected(*current, "not an object");
    Object body = pick(current->json, inputFields);
    for (const auto& [k, v] : changes) put(body, k, v);
    if (adjust) adjust(body);
    auto a = call("PUT", target, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "updated " << inv_.noun.substr(0, inv_.noun.size() - 1) << " " << inv_.operand << '\n';
    renderObject(a->json, out_);
    return kAdminOk;
  }

  int remove(const std::string& target, const std::string& done) {
    auto a = call("DELETE", target);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << done << '\n';
    return kAdminOk;
  }

  // --- queues ---

  std::string stateText(const JsonValue& q) const {
    std::string s = cell(q, "state");
    const JsonValue* next = q.find("nextRetryAt");
    if (s == "backing-off" && next && next->isString()) s += " until " + next->asString();
    return s;
  }

  std::string ageText(const JsonValue& q) const {
    const JsonValue* age = q.find("oldestPendingAgeSeconds");
    if (!age || !age->isNumber()) return "-";
    return formatDuration(age->asDouble());
  }

  std::string nextRetryText(const JsonValue& q) const {
    const JsonValue* next = q.find("nextRetryAt");
    if (!next || !next->isString()) return "-";
    auto at = parseIsoTime(next->asString());
    if (!at) return next->asString();
    const double left = std::chrono::duration<double>(*at - env_.now()).count();
    return left <= 0 ? "due" : "in " + formatDuration(std::ceil(left));
  }

  void renderQueue(const JsonValue& q) {
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    const JsonValue* b = q.find("blocking");
    if (!b || !b->isObject()) {
      out_ << "blocking entry: none (nothing pending)\n";
    } else {
      // Its last error: the newest failed attempt, else what the queue last saw.
      std::string lastError, lastErrorAt;
      if (const JsonValue* h = b->find("history"); h && h->isArray()) {
        for (const auto& e : h->asArray()) {
          if (cell(e, "outcome") != "delivered") {
            lastError = cell(e, "reason");
            lastErrorAt = cell(e, "at");
          }
        }
      }
      if (lastError.empty() || lastError == "-") {
        lastError = cell(q, "lastError");
        lastErrorAt = cell(q, "lastErrorAt");
      }
      out_ << "blocking entry " << cell(*b, "id") << '\n';
      Pairs p{{"last error", lastError},
              {"last error at", lastErrorAt},
              {"attempts", cell(*b, "attempts")},
              {"packet", cell(*b, "packetId") + " (type " + typeText(b->find("type")) + ", " +
                             cell(*b, "filterKey") + ")"},
              {"device", cell(*b, "serial") + " (registration " + cell(*b, "registration") + ")"},
              {"received", cell(*b, "receivedAt")}};
      if (b->find("data")) p.emplace_back("data", cell(*b, "data"));
      renderPairs(p, out_, "  ");
      if (const JsonValue* h = b->find("history"); h && h->isArray() && !h->asArray().empty()) {
        out_ << "  history (oldest first):\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& e : h->asArray())
          rows.push_back(
              {cell(e, "at"), cell(e, "outcome"), usText(e.find("durationUs")), cell(e, "reason")});
        std::ostringstream table;
        renderTable({{"AT"}, {"OUTCOME"}, {"DURATION", true}, {"REASON"}}, rows, table);
        std::istringstream lines(table.str());
        for (std::string line; std::getline(lines, line);) out_ << "    " << line << '\n';
      }
    }
    out_ << "queue " << cell(q, "destinationId") << " (" << cell(q, "name") << ", "
         << cell(q, "method") << ")\n";
    std::string oldest = cell(q, "oldestPendingAt");
    if (oldest != "-" && ageText(q) != "-") oldest += " (" + ageText(q) + " ago)";
    std::string next = cell(q, "nextRetryAt");
    if (next != "-") next += " (" + nextRetryText(q) + ")";
    Pairs p{{"state", cell(q, "state")},
            {"enabled", cell(q, "enabled")},
            {"next retry", next},
            {"depth", cell(q, "depth")},
            {"oldest pending", oldest},
            {"failures", cell(q, "consecutiveFailures") + " consecutive"},
            {"last error", cell(q, "lastError")},
            {"last error at", cell(q, "lastErrorAt")}};
    if (const JsonValue* c = q.find("counters"); c && c->isObject()) {
      static constexpr std::pair<const char*, const char*> kCounters[] = {
          {"queued", "queued"},
          {"delivered", "delivered"},
          {"failedAttempts", "failed attempts"},
          {"deadLetters", "dead letters"},
          {"filtered", "filtered"}};
      for (auto [key, label] : kCounters) p.emplace_back(label, cell(*c, key));
    }
    renderPairs(p, out_, "  ");
  }

  static std::string usText(const JsonValue* us) {
    if (!us || !us->isNumber()) return "-";
    const double v = us->asDouble();
    char buf[32];
    if (v < 1000)
      std::snprintf(buf, sizeof buf, "%.0f us", v);
    else if (v < 1e6)
      std::snprintf(buf, sizeof buf, "%.1f ms", v / 1e3);
    else
      std::snprintf(buf, sizeof buf, "%.2f s", v / 1e6);
    return buf;
  }

  // --- transport and errors ---

  std::optional<Answer> call(std::string_view method, const std::string& target,
                             std::optional<std::string> body = std::nullopt) {
    if (!transport_) transport_ = env_.connect(inv_.client);
    Exchange x = transport_->send(method, target, body);
    if (!x.response) {
      err_ << prog_ << ": " << x.failure << '\n';
      exit_ = kAdminUnreachable;
      return std::nullopt;
    }
    Answer a{std::move(*x.response), {}};
    if (a.response.status < 200 || a.response.status > 299) {
      reportApiError(a.response);
      exit_ = kAdminApiError;
      return std::nullopt;
    }
    if (a.response.body.find_first_not_of(" \t\r\n") != std::string::npos) {
      auto parsed = codecs::parseJson(a.response.body);
      if (!parsed) {
        err_ << prog_ << ": the gateway answered " << statusText(a.response)
             << " with a body that is not JSON (" << parsed.error().message()
             << "): " << snippet(a.response.body) << '\n';
        exit_ = kAdminApiError;
        return std::nullopt;
      }
      a.json = std::move(*parsed);
    }
    return a;
  }

  void reportApiError(const HttpResponse& r) {
    auto parsed = codecs::parseJson(r.body);
    const JsonValue* error = parsed ? parsed->find("error") : nullptr;
    if (error && error->isString()) {
      err_ << prog_ << ": " << error->asString() << " (" << statusText(r) << ")\n";
    } else {
      err_ << prog_ << ": the gateway answered " << statusText(r)
           << (r.body.empty() ? "" : ": " + snippet(r.body)) << '\n';
    }
    if (const JsonValue* fields = parsed ? parsed->find("fields") : nullptr;
        fields && fields->isArray()) {
      for (const auto& f : fields->asArray())
        err_ << "  " << cell(f, "field") << ": " << cell(f, "reason") << '\n';
    }
    if (r.status == 401)
      err_ << prog_ << ": the token was not accepted; check --token or DCGW_TOKEN\n";
    else if (r.status == 403 && !(error && error->isString()))
      err_ << prog_ << ": this needs a token with the admin role (auditors only read)\n";
  }

  int unexpected(const Answer& a, const std::string& what) {
    err_ << prog_ << ": unexpected answer from the gateway (" << what
         << "): " << snippet(a.response.body) << '\n';
    return exit_ = kAdminApiError;
  }

  int badArgs(const codecs::Error& e) {
    err_ << prog_ << ": " << e.expected << '\n';
    return kAdminBadArgs;
  }

  int printRaw(const Answer& a) {
    out_ << a.response.body;
    if (!a.response.body.empty() && a.response.body.back() != '\n') out_ << '\n';
    return kAdminOk;
  }

  static std::string statusText(const HttpResponse& r) {
    return "HTTP " + std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
  }

  static std::string snippet(const std::string& body) {
    std::string s = body.substr(0, 200);
    for (char& c : s)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return body.size() > 200 ? s + "..." : s;
  }

  const AdminInvocation& inv_;
  const AdminEnvironment& env_;
  std::ostream& out_;
  std::ostream& err_;
  const std::string prog_;
  const std::string op_;  // the operand, ready for a path
  std::unique_ptr<AdminTransport> transport_;
  int exit_{kAdminOk};
};

}  // namespace

AdminEnvironment defaultAdminEnvironment() {
  AdminEnvironment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  env.connect = makeHttpTransport;
  env.now = [] { return std::chrono::system_clock::now(); };
  return env;
}

int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err) {
  return runAdminCommand(noun, args, out, err, defaultAdminEnvironment());
}

int runAdminCommand(const std::string& noun, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const AdminEnvironment& env) {
  auto inv = parseAdminArgs(noun, args, env.getenv);
  if (!inv) {
    err << "dcgw " << noun << ": " << inv.error().expected << '\n';
    return kAdminBadArgs;
  }
  if (inv->help) {
    out << adminUsage(noun);
    return kAdminOk;
  }
  return Runner(*inv, env, out, err).run();
}

}  // namespace dcgw::cli
