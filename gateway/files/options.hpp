// The file upload's settings (the `files` section of etc/dcgw.json, schema/config.md) and its
// counters.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace dcgw::files {

struct FilesOptions {
  std::string dir;       // the content-addressed files ("" : serve puts it beside the database)
  std::string spoolDir;  // uploads in progress ("": <dir>/spool)
  std::uint32_t maxFileBytes{16u * 1024 * 1024};
  std::uint32_t windowBytes{256 * 1024};  // unacknowledged chunk bytes per upload
  std::size_t maxUploadsPerDevice{4};
  std::size_t maxUploads{256};
  std::int64_t abandonedUploadMs{168LL * 3600 * 1000};  // a week
  std::int64_t retentionMs{3650LL * 24 * 3600 * 1000};  // ten years
  std::size_t workers{2};                               // threads for disk I/O and hashing
  std::int64_t maintenanceMs{60'000};  // how often abandoned uploads and old files are pruned
};

struct FilesStats {
  std::atomic<std::uint64_t> begun{0};    // FILE_BEGIN answered with FILE_ACK
  std::atomic<std::uint64_t> resumed{0};  // ... of which at an offset above 0
  std::atomic<std::uint64_t> bytes{0};    // chunk bytes written to the spool
  std::atomic<std::uint64_t> stored{0};   // FILE_RESULT OK for a new file row
  std::atomic<std::uint64_t> digestMismatches{0};
  std::atomic<std::uint64_t> failures{0};  // STORE_FAILED
  std::atomic<std::uint64_t> abandoned{0};
  std::atomic<std::uint64_t> pruned{0};  // index rows removed by retention
};

}  // namespace dcgw::files
