// `dcgw locations ...`: list, show, create, update, delete.
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
  Object files;
  if (const std::string* v = value(inv, "--file-naming"))
    put(files, "naming", JsonValue::makeString(*v));
  if (const std::string* v = value(inv, "--time-zone"))
    put(files, "timeZone", JsonValue::makeString(*v));
  for (const auto& [flag, member] : {std::pair{"--vu-download-days", "vehicleUnitDownloadDays"},
                                     std::pair{"--card-download-days", "driverCardDownloadDays"}}) {
    if (const std::string* v = value(inv, flag)) {
      long long days = 0;
      if (!parseInt(*v, 1, 3650, days))
        return argError(
            flag, std::string(flag) + " must be a number of days, 1 to 3650, not '" + *v + "'");
      put(files, member, jsonInt(days));
    }
  }
  if (!files.empty()) put(p, "files", JsonValue::makeObject(std::move(files)));
  return p;
}

int Runner::locations(const std::string& v) {
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
  if (v == "alerts") return locationAlerts(base + "/" + op_ + "/alerts");
  auto changes = locationChanges(inv_);
  if (!changes) return badArgs(changes.error());
  if (v == "create") return create(base, *changes, "location", "id");
  if (v == "update")
    return update(base + "/" + op_, *changes, {"name", "description", "destinationIds"});
  if (v == "delete") return remove(base + "/" + op_, "deleted location " + inv_.operand);
  return kAdminBadArgs;
}

namespace {

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string thresholdText(const JsonValue& v) {
  if (auto exact = v.asExactInteger()) return std::to_string(*exact);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.asDouble());
  return buf;
}

}  // namespace

// GET the settings; with options, change the rules named and PUT the whole set back.
int Runner::locationAlerts(const std::string& target) {
  const std::string* language = value(inv_, "--language");
  const std::string* enable = value(inv_, "--enable");
  const std::string* disable = value(inv_, "--disable");
  auto current = call("GET", target);
  if (!current) return exit_;
  const JsonValue* rules = current->json.find("rules");
  if (!current->json.isObject() || !rules || !rules->isArray())
    return unexpected(*current, "not alert settings");
  JsonValue::Array list = rules->asArray();
  std::optional<Answer> shown = std::move(current);
  if (language || enable || disable) {
    auto without = [&list](const std::string& rule) {
      std::erase_if(list, [&](const JsonValue& r) {
        const JsonValue* n = r.find("rule");
        return n && n->isString() && n->asString() == rule;
      });
    };
    if (disable)
      for (const auto& rule : commaList(*disable)) without(rule);
    if (enable) {
      for (const auto& item : commaList(*enable)) {
        const std::size_t eq = item.find('=');
        const std::string rule = item.substr(0, eq);
        if (rule.empty())
          return badArgs(
              argError("--enable", "--enable takes RULE[=N][,RULE[=N]...], not '" + *enable + "'"));
        Object r;
        put(r, "rule", JsonValue::makeString(rule));
        if (eq != std::string::npos) {
          const std::string n = item.substr(eq + 1);
          char* end = nullptr;
          const double t = std::strtod(n.c_str(), &end);
          if (n.empty() || !end || *end != '\0' || !std::isfinite(t))
            return badArgs(argError("--enable", "--enable " + rule +
                                                    "=N: N must be a number in the rule's unit, "
                                                    "not '" +
                                                    n + "'"));
          put(r, "threshold", JsonValue::makeNumber(t, std::nullopt));
        } else {
          // Already on: keep its threshold; else the rule's default.
          for (const auto& old : list)
            if (const JsonValue* n = old.find("rule"); n && n->isString() && n->asString() == rule)
              if (const JsonValue* t = old.find("threshold")) put(r, "threshold", *t);
        }
        without(rule);
        list.push_back(JsonValue::makeObject(std::move(r)));
      }
    }
    Object body;
    if (language) put(body, "language", JsonValue::makeString(*language));
    JsonValue::Array sent;
    for (const auto& r : list)
      sent.push_back(JsonValue::makeObject(pick(r, {"rule", "threshold"})));
    put(body, "rules", JsonValue::makeArray(std::move(sent)));
    shown = call("PUT", target, toJson(JsonValue::makeObject(body)));
    if (!shown) return exit_;
  }
  if (inv_.json) return printRaw(*shown);
  const JsonValue& s = shown->json;
  out_ << "location  " << cell(s, "locationId") << '\n';
  out_ << "language  " << cell(s, "language") << '\n';
  const JsonValue* on = s.find("rules");
  if (!on || !on->isArray() || on->asArray().empty()) {
    out_ << "rules     none on\n";
    return kAdminOk;
  }
  out_ << "rules\n";
  for (const auto& r : on->asArray()) {
    std::string name = cell(r, "rule");
    name.resize(std::max<std::size_t>(name.size() + 2, 24), ' ');
    const JsonValue* t = r.find("threshold");
    const std::string unit = cell(r, "unit");
    out_ << "  " << name
         << (unit == "none" || !t ? std::string("on") : thresholdText(*t) + " " + unit) << '\n';
  }
  return kAdminOk;
}

}  // namespace dcgw::cli::admin_impl
