// The `files` section of etc/dcgw.json (schema/config.md): on by default, each setting checked
// with an error naming it, the shipped file's values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/config/config_file.hpp"

namespace dcgw::config {
namespace {

class FilesConfig : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(file()); }
  std::string file() const {
    return (std::filesystem::temp_directory_path() /
            ("dcgw-files-config-" + std::to_string(::getpid()) + ".json"))
        .string();
  }
};

TEST_F(FilesConfig, TheFilesSectionIsOnByDefaultAndCheckedSettingBySetting) {
  const std::string etc = std::string(DCGW_SOURCE_DIR) + "/etc/dcgw.json";
  auto shipped = filesOptions(etc);
  ASSERT_TRUE(shipped.ok()) << errorText(shipped.error());
  ASSERT_TRUE(shipped->has_value()) << "the shipped configuration takes file uploads";
  EXPECT_EQ((*shipped)->retentionMs, 3650LL * 86'400'000);
  std::ofstream(file()) << R"({"uplink": {"port": 0}})";
  auto absent = filesOptions(file());
  ASSERT_TRUE(absent.ok());
  ASSERT_TRUE(absent->has_value());
  EXPECT_EQ((*absent)->maxFileBytes, 16u * 1024 * 1024);
  EXPECT_EQ((*absent)->windowBytes, 262144u);
  EXPECT_TRUE((*absent)->dir.empty());  // serve puts it beside the database
  std::ofstream(file()) << R"({"files": {"enabled": false}})";
  auto off = filesOptions(file());
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->has_value());
  std::ofstream(file()) << R"({"files": {"dir": "/srv/ddd", "maxFileBytes": 1048576,
      "windowBytes": 4096, "maxUploadsPerDevice": 2, "maxUploads": 10,
      "abandonedUploadHours": 24, "retentionDays": 730, "workers": 3}})";
  auto set = filesOptions(file());
  ASSERT_TRUE(set.ok()) << errorText(set.error());
  EXPECT_EQ((*set)->dir, "/srv/ddd");
  EXPECT_EQ((*set)->maxFileBytes, 1048576u);
  EXPECT_EQ((*set)->windowBytes, 4096u);
  EXPECT_EQ((*set)->maxUploadsPerDevice, 2u);
  EXPECT_EQ((*set)->maxUploads, 10u);
  EXPECT_EQ((*set)->abandonedUploadMs, 24LL * 3'600'000);
  EXPECT_EQ((*set)->retentionMs, 730LL * 86'400'000);
  EXPECT_EQ((*set)->workers, 3u);
  for (const auto& [json, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"files": {"maxFileBytes": 16777217}})", "files.maxFileBytes"},
           {R"({"files": {"windowBytes": 10}})", "files.windowBytes"},
           {R"({"files": {"enabled": "yes"}})", "files.enabled"},
           {R"({"files": {"dir": ""}})", "files.dir"},
           {R"({"files": {"retentionDays": 0}})", "files.retentionDays"},
           {R"({"files": {"maxUploadsPerDevice": 20, "maxUploads": 10}})",
            "files.maxUploadsPerDevice"},
           {R"({"files": {"retention": 5}})", "files.retention"},
           {R"({"files": []})", "files"}}) {
    std::ofstream(file()) << json;
    auto r = filesOptions(file());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().field, field) << json << ": " << errorText(r.error());
  }
}

}  // namespace
}  // namespace dcgw::config
