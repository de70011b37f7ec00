// `dcgw backup` copies a (possibly running) gateway's store with SQLite's online backup API;
// `dcgw restore` checks a backup and puts it in place of a stopped gateway's store. With
// --with-files the tachograph file store travels beside the backup as FILE.files/.
#include "gateway/cli/backup_command.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>

#include "gateway/config/config_file.hpp"
#include "gateway/store/sqlite/backup.hpp"

namespace dcgw::cli {
namespace {

namespace fs = std::filesystem;
using store::sqlite::CopyReport;

struct Args {
  std::string db = "dcgw.db";
  std::string config = "etc/dcgw.json";
  bool withFiles{false};
  std::string file;
};

// Parses [--db PATH] [--config FILE] [--with-files] FILE; nullopt after printing the error.
std::optional<Args> parse(const std::string& cmd, const std::vector<std::string>& args,
                          std::ostream& err) {
  Args a;
  const std::string usage = "usage: dcgw " + cmd + " [--db PATH] [--with-files [--config FILE]] " +
                            (cmd == "backup" ? "FILE" : "BACKUP") + "\n";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& o = args[i];
    if (o == "--help" || o == "-h") {
      err << usage;
      return std::nullopt;
    }
    if (o == "--with-files") {
      a.withFiles = true;
    } else if (o == "--db" || o == "--config") {
      if (i + 1 >= args.size()) {
        err << "dcgw " << cmd << ": option " << o << " needs a value\n" << usage;
        return std::nullopt;
      }
      (o == "--db" ? a.db : a.config) = args[++i];
    } else if (o.rfind("--", 0) == 0) {
      err << "dcgw " << cmd << ": unknown option '" << o << "'\n" << usage;
      return std::nullopt;
    } else if (a.file.empty()) {
      a.file = o;
    } else {
      err << "dcgw " << cmd << ": one file only ('" << a.file << "' and '" << o << "')\n" << usage;
      return std::nullopt;
    }
  }
  if (a.file.empty()) {
    err << "dcgw " << cmd << ": which file? " << usage;
    return std::nullopt;
  }
  return a;
}

// The tachograph file store of the configuration: files.dir, or `files` beside the database as
// `dcgw serve` places it; nullopt (and the error printed) when the configuration is wrong.
std::optional<std::string> filesDir(const Args& a, const std::string& cmd, std::ostream& err) {
  auto files = config::filesOptions(a.config);
  if (!files) {
    err << "dcgw " << cmd << ": " << a.config << ": " << config::errorText(files.error()) << '\n';
    return std::nullopt;
  }
  if (*files && !(*files)->dir.empty()) return (*files)->dir;
  const auto slash = a.db.rfind('/');
  return (slash == std::string::npos ? std::string(".") : a.db.substr(0, slash)) + "/files";
}

// Copies the files of `from` missing in `to` (content-addressed files never change once
// written, so what is there already is kept); returns how many were copied.
std::uintmax_t copyMissingFiles(const fs::path& from, const fs::path& to) {
  std::uintmax_t copied = 0;
  fs::create_directories(to);
  fs::permissions(to, fs::perms::owner_all, fs::perm_options::replace);
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    const fs::path target = to / fs::relative(e.path(), from);
    if (e.is_directory()) {
      fs::create_directories(target);
    } else if (e.is_regular_file() && !fs::exists(target)) {
      fs::copy_file(e.path(), target);
      ++copied;
    }
  }
  return copied;
}

void printCopy(std::ostream& out, const CopyReport& r) {
  out << r.pages << " pages of " << r.pageSize << " bytes (" << r.bytes
      << " bytes), schema version " << r.schemaVersion << ", " << r.packets << " packets";
}

}  // namespace

int runBackup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto a = parse("backup", args, err);
  if (!a) return 2;
  std::optional<std::string> files;
  if (a->withFiles && !(files = filesDir(*a, "backup", err))) return 1;
  try {
    const CopyReport r = store::sqlite::backupDatabase(a->db, a->file);
    out << "dcgw backup: " << a->db << " -> " << a->file << ": ";
    printCopy(out, r);
    out << '\n';
  } catch (const store::StoreError& e) {
    err << "dcgw backup: " << e.what() << '\n';
    return 1;
  }
  if (files) {
    // After the database: every file its index names was written before its row committed, so
    // the copy holds at least the files the backup refers to.
    const fs::path to = a->file + ".files";
    std::error_code ec;
    if (!fs::is_directory(*files, ec)) {
      out << "dcgw backup: no file store at " << *files << " (nothing uploaded yet)\n";
      return 0;
    }
    try {
      const auto n = copyMissingFiles(*files, to);
      out << "dcgw backup: files " << *files << " -> " << to.string() << ": " << n
          << " files copied\n";
    } catch (const fs::filesystem_error& e) {
      err << "dcgw backup: copying the file store " << *files << ": " << e.what() << '\n';
      return 1;
    }
  }
  return 0;
}

int runRestore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto a = parse("restore", args, err);
  if (!a) return 2;
  std::optional<std::string> files;
  if (a->withFiles && !(files = filesDir(*a, "restore", err))) return 1;
  try {
    auto r = store::sqlite::restoreDatabase(a->file, a->db);
    if (!r) {
      err << "dcgw restore: refused: " << r.error().message << '\n';
      return 1;
    }
    out << "dcgw restore: " << a->file << " -> " << a->db << ": ";
    printCopy(out, r->copied);
    out << "; " << a->db << "-wal and -shm of the old database removed\n";
  } catch (const store::StoreError& e) {
    err << "dcgw restore: " << e.what() << '\n';
    return 1;
  }
  if (files) {
    const fs::path from = a->file + ".files";
    std::error_code ec;
    if (!fs::is_directory(from, ec)) {
      err << "dcgw restore: --with-files: no " << from.string() << " beside the backup\n";
      return 1;
    }
    try {
      const auto n = copyMissingFiles(from, *files);
      out << "dcgw restore: files " << from.string() << " -> " << *files << ": " << n
          << " files copied\n";
    } catch (const fs::filesystem_error& e) {
      err << "dcgw restore: copying the file store into " << *files << ": " << e.what() << '\n';
      return 1;
    }
  }
  return 0;
}

}  // namespace dcgw::cli
