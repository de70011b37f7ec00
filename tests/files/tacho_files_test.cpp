// The tachograph side of a stored file (gateway/files/tacho_files.*) with the real Ingestor and
// PacketDeriver on a SQLite store: a driver card file makes a New Driver notification and a File
// Summary packet and records its download; when they cannot be stored the hook throws (the file
// stays unprocessed, schema/files.md "After a file is stored") and, run again, it repeats the File
// Summary but not the New Driver notification.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "gateway/derive/packet_deriver.hpp"
#include "gateway/files/tacho_files.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/ddd_card_builder.hpp"

namespace dcgw::files {
namespace {

class TachoFilesHook : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (std::filesystem::temp_directory_path() /
           ("dcgw-tacho-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
              .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(db_);
    ASSERT_TRUE(
        store_->upsertDevice({"12345678", std::nullopt, "AB12CDE", codecs::Bytes(32, 1)}).ok());
    deriver_ = std::make_unique<derive::PacketDeriver>(*store_);
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr, 512, store::SequenceRules{},
                                                   deriver_.get());
    hook_ = std::make_unique<TachoFiles>(*store_, ingestor_.get());
    card_ = testing::buildCardFile(testing::sampleDriverCard(testing::CardGeneration::Gen2v1));
  }
  void TearDown() override {
    ingestor_->stop();
    hook_.reset();
    ingestor_.reset();
    deriver_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
  }
  store::FileRecord file(const std::string& serial) {
    store::FileRecord f;
    f.id = 7;
    f.serial = serial;
    f.uploadId = 1;
    f.receivedAtMs = 1'722'990'000'000;
    f.downloadedAtMs = 1'722'989'000'000;
    f.registration = "AB12CDE";
    return f;
  }
  // The first byte of each stored packet, oldest first.
  std::vector<int> packetKinds() {
    std::vector<int> kinds;
    auto s = store_->db().prepare("SELECT data FROM packets ORDER BY id");
    while (s.step()) kinds.push_back(s.blob(0).empty() ? -1 : s.blob(0)[0]);
    return kinds;
  }

  std::string db_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<derive::PacketDeriver> deriver_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<TachoFiles> hook_;
  codecs::Bytes card_;
};

TEST_F(TachoFilesHook, ADriverCardFileMakesNewDriverThenFileSummaryAndRecordsItsDownload) {
  hook_->stored(file("12345678"), card_);
  EXPECT_EQ(packetKinds(), (std::vector<int>{0x44, 0x66}));
  const auto downloads = store_->downloads(std::nullopt);
  ASSERT_EQ(downloads.size(), 1u);
  EXPECT_EQ(downloads[0].fileId, 7);
  EXPECT_EQ(downloads[0].downloadedAtMs, 1'722'989'000'000);
  // Run again (a retry after a later step failed): the File Summary again, the driver is known.
  hook_->stored(file("12345678"), card_);
  EXPECT_EQ(packetKinds(), (std::vector<int>{0x44, 0x66, 0x66}));
}

// Both packets refused (the device is not registered): the hook throws once both outcomes are in,
// naming the first failure; nothing is recorded. (Under ASan this also proves no callback outlives
// the promises it completes.)
TEST_F(TachoFilesHook, PacketsThatCannotBeStoredThrowAfterBothOutcomes) {
  try {
    hook_->stored(file("99999999"), card_);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("could not be stored"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(packetKinds().empty());
  EXPECT_TRUE(store_->downloads(std::nullopt).empty());
}

}  // namespace
}  // namespace dcgw::files
