// The file store's disk: the content-addressed files (`<dir>/ab/abcd...`, named by SHA-256,
// written to a temporary file, fsync'd, renamed, the directory fsync'd) and the spool of
// uploads in progress (`<spool>/<hex serial>-<upload id>.part`). Blocking I/O: call it from
// the file workers, never from the uplink's event thread. Errors throw std::system_error
// naming the path.
#pragma once

#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"

namespace dcgw::files {

class FileStore {
 public:
  // Creates both directories (mode 0700) when missing. Throws std::system_error.
  FileStore(std::string dir, std::string spoolDir);

  const std::string& dir() const { return dir_; }
  const std::string& spoolDir() const { return spool_; }

  // Where the content of this digest (64 lower-case hex digits) is, whether or not it exists.
  std::string contentPath(const std::string& sha256) const;
  bool has(const std::string& sha256) const;
  // Puts `bytes` in place as the content of `sha256`, durably, unless it is there already.
  void put(const std::string& sha256, codecs::ByteView bytes);
  // The content of `sha256`. Throws std::system_error (missing, unreadable).
  codecs::Bytes read(const std::string& sha256) const;
  // Removes the content (gone already: nothing to do).
  void remove(const std::string& sha256);

  std::string spoolPath(const std::string& serial, std::uint32_t uploadId) const;

 private:
  std::string dir_;
  std::string spool_;
};

// One upload's bytes in the spool, open for writing. Move-only.
class SpoolFile {
 public:
  SpoolFile() = default;
  // Opens (creating; `truncate`: emptied) the file. Throws std::system_error.
  SpoolFile(const std::string& path, bool truncate);
  ~SpoolFile();
  SpoolFile(SpoolFile&& o) noexcept;
  SpoolFile& operator=(SpoolFile&& o) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  bool isOpen() const { return fd_ >= 0; }
  std::uint64_t size() const;
  void write(std::uint64_t offset, codecs::ByteView bytes);
  void sync();  // fdatasync: the bytes written and the size are durable
  void truncate(std::uint64_t size);
  codecs::Bytes readAll() const;
  void close();

 private:
  std::string path_;
  int fd_{-1};
};

// fsync of a directory: a rename, a creation or an unlink in it is durable after.
void syncDirectory(const std::string& dir);
// The mtime of a file in milliseconds since the epoch, 0 when it does not exist.
std::int64_t modifiedAtMs(const std::string& path);

}  // namespace dcgw::files
