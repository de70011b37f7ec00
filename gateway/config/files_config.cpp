// The `files` section of etc/dcgw.json: the file upload's limits and where its files are kept,
// each setting checked on its own with an error that names it.
#include "gateway/config/config_file.hpp"
#include "gateway/config/config_schema.hpp"

namespace dcgw::config {

codecs::Result<std::optional<files::FilesOptions>> filesOptions(const std::string& path) {
  auto doc = readDocument(path);
  if (!doc) return doc.error();
  files::FilesOptions o;
  const codecs::JsonValue* f = doc->find("files");
  if (!f || f->isNull()) return std::optional<files::FilesOptions>(o);
  if (!f->isObject()) return codecs::makeError("files", 0, "an object");
  if (const codecs::JsonValue* e = f->find("enabled")) {
    if (e->kind() != codecs::JsonValue::Kind::Bool)
      return codecs::makeError("files.enabled", 0, "true or false");
    if (!e->asBool()) return std::optional<files::FilesOptions>();
  }
  auto number = [&](const char* key, long long lo, long long hi, long long& out) -> codecs::Status {
    const codecs::JsonValue* v = f->find(key);
    if (!v) return codecs::Ok{};
    auto n = v->asExactInteger();
    if (!v->isNumber() || !n || *n < lo || *n > hi)
      return codecs::makeError(
          std::string("files.") + key, 0,
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = *n;
    return codecs::Ok{};
  };
  auto text = [&](const char* key, std::string& out) -> codecs::Status {
    const codecs::JsonValue* v = f->find(key);
    if (!v) return codecs::Ok{};
    if (!v->isString() || v->asString().empty())
      return codecs::makeError(std::string("files.") + key, 0, "a directory path");
    out = v->asString();
    return codecs::Ok{};
  };
  long long maxFile = o.maxFileBytes, window = o.windowBytes,
            perDevice = static_cast<long long>(o.maxUploadsPerDevice),
            total = static_cast<long long>(o.maxUploads),
            abandoned = o.abandonedUploadMs / 3'600'000, retention = o.retentionMs / 86'400'000,
            workers = static_cast<long long>(o.workers);
  for (auto s :
       {text("dir", o.dir), text("spoolDir", o.spoolDir),
        number("maxFileBytes", 1, 16 * 1024 * 1024, maxFile),
        number("windowBytes", 1024, 16 * 1024 * 1024, window),
        number("maxUploadsPerDevice", 1, 1024, perDevice), number("maxUploads", 1, 100000, total),
        number("abandonedUploadHours", 1, 87600, abandoned),
        number("retentionDays", 1, 36500, retention), number("workers", 1, 64, workers)})
    if (!s) return s.error();
  if (perDevice > total)
    return codecs::makeError("files.maxUploadsPerDevice", 0,
                             "at most maxUploads (" + std::to_string(total) + ")");
  o.maxFileBytes = static_cast<std::uint32_t>(maxFile);
  o.windowBytes = static_cast<std::uint32_t>(window);
  o.maxUploadsPerDevice = static_cast<std::size_t>(perDevice);
  o.maxUploads = static_cast<std::size_t>(total);
  o.abandonedUploadMs = abandoned * 3'600'000;
  o.retentionMs = retention * 86'400'000;
  o.workers = static_cast<std::size_t>(workers);
  return std::optional<files::FilesOptions>(std::move(o));
}

}  // namespace dcgw::config
