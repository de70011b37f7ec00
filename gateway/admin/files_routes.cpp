// /api/v1/devices/{serial}/files, /api/v1/files/{file} and its content: the tachograph files
// devices uploaded (issue 13; schema/uplink.md section 8.6), listed newest first, described with
// their analysis, and downloaded under their conventional name.
#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>

#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonWriter;

void writeFile(JsonWriter& w, const store::FileRecord& f, bool details) {
  w.beginObject();
  w.key("id");
  w.integer(f.id);
  w.key("serial");
  w.string(f.serial);
  w.key("uploadId");
  w.integer(f.uploadId);
  w.key("receivedAt");
  w.string(formatTimeMs(f.receivedAtMs));
  w.key("downloadedAt");
  w.string(formatTimeMs(f.downloadedAtMs));
  w.key("registration");
  w.string(f.registration);
  w.key("locationId");
  if (f.locationId) {
    w.integer(*f.locationId);
  } else {
    w.null();
  }
  w.key("announcedKind");
  w.string(f.announcedKind);
  w.key("kind");
  w.string(f.kind);
  w.key("generation");
  w.string(f.generation);
  w.key("size");
  w.integer(f.size);
  w.key("sha256");
  w.string(f.sha256);
  w.key("name");
  w.string(f.name);
  w.key("error");
  w.string(f.error);
  w.key("warningCount");
  w.integer(static_cast<std::int64_t>(f.warnings.size()));
  w.key("processedAt");
  if (f.processedAtMs) {
    w.string(formatTimeMs(*f.processedAtMs));
  } else {
    w.null();
  }
  if (details) {
    w.key("warnings");
    w.beginArray();
    for (const auto& s : f.warnings) w.string(s);
    w.endArray();
    w.key("summary");
    w.raw(f.summaryJson.empty() ? "{}" : f.summaryJson);
  }
  w.endObject();
}

store::FileRecord existing(Api& api, Request& r) {
  auto f = api.store.file(r.id("file"));
  if (!f) throw ApiError{404, "no file '" + r.var("file") + "'", {}};
  return std::move(*f);
}

// A name safe in a quoted header parameter: printable ASCII without quotes or backslashes.
std::string headerSafe(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? c : '_';
  return out.empty() ? "file.DDD" : out;
}

// RFC 5987 ext-value: UTF-8, percent-encoded except attr-chars.
std::string extValue(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "UTF-8''";
  for (unsigned char c : name) {
    if (std::isalnum(c) ||
        std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

void addFileRoutes(RouteTable& t, Api& api) {
  const std::string device = "/api/v1/devices/{serial}/files";
  t.add("GET", device, Role::Reader, [&api](Request& r) {
    store::FileFilter f;
    f.serial = r.var("serial");
    control::FieldErrors e;
    pageParams(r, "before", 1, f.beforeId, f.limit, e);
    throwIfAny(e);
    const int limit = f.limit;
    ++f.limit;
    auto page = api.store.files(f);
    // The index outlives a device; a serial never registered and without files is unknown.
    if (page.empty() && f.beforeId == 0 && !api.devices.get(f.serial))
      throw ApiError{404, "no device '" + f.serial + "'", {}};
    const bool more = static_cast<int>(page.size()) > limit;
    if (more) page.pop_back();
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("files");
    w.beginArray();
    for (const auto& file : page) writeFile(w, file, false);
    w.endArray();
    writeNext(w, more ? std::optional<std::int64_t>(page.back().id) : std::nullopt);
    w.endObject();
    return r.reply(200, out);
  });
  t.notAllowed(device);

  const std::string one = "/api/v1/files/{file}";
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    std::string out;
    JsonWriter w(out);
    writeFile(w, existing(api, r), true);
    return r.reply(200, out);
  });
  t.notAllowed(one);
  t.add("GET", one + "/content", Role::Reader, [&api](Request& r) {
    const store::FileRecord f = existing(api, r);
    if (!api.metrics.files)
      throw ApiError{404, "file " + r.var("file") + ": the file upload is off in this gateway", {}};
    std::ifstream in(api.metrics.files->contentPath(f.sha256), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in || bytes.str().size() != static_cast<std::size_t>(f.size))
      throw ApiError{500,
                     "file " + r.var("file") + ": its content " + f.sha256 +
                         " is missing from the file store " + api.metrics.files->dir(),
                     {}};
    r.resp.set("Content-Disposition", "attachment; filename=\"" + headerSafe(f.name) +
                                          "\"; filename*=" + extValue(f.name));
    return r.reply(200, bytes.str(), "application/octet-stream");
  });
  t.notAllowed(one + "/content");
  t.noSuchPath(one + "/**");
}

}  // namespace dcgw::admin
