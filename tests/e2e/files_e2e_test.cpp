// End to end, real processes on loopback, as the README's "Tachograph files" runs it: `dcgw
// simulate --upload` stops an upload mid-way, `dcgw serve` restarts, the same command resumes it
// from the acknowledged offset and gets FILE_RESULT OK; then `dcgw files list|show|get` read it
// back through the admin API, byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
using dcgw::testing::Process;

const std::string& kKey = dcgw::testing::e2e::kKey;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run(const fs::path& dir, const std::string& name, const std::vector<std::string>& args) {
  Process p(args, dir / (name + ".out"), dir / (name + ".err"));
  const int status = p.wait();
  return {status, slurp(dir / (name + ".out")), slurp(dir / (name + ".err"))};
}

TEST(FilesEndToEnd, AnUploadStoppedMidwayResumesAfterAGatewayRestartAndReadsBackByteForByte) {
  const fs::path dir = fs::temp_directory_path() / ("dcgw-files-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string bin = DCGW_BINARY, db = (dir / "dcgw.db").string();
  std::ofstream(dir / "dcgw.json") << R"({
  "files": {"windowBytes": 65536},
  "locations": [{"name": "Depot"}],
  "devices": [{"serial": "12345678", "location": "Depot", "registration": "AB12CDE", "key": ")"
                                   << kKey << R"("}]
})";
  std::string file(300000, '\0');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>(i * 31 + (i >> 8));
  std::ofstream(dir / "demo.DDD", std::ios::binary) << file;
  const Outcome token =
      run(dir, "token", {bin, "token", "create", "--role", "admin", "--name", "e2e", "--db", db});
  ASSERT_EQ(token.status, 0) << token.err;
  const std::string secret = token.out.substr(0, token.out.find('\n'));

  auto serve = [&](const std::string& name) {
    return std::make_unique<Process>(
        std::vector<std::string>{bin, "serve", "--db", db, "--config", (dir / "dcgw.json").string(),
                                 "--uplink-port", "0", "--admin-port", "0", "--stats-seconds", "0"},
        dir / (name + ".out"), dir / (name + ".err"));
  };
  auto gateway = serve("serve1");
  std::string uplink = gateway->awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  ASSERT_FALSE(uplink.empty()) << gateway->stderrText();
  EXPECT_NE(gateway->stderrText().find("file upload on, files in " + dir.string() + "/files"),
            std::string::npos)
      << gateway->stderrText();
  const std::vector<std::string> upload{bin,        "simulate",
                                        "--upload", (dir / "demo.DDD").string(),
                                        "--kind",   "vehicle-unit",
                                        "--port",   uplink,
                                        "--key",    kKey};
  std::vector<std::string> first = upload;
  first.insert(first.end(), {"--upload-stop-after", "100000"});
  const Outcome stopped = run(dir, "sim1", first);
  ASSERT_EQ(stopped.status, 3) << stopped.out << stopped.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(stopped.out, m, std::regex(R"(stopped: (\d+) of 300000)")))
      << stopped.out;
  const std::string held = m[1];
  EXPECT_GE(std::stoul(held), 100000u);

  EXPECT_EQ(gateway->stop(), 0);  // a gateway restart between the two halves
  gateway = serve("serve2");
  uplink = gateway->awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  const std::string admin = gateway->awaitStderr(R"(admin API on http://[0-9.]+:(\d+))");
  std::vector<std::string> second = upload;
  second[7] = uplink;
  const Outcome resumed = run(dir, "sim2", second);
  ASSERT_EQ(resumed.status, 0) << resumed.out << resumed.err;
  // The first FILE_ACK answers FILE_BEGIN with the offset held before the restart: at least what
  // was acknowledged (chunks in flight when the connection dropped may have been kept too).
  ASSERT_TRUE(std::regex_search(resumed.out, m, std::regex(R"(FILE_ACK upload \d+: offset (\d+))")))
      << resumed.out;
  EXPECT_GE(std::stoul(m[1]), std::stoul(held));
  EXPECT_LT(std::stoul(m[1]), 300000u);
  ASSERT_TRUE(std::regex_search(resumed.out, m,
                                std::regex(R"(FILE_RESULT upload \d+: OK, file (\d+): stored)")))
      << resumed.out;
  const std::string id = m[1];

  const std::vector<std::string> api{"--url", "http://127.0.0.1:" + admin, "--token", secret};
  auto cli = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), bin);
    args.insert(args.end(), api.begin(), api.end());
    return run(dir, name, args);
  };
  const Outcome list = cli("list", {"files", "list", "--device", "12345678"});
  ASSERT_EQ(list.status, 0) << list.err;
  // Random bytes are stored all the same: no summary, the reason shown, a name of unknown kind
  // (schema/files.md "Names").
  EXPECT_NE(list.out.find("unknown"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("300000"), std::string::npos) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex(R"(U_\d{8}_\d{4}_AB12CDE\.DDD)"))) << list.out;
  const Outcome show = cli("show", {"files", "show", id});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("not a card file: no block with a known tag"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("vehicleUnit"), std::string::npos) << show.out;  // as announced
  EXPECT_NE(show.out.find("AB12CDE"), std::string::npos) << show.out;
  const Outcome get = cli("get", {"files", "get", id, "--out", (dir / "back.DDD").string()});
  ASSERT_EQ(get.status, 0) << get.err;
  EXPECT_NE(get.out.find("wrote 300000 bytes"), std::string::npos) << get.out;
  EXPECT_EQ(slurp(dir / "back.DDD"), file);
  const Outcome missing = cli("missing", {"files", "show", "999"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("no file '999'"), std::string::npos) << missing.err;
  const Outcome unknown = cli("unknown", {"files", "list", "--device", "99999999"});
  EXPECT_NE(unknown.err.find("no device '99999999'"), std::string::npos) << unknown.err;

  EXPECT_EQ(gateway->stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
