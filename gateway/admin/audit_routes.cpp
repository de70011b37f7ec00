// /api/v1/audit: the audit log, newest first, a page at a time.
#include <limits>

#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

void addAuditRoutes(RouteTable& t, Api& api) {
  t.add("GET", "/api/v1/audit", Role::Reader, [&api](Request& r) {
    std::int64_t before = std::numeric_limits<std::int64_t>::max();
    int limit = 100;
    control::FieldErrors e;
    pageParams(r, "before", 0, before, limit, e);
    throwIfAny(e);
    auto page = api.store.audit(before, limit + 1);
    const bool more = static_cast<int>(page.size()) > limit;
    if (more) page.pop_back();
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("entries");
    w.beginArray();
    for (const auto& a : page) {
      w.beginObject();
      w.key("id");
      w.integer(a.id);
      w.key("at");
      w.string(control::formatTimeMs(a.atMs));
      w.key("actor");
      w.string(a.actor);
      w.key("role");
      w.string(a.role);
      w.key("action");
      w.string(a.action);
      w.key("target");
      w.string(a.target);
      for (const auto& [k, v] : {std::pair{"before", &a.before}, std::pair{"after", &a.after}}) {
        w.key(k);
        if (*v && codecs::parseJson(**v)) {
          w.raw(**v);
        } else if (*v) {
          w.string(**v);
        } else {
          w.null();
        }
      }
      w.endObject();
    }
    w.endArray();
    writeNext(w, more ? std::optional(page.back().id) : std::nullopt);
    w.endObject();
    return r.reply(200, out);
  });
}

}  // namespace dcgw::admin
