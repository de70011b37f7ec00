// Test helper: a PostgreSQL server of Debian's postgresql package started for the tests or a
// benchmark (initdb into a temp folder, as the system user dcgw-test when run as root since
// initdb refuses root; listening only on a Unix socket in that folder; fsync on), stopped and
// removed when destroyed. As root it also mounts a small tmpfs for a tablespace a test can fill.
#pragma once

#include <pwd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace dcgw::testing {

inline constexpr const char* kUser =
    "dcgw-test";  // the server's OS user when the tests run as root

inline std::string shellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The newest /usr/lib/postgresql/N/bin with initdb (DCGW_PG_BINDIR overrides it).
inline std::string binDir() {
  if (const char* d = std::getenv("DCGW_PG_BINDIR")) return d;
  std::string best;
  int bestVersion = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const int v = std::atoi(e.path().filename().c_str());
    if (v > bestVersion && std::filesystem::exists(e.path() / "bin" / "initdb")) {
      bestVersion = v;
      best = (e.path() / "bin").string();
    }
  }
  if (best.empty())
    throw std::runtime_error(
        "no PostgreSQL server found under /usr/lib/postgresql (install Debian's postgresql "
        "package: ./dev.sh test does)");
  return best;
}

class Server {
 public:
  Server() : bin_(binDir()) {
    char tmpl[] = "/tmp/dcgw-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (::geteuid() == 0) {
      // initdb refuses root: the server runs as a system user of its own.
      run("id -u " + std::string(kUser) + " >/dev/null 2>&1 || useradd --system --no-create-home " +
          "--shell /usr/sbin/nologin " + kUser);
      const passwd* pw = ::getpwnam(kUser);
      if (!pw) throw std::runtime_error(std::string("no user ") + kUser);
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("chown " + dir_ + " failed");
      as_ = "runuser -u " + std::string(kUser) + " -- ";
      const std::string ts = dir_ + "/ts";
      std::filesystem::create_directory(ts);
      const std::string options = "size=64m,mode=0700,uid=" + std::to_string(pw->pw_uid) +
                                  ",gid=" + std::to_string(pw->pw_gid);
      if (::mount("tmpfs", ts.c_str(), "tmpfs", 0, options.c_str()) == 0) tmpfs_ = ts;
    }
    run(as_ + shellQuoted(bin_ + "/initdb") + " -D " + shellQuoted(dir_ + "/data") +
        " -U dcgw -A trust -E UTF8 --no-locale -N > " + shellQuoted(dir_ + "/initdb.log") +
        " 2>&1");
    run(as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") + " -l " +
        shellQuoted(dir_ + "/server.log") + " -w -o " +
        shellQuoted("-c listen_addresses='' -k " + dir_ + " -c max_connections=60") + " start" +
        " > /dev/null");
    started_ = true;
    if (!tmpfs_.empty()) sql("CREATE TABLESPACE small LOCATION " + quotedLiteral(tmpfs_));
  }

  ~Server() {
    if (started_)
      std::system((as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") +
                   " -m immediate stop > /dev/null 2>&1")
                      .c_str());
    if (!tmpfs_.empty()) ::umount2(tmpfs_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs SQL on the server's postgres database as its superuser (psql, not the store).
  void sql(const std::string& statement) {
    run("PGOPTIONS='-c client_min_messages=warning' " + shellQuoted(bin_ + "/psql") +
        " -X -q -v ON_ERROR_STOP=1 -h " + shellQuoted(dir_) + " -U dcgw -d postgres -c " +
        shellQuoted(statement) + " > /dev/null");
  }

  std::string url(const std::string& database) const {
    return "postgresql:///" + database + "?host=" + dir_ + "&user=dcgw";
  }
  bool canFillDisk() const { return !tmpfs_.empty(); }
  // Stops the server (fast: every connection is closed) and starts it again.
  void restart() {
    run(as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") +
        " -m fast -w restart" + " > /dev/null");
  }
  const std::string& tmpfs() const { return tmpfs_; }

 private:
  static std::string quotedLiteral(const std::string& s) { return "'" + s + "'"; }
  static void run(const std::string& command) {
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("failed (see its log in the temp folder): " + command);
  }

  std::string bin_, dir_, as_, tmpfs_;
  bool started_{false};
};

}  // namespace dcgw::testing
