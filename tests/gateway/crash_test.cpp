// kill -9 of a gateway process mid-stream loses no acknowledged packet (issue #4): a child
// `dcgw ingest` is fed packets, acknowledges them once committed, and is killed at random.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace {

std::string packetHex(unsigned n) {
  char buf[32];
  // Tracking suppression (seed 004 section 12.2) whose DateTime is the line number.
  std::snprintf(buf, sizeof buf, "4702%08x01", n);
  return buf;
}

TEST(Crash, KillNineLosesNoAcknowledgedPacket) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dcgw-crash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string db = (dir / "dcgw.db").string();
  const std::string cfg = (dir / "dcgw.json").string();
  std::ofstream(cfg)
      << R"({"destinations":[{"name":"d","method":"rest","host":"http://127.0.0.1:9/"}],
    "locations":[{"name":"Depot","destinations":["d"]}],
    "devices":[{"serial":"12345678","location":"Depot"}]})";
  std::mt19937 rng(std::random_device{}());
  std::set<unsigned> acked;
  for (int round = 0; round < 3; ++round) {
    int in[2], out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]), close(out[0]);
      execl(DCGW_BINARY, DCGW_BINARY, "ingest", "--db", db.c_str(), "--config", cfg.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]), close(out[1]);
    signal(SIGPIPE, SIG_IGN);
    const unsigned first = 1 + static_cast<unsigned>(round) * 100000;
    std::thread writer([&, first] {
      for (unsigned n = first; n < first + 50000; ++n) {
        std::string line = "12345678 " + packetHex(n) + "\n";
        if (write(in[1], line.data(), line.size()) <= 0) break;
      }
      close(in[1]);
    });
    const unsigned killAfter = 500 + rng() % 3000;
    FILE* acks = fdopen(out[0], "r");
    char line[128];
    unsigned count = 0;
    bool killed = false;
    while (std::fgets(line, sizeof line, acks)) {
      unsigned n = 0;
      if (std::sscanf(line, "ack %u", &n) == 1) {
        acked.insert(first + n - 1);  // line n carried packet first + n - 1
        if (++count == killAfter) {
          kill(pid, SIGKILL);
          killed = true;
        }
      }
    }
    fclose(acks);
    writer.join();
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(killed) << "the child finished before it could be killed";
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  // Every acknowledged packet is in the database, once.
  dcgw::store::SqliteStore store(db);
  dcgw::store::sqlite::Stmt s = store.db().prepare("SELECT data FROM packets");
  std::multiset<unsigned> stored;
  while (s.step()) {
    auto b = s.blob(0);
    ASSERT_EQ(b.size(), 7u);
    stored.insert(static_cast<unsigned>(b[2]) << 24 | b[3] << 16 | b[4] << 8 | b[5]);
  }
  for (unsigned n : acked) {
    ASSERT_EQ(stored.count(n), 1u) << "acknowledged packet " << n << " is missing";
  }
  EXPECT_GE(acked.size(), 1500u);
  fs::remove_all(dir);
}

}  // namespace
