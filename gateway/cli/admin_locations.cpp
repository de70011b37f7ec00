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
  auto changes = locationChanges(inv_);
  if (!changes) return badArgs(changes.error());
  if (v == "create") return create(base, *changes, "location", "id");
  if (v == "update")
    return update(base + "/" + op_, *changes, {"name", "description", "destinationIds"});
  if (v == "delete") return remove(base + "/" + op_, "deleted location " + inv_.operand);
  return kAdminBadArgs;
}

}  // namespace dcgw::cli::admin_impl
