// `dcgw destinations ...`: list, show, create, update (fetch, change, PUT back), delete,
// enable, disable.
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

int Runner::destinations(const std::string& v) {
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

}  // namespace dcgw::cli::admin_impl
