// The analysis seam of the file upload: what the gateway learns from a stored file's bytes
// (kind, generation, summary, warnings, conventional name) before its index row is written.
// serve wires the tachograph parser and naming here (tacho_files.hpp); a FileChannel given no
// analyzer (the channel's own tests) uses notParsed(), which records what the device said.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::files {

// The device's context of one file, as the naming conventions and the summary need it.
struct FileContext {
  std::string serial;
  std::string registration;  // FILE_BEGIN's, else the device's registered one
  std::optional<std::int64_t> locationId;
  std::int64_t downloadedAtMs{0};  // the device's download time, else receivedAtMs
  std::int64_t receivedAtMs{0};    // when the last byte arrived at the gateway
  std::string announcedKind;       // FILE_BEGIN's kind ("driverCard", ...)
};

struct Analysis {
  std::string kind{"unknown"};  // "driverCard", "workshopCard", ..., "unknown"
  std::string generation{"unknown"};
  std::string summaryJson{"{}"};  // a JSON object
  std::vector<std::string> warnings;
  std::string error;  // why no summary could be made ("" when one was)
  std::string name;   // the conventional file name
};

// Called on a file worker thread with the whole verified file; may take tens of milliseconds.
// An exception is recorded as the file's error; the file is stored all the same.
using Analyzer = std::function<Analysis(codecs::ByteView bytes, const FileContext& ctx)>;

// Called after the index row committed (on a file worker thread): the File Summary packets are
// derived from here. It throws when what it makes could not be committed: the file is then not
// marked processed, the device's FILE_RESULT is STORE_FAILED, and the hook runs again for the
// same file (the device's next FILE_BEGIN, the next start, the maintenance), so it must accept
// being called more than once for one file.
using StoredHook = std::function<void(const store::FileRecord& file, codecs::ByteView bytes)>;

// The analysis without a parser: the kind FILE_BEGIN announced, error "not parsed", and
// a neutral name `<serial>_<YYYYMMDD>_<HHMMSS>.DDD` from the download time (UTC).
Analysis notParsed(codecs::ByteView bytes, const FileContext& ctx);

}  // namespace dcgw::files
