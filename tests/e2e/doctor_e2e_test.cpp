// End to end, real processes on loopback: `dcgw doctor --json` on a good installation (a
// `dcgw receive` as the destination, `dcgw serve` running and stopped) says ok; a destination
// on a closed port, a host under .invalid, an https destination that speaks plain HTTP, an
// expired or soon expiring certificate (made by openssl) and a corrupt store each come out as
// the check that names them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "codecs/json.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace e2e = dcgw::testing::e2e;
using dcgw::testing::Process;

struct Found {
  std::string status, detail, hint;
};

struct Doctor {
  int exit{-1};
  bool ok{false};
  std::map<std::string, Found> checks;
  std::string text;
};

Doctor runDoctor(const fs::path& dir, const std::vector<std::string>& extra,
                 const std::string& name) {
  std::vector<std::string> args{DCGW_BINARY, "doctor",        "--json", "--timeout-ms",
                                "3000",      "--min-free-mb", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  Process p(args, dir / (name + ".out"), dir / (name + ".err"));
  Doctor d;
  d.exit = p.wait();
  std::ifstream f(dir / (name + ".out"));
  std::stringstream ss;
  ss << f.rdbuf();
  d.text = ss.str();
  auto j = dcgw::codecs::parseJson(d.text);
  EXPECT_TRUE(j.ok()) << d.text;
  if (!j.ok()) return d;
  d.ok = j->find("ok")->asBool();
  for (const auto& c : j->find("checks")->asArray())
    d.checks[c.find("name")->asString()] = {
        c.find("status")->asString(), c.find("detail")->asString(), c.find("hint")->asString()};
  return d;
}

// A port nothing listens on (bound, read, released).
std::uint16_t freePort() {
  const int fd = dcgw::testing::bindLoopback(SOCK_STREAM);
  const std::uint16_t port = dcgw::testing::boundPort(fd);
  ::close(fd);
  return port;
}

std::string statusOf(const Doctor& d, const std::string& check) {
  auto it = d.checks.find(check);
  return it == d.checks.end() ? "(no such check)" : it->second.status;
}

TEST(EndToEnd, DoctorSaysOkForAGoodInstallationRunningOrNot) {
  const fs::path dir = e2e::freshDir("e2e-doctor-good");
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  const std::uint16_t uplink = freePort(), admin = freePort();
  std::ofstream(dir / "dcgw.json") << R"({
  "uplink": {"bind": "127.0.0.1", "port": )"
                                   << uplink << R"(},
  "admin": {"bind": "127.0.0.1", "port": )"
                                   << admin << R"(},
  "destinations": [{"name": "rest", "method": "rest", "host": ")"
                                   << rest.url() << R"("}],
  "locations": [{"name": "Depot", "destinations": ["rest"]}],
  "devices": [{"serial": "50000001", "location": "Depot", "key": ")"
                                   << e2e::kKey << R"("}]
})";
  const std::string db = (dir / "dcgw.db").string();
  const std::vector<std::string> args{"--db", db, "--config", (dir / "dcgw.json").string()};

  // Before the first start: no store yet (a warning), the rest ok.
  Doctor fresh = runDoctor(dir, args, "fresh");
  EXPECT_EQ(fresh.exit, 0) << fresh.text;
  EXPECT_TRUE(fresh.ok);
  EXPECT_EQ(statusOf(fresh, "store"), "warn") << fresh.text;
  EXPECT_EQ(statusOf(fresh, "config"), "ok") << fresh.text;
  EXPECT_EQ(statusOf(fresh, "destination.rest"), "ok") << fresh.text;

  Process serve({DCGW_BINARY, "serve", "--db", db, "--config", (dir / "dcgw.json").string(),
                 "--stats-seconds", "0"},
                dir / "serve.out", dir / "serve.err");
  ASSERT_FALSE(serve.awaitStderr(R"(admin API on http://[0-9.]+:(\d+))").empty());
  Doctor running = runDoctor(dir, args, "running");
  EXPECT_EQ(running.exit, 0) << running.text;
  EXPECT_TRUE(running.ok) << running.text;
  for (const char* check : {"config", "store.integrity", "store.schema", "store.wal", "store.room",
                            "store.disk", "port.uplink", "port.admin", "destination.rest"})
    EXPECT_EQ(statusOf(running, check), "ok") << check << ": " << running.text;
  EXPECT_NE(running.checks["port.uplink"].detail.find("running dcgw"), std::string::npos)
      << running.checks["port.uplink"].detail;
  EXPECT_NE(running.checks["destination.rest"].detail.find("connected"), std::string::npos);
  EXPECT_EQ(serve.stop(), 0);

  Doctor stopped = runDoctor(dir, args, "stopped");
  EXPECT_EQ(stopped.exit, 0) << stopped.text;
  EXPECT_EQ(statusOf(stopped, "port.uplink"), "ok") << stopped.text;
  EXPECT_NE(stopped.checks["port.uplink"].detail.find("free"), std::string::npos);

  // For people: one line per check, status first.
  Process text({DCGW_BINARY, "doctor", "--db", db, "--config", (dir / "dcgw.json").string(),
                "--min-free-mb", "0"},
               dir / "text.out", dir / "text.err");
  EXPECT_EQ(text.wait(), 0);
  const auto lines = text.stdoutLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].rfind("ok     config", 0), 0u) << lines[0];
  rest.process->stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

