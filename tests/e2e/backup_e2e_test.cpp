// End to end, real processes on loopback: `dcgw backup` of a store while `dcgw simulate`'s
// trackers keep sending to `dcgw serve`, then `dcgw restore`: every packet acknowledged before
// the backup began is in the restored store; a restore is refused while serve runs on its target.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "codecs/json.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace e2e = dcgw::testing::e2e;
using namespace std::chrono_literals;
using dcgw::testing::Process;
using Packets = std::multiset<std::pair<std::string, std::string>>;  // (serial, hex)

// The acknowledged packets of the simulator's log so far: whole lines only (the last one may be
// half written).
Packets acknowledged(const fs::path& log) {
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  Packets out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string serial, seq, hex, mark;
    l >> serial >> seq >> hex >> mark;
    if (mark != "rejected") out.insert({serial, hex});
  }
  return out;
}

Packets storedPackets(const std::string& db) {
  Packets out;
  dcgw::store::SqliteStore store(db);
  auto s = store.db().prepare("SELECT serial, lower(hex(data)) FROM packets");
  while (s.step()) out.insert({s.text(0), s.text(1)});
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

TEST(EndToEnd, ABackupTakenUnderLoadHoldsEveryPacketAcknowledgedBeforeItAndRestores) {
  const fs::path dir = e2e::freshDir("e2e-backup");
  const std::string bin = DCGW_BINARY;
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  {
    std::ofstream cfg(dir / "dcgw.json");
    cfg << R"({"destinations": [{"name": "rest", "method": "rest", "host": ")" << rest.url()
        << R"("}], "locations": [{"name": "Depot", "destinations": ["rest"]}], "devices": [)";
    for (int i = 1; i <= 4; ++i)
      cfg << (i > 1 ? "," : "") << R"({"serial": "4000000)" << i
          << R"(", "location": "Depot", "key": ")" << e2e::kKey << R"("})";
    cfg << "]}";
  }
  const std::string db = (dir / "dcgw.db").string();
  auto gateway = e2e::startServe(dir, db, dir / "dcgw.json");
  ASSERT_FALSE(gateway.uplinkPort.empty());

  const fs::path log = dir / "simulate.log";
  Process sim({bin, "simulate", "--port", gateway.uplinkPort, "--devices", "4", "--first-serial",
               "40000001", "--key", e2e::kKey, "--rate", "2000", "--duration", "15", "--window",
               "32", "--log", log.string(), "--json"},
              dir / "simulate.out", dir / "simulate.err");
  // Under way: a good share acknowledged, more to come (the simulator writes its log in 1 MiB
  // blocks: what the file shows was acknowledged at least that early).
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (acknowledged(log).size() < 1500 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  const Packets before = acknowledged(log);
  ASSERT_GE(before.size(), 1500u) << "the trackers did not get going; see " << dir;

  const fs::path backup = dir / "backups" / "dcgw-backup.db";
  fs::create_directories(backup.parent_path());
  Process bak({bin, "backup", "--db", db, backup.string()}, dir / "backup.out", dir / "backup.err");
  ASSERT_EQ(bak.wait(), 0) << slurp(dir / "backup.err");
  const Packets afterBackup = acknowledged(log);
  const std::string said = slurp(dir / "backup.out");
  EXPECT_NE(said.find("packets"), std::string::npos) << said;
  EXPECT_NE(said.find("schema version"), std::string::npos) << said;
  EXPECT_EQ(modeOf(backup), 0600u) << "the backup holds device keys";
  EXPECT_FALSE(fs::exists(backup.string() + "-wal")) << "the backup is one file";

  ASSERT_EQ(sim.wait(), 0) << "dcgw simulate failed; see " << dir;
  const Packets all = acknowledged(log);
  EXPECT_GT(all.size(), afterBackup.size()) << "ingest went on after the backup";

  // Refused while the gateway runs on the target: the message names the lock and the process.
  Process refused({bin, "restore", "--db", db, backup.string()}, dir / "refused.out",
                  dir / "refused.err");
  EXPECT_EQ(refused.wait(), 1);
  const std::string why = slurp(dir / "refused.err");
  EXPECT_NE(why.find(db + ".lock"), std::string::npos) << why;
  EXPECT_NE(why.find("process "), std::string::npos) << why;
  EXPECT_GE(storedPackets(db).size(), all.size()) << "the live store is untouched";

  // Into a fresh path: every packet acknowledged before the backup began is there.
  const fs::path restored = dir / "restored" / "dcgw.db";
  fs::create_directories(restored.parent_path());
  Process put({bin, "restore", "--db", restored.string(), backup.string()}, dir / "restore.out",
              dir / "restore.err");
  ASSERT_EQ(put.wait(), 0) << slurp(dir / "restore.err");
  EXPECT_EQ(modeOf(restored), 0600u);
  const Packets inBackup = storedPackets(restored.string());
  std::size_t missing = 0;
  for (auto it = before.begin(); it != before.end(); it = before.upper_bound(*it))
    if (inBackup.count(*it) < before.count(*it)) ++missing;
  EXPECT_EQ(missing, 0u) << "acknowledged before the backup but not in it";
  EXPECT_LT(inBackup.size(), storedPackets(db).size()) << "the backup is of its moment";

  // A gateway killed mid-stream leaves a write-ahead log; restoring over its store removes it,
  // so the restored store is exactly the backup, not the backup with the old log replayed.
  ASSERT_EQ(gateway.process->stop(SIGKILL), 128 + SIGKILL);
  const bool hadWal = fs::exists(db + "-wal") && fs::file_size(db + "-wal") > 0;
  Process over({bin, "restore", "--db", db, backup.string()}, dir / "over.out", dir / "over.err");
  ASSERT_EQ(over.wait(), 0) << slurp(dir / "over.err");
  EXPECT_EQ(storedPackets(db), inBackup) << (hadWal ? "the old log was replayed" : "");

  // The restored store serves: a gateway starts on it.
  auto again = e2e::startServe(dir, db, dir / "dcgw.json", "serve-again");
  EXPECT_FALSE(again.uplinkPort.empty());
  EXPECT_EQ(again.process->stop(), 0);
  rest.process->stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

TEST(EndToEnd, RestoreRefusesAFileThatIsNotAnIntactStore) {
  const fs::path dir = e2e::freshDir("e2e-restore-refuses");
  const std::string bin = DCGW_BINARY;
  std::ofstream(dir / "junk.db") << std::string(8192, 'x');
  Process junk({bin, "restore", "--db", (dir / "dcgw.db").string(), (dir / "junk.db").string()},
               dir / "junk.out", dir / "junk.err");
  EXPECT_EQ(junk.wait(), 1);
  EXPECT_NE(slurp(dir / "junk.err").find("junk.db"), std::string::npos) << slurp(dir / "junk.err");
  EXPECT_FALSE(fs::exists(dir / "dcgw.db")) << "nothing put in place";

  Process missing({bin, "backup", "--db", (dir / "none.db").string(), (dir / "b.db").string()},
                  dir / "missing.out", dir / "missing.err");
  EXPECT_EQ(missing.wait(), 1);
  EXPECT_NE(slurp(dir / "missing.err").find("none.db"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "b.db"));

  // A backup over the database itself would replace the live file: refused.
  std::ofstream(dir / "self.db") << "";
  Process self({bin, "backup", "--db", (dir / "self.db").string(), (dir / "self.db").string()},
               dir / "self.out", dir / "self.err");
  EXPECT_EQ(self.wait(), 1);
  EXPECT_NE(slurp(dir / "self.err").find("the database itself"), std::string::npos)
      << slurp(dir / "self.err");
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

TEST(EndToEnd, BackupWithFilesCopiesTheFileStoreBesideItAndRestoreBringsItBack) {
  const fs::path dir = e2e::freshDir("e2e-backup-files");
  const std::string bin = DCGW_BINARY;
  const std::string db = (dir / "dcgw.db").string();
  { dcgw::store::SqliteStore s(db); }
  // The file store of "files.dir": content-addressed files in subdirectories.
  fs::create_directories(dir / "files" / "ab");
  std::ofstream(dir / "files" / "ab" / "abcdef.ddd") << "tachograph bytes";
  std::ofstream(dir / "dcgw.json")
      << R"({"files": {"dir": ")" << (dir / "files").string() << R"("}})";
  const std::string backup = (dir / "bk.db").string();
  Process bak(
      {bin, "backup", "--db", db, "--with-files", "--config", (dir / "dcgw.json").string(), backup},
      dir / "backup.out", dir / "backup.err");
  ASSERT_EQ(bak.wait(), 0) << slurp(dir / "backup.err");
  EXPECT_EQ(slurp(backup + ".files/ab/abcdef.ddd"), "tachograph bytes");
  EXPECT_NE(slurp(dir / "backup.out").find("1 files copied"), std::string::npos)
      << slurp(dir / "backup.out");

  // Restored on another machine: the database and, into its files.dir, the files.
  const fs::path other = dir / "other";
  fs::create_directories(other);
  std::ofstream(other / "dcgw.json")
      << R"({"files": {"dir": ")" << (other / "files").string() << R"("}})";
  Process put({bin, "restore", "--db", (other / "dcgw.db").string(), "--with-files", "--config",
               (other / "dcgw.json").string(), backup},
              dir / "restore.out", dir / "restore.err");
  ASSERT_EQ(put.wait(), 0) << slurp(dir / "restore.err");
  EXPECT_EQ(slurp(other / "files" / "ab" / "abcdef.ddd"), "tachograph bytes");
  EXPECT_TRUE(fs::exists(other / "dcgw.db"));
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
