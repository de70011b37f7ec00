// `dcgw export [--db PATH] FILE` writes the SQLite store's tables to FILE (a temporary file
// beside it, fsynced, renamed; 0600: it holds device keys); `dcgw import --store URL FILE`
// loads such a file into an empty PostgreSQL database. Each prints the rows per table.
#include "gateway/cli/transfer_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "gateway/store/open_backend.hpp"
#include "gateway/store/postgres/import.hpp"
#include "gateway/store/sqlite/export.hpp"

namespace dcgw::cli {
namespace {

void report(std::ostream& out, const store::transfer::Summary& s) {
  std::int64_t total = 0;
  for (const auto& [table, n] : s.rows) {
    out << table << ": " << n << '\n';
    total += n;
  }
  out << "rows: " << total << '\n';
}

}  // namespace

int runExport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string db = "dcgw.db", file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db" && i + 1 < args.size()) {
      db = args[++i];
    } else if (args[i].rfind("--", 0) != 0 && file.empty()) {
      file = args[i];
    } else {
      err << "usage: dcgw export [--db PATH] FILE\n";
      return 2;
    }
  }
  if (file.empty()) {
    err << "usage: dcgw export [--db PATH] FILE\n";
    return 2;
  }
  if (store::isPostgresUrl(db)) {
    err << "dcgw export: --db names a SQLite file; a PostgreSQL store is exported with "
           "pg_dump\n";
    return 2;
  }
  if (!std::filesystem::exists(db)) {
    err << "dcgw export: " << db << ": no such database\n";
    return 1;
  }
  // A name of its own beside FILE (0600: it holds device keys), renamed over FILE once whole:
  // no other file is overwritten on the way, and two exports do not share one.
  std::string tmp = file + ".XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    err << "dcgw export: " << tmp << ": " << std::strerror(errno) << '\n';
    return 1;
  }
  ::close(fd);
  store::transfer::Summary summary;
  try {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    summary = store::sqlite::exportStore(db, f);
    f.flush();
    if (!f) throw std::runtime_error("cannot write " + tmp + " (disk full?)");
  } catch (const std::exception& e) {
    std::filesystem::remove(tmp);
    err << "dcgw export: " << db << ": " << e.what() << '\n';
    return 1;
  }
  const int sync = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (sync >= 0) {
    ::fsync(sync);
    ::close(sync);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    err << "dcgw export: " << file << ": " << std::strerror(errno) << '\n';
    std::filesystem::remove(tmp);
    return 1;
  }
  report(out, summary);
  err << "dcgw export: " << db << " (" << summary.source << ") written to " << file
      << " (it holds device keys: keep it private)\n";
  return 0;
}

int runImport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string url, file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--store" && i + 1 < args.size()) {
      url = args[++i];
    } else if (args[i].rfind("--", 0) != 0 && file.empty()) {
      file = args[i];
    } else {
      err << "usage: dcgw import --store postgresql://... FILE\n";
      return 2;
    }
  }
  if (file.empty() || !store::isPostgresUrl(url)) {
    err << "usage: dcgw import --store postgresql://... FILE\n";
    return 2;
  }
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    err << "dcgw import: " << file << ": cannot read it\n";
    return 1;
  }
  const std::string shown = store::displayLocation(url);
  try {
    const auto summary = store::postgres::importStore(url, f);
    report(out, summary);
    err << "dcgw import: " << file << " (" << summary.source << ") loaded into " << shown << '\n';
  } catch (const store::StoreError& e) {
    err << "dcgw import: " << shown << ": " << e.what() << "; nothing was imported\n";
    return 1;
  }
  return 0;
}

}  // namespace dcgw::cli
