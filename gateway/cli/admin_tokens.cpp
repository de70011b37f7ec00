// `dcgw tokens ...`: list, create (the secret shown once), revoke; `dcgw drivers list` and
// `dcgw compliance list`.
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

int Runner::tokens(const std::string& v) {
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

int Runner::compliance(const std::string& v) {
  if (v != "list") return kAdminBadArgs;
  std::string query;
  for (const auto& [flag, param] :
       {std::pair{"--location", "location"}, std::pair{"--status", "status"},
        std::pair{"--soon-days", "soonDays"}}) {
    const std::string* value = admin_impl::value(inv_, flag);
    if (!value) continue;
    // The server names a bad value; only characters that need no encoding are passed on.
    if (value->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789,") != std::string::npos)
      return badArgs(argError(
          flag, std::string(flag) + " takes letters, digits and commas, not '" + *value + "'"));
    query += (query.empty() ? "?" : "&") + std::string(param) + "=" + *value;
  }
  return list("/api/v1/compliance" + query, "items",
              {{"STATUS"},
               {"KIND"},
               {"SUBJECT"},
               {"DEVICE"},
               {"LOCATION", true},
               {"LAST DOWNLOAD"},
               {"DUE"},
               {"DRIVER / REGISTRATION"}},
              [](const JsonValue& i) {
                const std::string who = cell(i, "kind") == "driverCard"
                                            ? cell(i, "surname") + " " + cell(i, "firstNames")
                                            : cell(i, "registration");
                return std::vector<std::string>{cell(i, "status"),     cell(i, "kind"),
                                                cell(i, "subject"),    cell(i, "serial"),
                                                cell(i, "locationId"), cell(i, "lastDownload"),
                                                cell(i, "due"),        who};
              });
}

int Runner::drivers(const std::string& v) {
  if (v == "list")
    return list(
        "/api/v1/drivers", "drivers",
        {{"CARD NUMBER"}, {"SURNAME"}, {"FIRST NAMES"}, {"FIRST SEEN"}, {"LAST SEEN"}, {"DEVICE"}},
        [](const JsonValue& d) {
          return std::vector<std::string>{cell(d, "cardNumber"), cell(d, "surname"),
                                          cell(d, "firstNames"), cell(d, "firstSeenAt"),
                                          cell(d, "lastSeenAt"), cell(d, "lastSeenDevice")};
        });
  return kAdminBadArgs;
}

}  // namespace dcgw::cli::admin_impl
