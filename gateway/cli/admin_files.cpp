// `dcgw files ...` (issue 13): the tachograph files devices uploaded, as the admin API lists,
// describes and serves them (GET /api/v1/devices/{serial}/files, /api/v1/files/{id} and its
// content).
#include <cstdint>
#include <fstream>
#include <ostream>

#include "gateway/cli/admin_internal.hpp"

namespace dcgw::cli::admin_impl {

namespace {

std::string text(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.find(key);
  return v && v->isString() ? v->asString() : "";
}

std::string when(const std::string& iso) {
  if (iso.size() < 19) return iso.empty() ? "-" : iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

}  // namespace

const std::vector<Verb>& fileVerbs() {
  static const std::vector<Verb> all = {
      {"files",
       "list",
       "",
       {{"--device", true}, {"--limit", true}, {"--before", true}},
       {"--device"},
       "--device SERIAL [--limit N] [--before CURSOR]",
       "the device's uploaded tachograph files, newest first, one page"},
      {"files",
       "show",
       "ID",
       {},
       {},
       "",
       "one file: device, times, kind, size, SHA-256, name, warnings, error, summary"},
      {"files",
       "get",
       "ID",
       {{"--out", true}},
       {"--out"},
       "--out FILE",
       "download the file's bytes into FILE (its conventional name is printed)"},
  };
  return all;
}

int Runner::files(const std::string& v) {
  if (v == "list") {
    std::string query = "?";
    long long n = 0;
    if (const std::string* l = value(inv_, "--limit")) {
      if (!parseInt(*l, 1, 500, n))
        return badArgs(argError("--limit", "--limit must be from 1 to 500, not '" + *l + "'"));
      query += "limit=" + *l + "&";
    }
    if (const std::string* b = value(inv_, "--before")) {
      if (!parseInt(*b, 1, INT64_MAX, n))
        return badArgs(
            argError("--before", "--before must be the cursor a page printed, not '" + *b + "'"));
      query += "before=" + *b + "&";
    }
    query.pop_back();
    auto a = call("GET",
                  "/api/v1/devices/" + percentEncode(*value(inv_, "--device")) + "/files" + query);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue* files = a->json.find("files");
    if (!files || !files->isArray()) return unexpected(*a, "no 'files' list");
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : files->asArray())
      rows.push_back({cell(f, "id"), when(text(f, "receivedAt")), cell(f, "kind"), cell(f, "size"),
                      cell(f, "name"), text(f, "error").empty() ? "-" : text(f, "error")});
    renderTable({{"ID", true}, {"RECEIVED"}, {"KIND"}, {"SIZE", true}, {"NAME"}, {"ERROR"}}, rows,
                out_);
    if (const JsonValue* next = a->json.find("next"); next && next->asExactInteger())
      err_ << "more: --before " << *next->asExactInteger() << '\n';
    return kAdminOk;
  }
  const std::string one = "/api/v1/files/" + op_;
  if (v == "show") return show(one);
  if (v == "get") {
    auto meta = call("GET", one);
    if (!meta) return exit_;
    if (!transport_) transport_ = env_.connect(inv_.client);
    Exchange x = transport_->send("GET", one + "/content", std::nullopt);
    if (!x.response) {
      err_ << prog_ << ": " << x.failure << '\n';
      return kAdminUnreachable;
    }
    if (x.response->status != 200) {
      reportApiError(*x.response);
      return kAdminApiError;
    }
    const std::string& path = *value(inv_, "--out");
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    o.write(x.response->body.data(), static_cast<std::streamsize>(x.response->body.size()));
    o.close();
    if (!o) {
      err_ << prog_ << ": cannot write " << path << '\n';
      return kAdminBadArgs;
    }
    out_ << "wrote " << x.response->body.size() << " bytes to " << path << " ("
         << text(meta->json, "name") << ", sha256 " << text(meta->json, "sha256") << ")\n";
    return kAdminOk;
  }
  return kAdminBadArgs;
}

}  // namespace dcgw::cli::admin_impl
