// The file store's disk operations, with the fsyncs that make "stored" mean stored.
#include "gateway/files/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

namespace dcgw::files {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

void makeDirectory(const std::string& dir) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) == 0) {
      const auto slash = partial.rfind('/');
      syncDirectory(slash == std::string::npos ? "." : slash == 0 ? "/" : partial.substr(0, slash));
    } else if (errno != EEXIST) {
      fail("cannot create the directory", partial);
    }
  }
}

codecs::Bytes readWhole(int fd, std::uint64_t size, const std::string& path) {
  codecs::Bytes out(size);
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot read", path);
    done += static_cast<std::size_t>(n);
  }
  return out;
}

}  // namespace

void syncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open the directory", dir);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) fail("cannot fsync the directory", dir);
}

std::int64_t modifiedAtMs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

FileStore::FileStore(std::string dir, std::string spoolDir)
    : dir_(std::move(dir)), spool_(std::move(spoolDir)) {
  makeDirectory(dir_);
  makeDirectory(spool_);
}

std::string FileStore::contentPath(const std::string& sha256) const {
  return dir_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

bool FileStore::has(const std::string& sha256) const {
  struct stat st {};
  return ::stat(contentPath(sha256).c_str(), &st) == 0;
}

void FileStore::put(const std::string& sha256, codecs::ByteView bytes) {
  if (has(sha256)) return;
  const std::string sub = dir_ + "/" + sha256.substr(0, 2);
  makeDirectory(sub);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string tmp = sub + "/.tmp-" + std::to_string(rng());
  {
    SpoolFile f(tmp, true);
    f.write(0, bytes);
    f.sync();
  }
  if (::rename(tmp.c_str(), contentPath(sha256).c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail("cannot rename into", contentPath(sha256));
  }
  syncDirectory(sub);
}

codecs::Bytes FileStore::read(const std::string& sha256) const {
  const std::string path = contentPath(sha256);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("cannot stat", path);
  }
  try {
    codecs::Bytes out = readWhole(fd, static_cast<std::uint64_t>(st.st_size), path);
    ::close(fd);
    return out;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void FileStore::remove(const std::string& sha256) {
  if (::unlink(contentPath(sha256).c_str()) != 0) {
    if (errno == ENOENT) return;
    fail("cannot remove", contentPath(sha256));
  }
  syncDirectory(dir_ + "/" + sha256.substr(0, 2));
}

std::string FileStore::spoolPath(const std::string& serial, std::uint32_t uploadId) const {
  // Hex: a serial is any printable ASCII, a '/' included.
  return spool_ + "/" +
         codecs::toHex(codecs::ByteView(reinterpret_cast<const std::uint8_t*>(serial.data()),
                                        serial.size())) +
         "-" + std::to_string(uploadId) + ".part";
}

SpoolFile::SpoolFile(const std::string& path, bool truncate) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
  if (fd_ < 0) fail("cannot open", path);
}

SpoolFile::~SpoolFile() {
  close();
}

SpoolFile::SpoolFile(SpoolFile&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) {
  o.fd_ = -1;
}

SpoolFile& SpoolFile::operator=(SpoolFile&& o) noexcept {
  if (this != &o) {
    close();
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void SpoolFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::uint64_t SpoolFile::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat", path_);
  return static_cast<std::uint64_t>(st.st_size);
}

void SpoolFile::write(std::uint64_t offset, codecs::ByteView bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path_);
    }
    done += static_cast<std::size_t>(n);
  }
}

void SpoolFile::sync() {
  if (::fdatasync(fd_) != 0) fail("cannot fsync", path_);
}

void SpoolFile::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("cannot truncate", path_);
}

codecs::Bytes SpoolFile::readAll() const {
  return readWhole(fd_, size(), path_);
}

}  // namespace dcgw::files
