// The tachograph side of stored files: the analysis (codecs/ddd parse, the name by the location's
// convention and time zone) before a file's index row, and after it the packets the gateway makes
// from it (New Driver, File Summary) and the download compliance record (schema/files.md).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "gateway/common/time_zone.hpp"
#include "gateway/files/analyzer.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::ingest {
class Ingestor;
}

namespace dcgw::files {

class TachoFiles {
 public:
  // `ingestor` null: no packets are made (tools that only store and name files).
  TachoFiles(store::Backend& store, ingest::Ingestor* ingestor)
      : store_(store), ingestor_(ingestor) {}

  // The Analyzer of the file channel. Thread-safe.
  Analysis analyze(codecs::ByteView bytes, const FileContext& ctx);
  // The StoredHook: New Driver (a driver card's holder first seen), then the File Summary packet,
  // both through the Ingestor and committed before it returns (so the device's FILE_RESULT comes
  // after them), then the DownloadLog. Throws when any of them could not be stored (the file
  // channel then leaves the file unprocessed and does it again). Thread-safe.
  void stored(const store::FileRecord& file, codecs::ByteView bytes);

 private:
  common::TimeZone zone(const std::string& name);

  store::Backend& store_;
  ingest::Ingestor* ingestor_;
  std::mutex mu_;
  std::map<std::string, common::TimeZone> zones_;  // guarded by mu_
};

}  // namespace dcgw::files