TEST(EndToEnd, DoctorNamesEachProblemWithWhatToDo) {
  const fs::path dir = e2e::freshDir("e2e-doctor-problems");
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  // An expired certificate for the uplink, one expiring in ten days for the admin API.
  const std::string ca = (dir / "ca").string();
  fs::create_directories(ca);
  std::ofstream(ca + "/ca.cnf") << "[ca]\ndefault_ca = d\n[d]\ndatabase = " << ca
                                << "/index.txt\nnew_certs_dir = " << ca << "\nserial = " << ca
                                << "/serial\ndefault_md = sha256\npolicy = p\n[p]\n"
                                   "commonName = supplied\n";
  std::ofstream(ca + "/index.txt");
  std::ofstream(ca + "/serial") << "01\n";
  const std::string quiet = " >/dev/null 2>&1";
  ASSERT_EQ(std::system(("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-keyout " +
                         ca + "/old.key -out " + ca + "/old.csr -subj /CN=localhost" + quiet)
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("openssl ca -batch -config " + ca + "/ca.cnf -selfsign -keyfile " + ca +
                         "/old.key -in " + ca + "/old.csr -out " + ca +
                         "/old.pem -startdate 20200101000000Z -enddate 20200201000000Z" + quiet)
                            .c_str()),
            0);
  ASSERT_EQ(
      std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout " +
                   ca + "/soon.key -out " + ca + "/soon.pem -subj /CN=localhost -days 10" + quiet)
                      .c_str()),
      0);
  const std::uint16_t closed = freePort();
  std::ofstream(dir / "dcgw.json")
      << R"({
  "uplink": {"bind": "127.0.0.1", "port": 0,
             "tls": {"certificateFile": ")"
      << ca << R"(/old.pem", "privateKeyFile": ")" << ca << R"(/old.key"}},
  "admin": {"bind": "127.0.0.1", "port": 0,
            "tls": {"certificateFile": ")"
      << ca << R"(/soon.pem", "privateKeyFile": ")" << ca << R"(/soon.key"}},
  "destinations": [
    {"name": "up", "method": "rest", "host": ")"
      << rest.url() << R"("},
    {"name": "closed", "method": "rest", "host": "http://127.0.0.1:)"
      << closed << R"(/api"},
    {"name": "nowhere", "method": "xml-tcp", "host": "dcgw-doctor-test.invalid", "port": 9000},
    {"name": "plain", "method": "rest", "host": "https://127.0.0.1:)"
      << rest.port << R"(/api/datapacket"}
  ],
  "locations": [{"name": "Depot", "destinations": ["up", "closed", "nowhere", "plain"]}]
})";
  // A store file that is not a database.
  const std::string db = (dir / "dcgw.db").string();
  std::ofstream(db) << std::string(16384, '\x5a');

  Doctor d = runDoctor(dir, {"--db", db, "--config", (dir / "dcgw.json").string()}, "problems");
  EXPECT_EQ(d.exit, 1) << d.text;
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(statusOf(d, "config"), "ok") << d.text;
  EXPECT_EQ(statusOf(d, "store"), "error") << d.text;
  EXPECT_EQ(statusOf(d, "destination.up"), "ok") << d.text;
  EXPECT_EQ(statusOf(d, "destination.closed"), "error") << d.text;
  EXPECT_NE(d.checks["destination.closed"].detail.find("cannot connect"), std::string::npos);
  EXPECT_EQ(statusOf(d, "destination.nowhere"), "error") << d.text;
  EXPECT_NE(d.checks["destination.nowhere"].detail.find("cannot resolve"), std::string::npos);
  EXPECT_EQ(statusOf(d, "destination.plain"), "error") << d.text;
  EXPECT_NE(d.checks["destination.plain"].detail.find("TLS"), std::string::npos);
  EXPECT_EQ(statusOf(d, "certificate.uplink"), "error") << d.text;
  EXPECT_NE(d.checks["certificate.uplink"].detail.find("expired"), std::string::npos);
  EXPECT_EQ(statusOf(d, "certificate.admin"), "warn") << d.text;
  EXPECT_NE(d.checks["certificate.admin"].detail.find("expires in"), std::string::npos);
  for (const auto& [name, c] : d.checks)
    if (c.status != "ok") {
      EXPECT_FALSE(c.hint.empty()) << name << " says no remedy";
    }

  // A store whose pages are damaged past its header: the integrity check finds it.
  {
    dcgw::store::SqliteStore s(db + ".2");
    e2e::seedOneDevice(s, rest.url(), "50000002", "DOC 2");
  }
  {
    std::fstream f(db + ".2", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    const std::string garbage(4096 * 4, '\xa5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Doctor damaged =
      runDoctor(dir, {"--db", db + ".2", "--config", (dir / "dcgw.json").string()}, "damaged");
  EXPECT_EQ(damaged.exit, 1) << damaged.text;
  const bool found =
      statusOf(damaged, "store.integrity") == "error" || statusOf(damaged, "store") == "error";
  EXPECT_TRUE(found) << damaged.text;
  rest.process->stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
