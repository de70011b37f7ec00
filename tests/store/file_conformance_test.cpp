// The store conformance suite, tachograph-file part (issue 13): the index of stored files (per
// device, newest first, paged), the uploads in progress a restart resumes, the lost-result
// lookup, and retention that frees a digest only with its last row. Every backend passes these
// unchanged.
#include <gtest/gtest.h>

#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

using store::FileFilter;
using store::FileRecord;
using store::FileUploadRecord;

FileRecord fileRow(const std::string& serial, std::uint32_t upload, char digest,
                   std::int64_t atMs) {
  FileRecord f;
  f.serial = serial;
  f.uploadId = upload;
  f.receivedAtMs = atMs;
  f.downloadedAtMs = atMs - 1000;
  f.registration = "AB12CDE";
  f.locationId = std::nullopt;
  f.announcedKind = "driverCard";
  f.kind = "driverCard";
  f.generation = "gen1";
  f.size = 1234;
  f.sha256 = std::string(64, digest);
  f.summaryJson = R"({"kind":"driverCard"})";
  f.warnings = {"tag 0x0501 at offset 12: too short", "second \"quoted\""};
  f.error = "";
  f.name = "C_20240808_1228_E_Smith1407_1200000000110200.DDD";
  return f;
}

TEST_P(StoreConformance, AStoredFileKeepsEveryMemberAcrossARestart) {
  std::int64_t loc = location("North", {});
  FileRecord f = fileRow("12345678", 7, 'a', 5000);
  f.locationId = loc;
  const std::int64_t id = db_->recordFile(f);
  EXPECT_GT(id, 0);
  restart();
  auto got = db_->file(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->serial, "12345678");
  EXPECT_EQ(got->uploadId, 7u);
  EXPECT_EQ(got->receivedAtMs, 5000);
  EXPECT_EQ(got->downloadedAtMs, 4000);
  EXPECT_EQ(got->registration, "AB12CDE");
  EXPECT_EQ(got->locationId, loc);
  EXPECT_EQ(got->announcedKind, "driverCard");
  EXPECT_EQ(got->kind, "driverCard");
  EXPECT_EQ(got->generation, "gen1");
  EXPECT_EQ(got->size, 1234);
  EXPECT_EQ(got->sha256, std::string(64, 'a'));
  EXPECT_EQ(got->summaryJson, R"({"kind":"driverCard"})");
  EXPECT_EQ(got->warnings, f.warnings);
  EXPECT_EQ(got->error, "");
  EXPECT_EQ(got->name, f.name);
  EXPECT_FALSE(db_->file(id + 1000));
}

TEST_P(StoreConformance, ADevicesFilesAreListedNewestFirstInPages) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(db_->recordFile(fileRow("12345678", 10 + i, 'b', 1000 + i)));
  db_->recordFile(fileRow("87654321", 1, 'c', 1003));
  ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  auto page1 = db_->files(FileFilter{"12345678", 0, 2});
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].id, ids[4]);
  EXPECT_EQ(page1[1].id, ids[3]);
  auto page2 = db_->files(FileFilter{"12345678", page1.back().id, 2});
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].id, ids[2]);
  auto page3 = db_->files(FileFilter{"12345678", page2.back().id, 2});
  ASSERT_EQ(page3.size(), 1u);
  EXPECT_EQ(page3[0].id, ids[0]);
  EXPECT_EQ(db_->files(FileFilter{"", 0, 100}).size(), 6u);
  EXPECT_TRUE(db_->files(FileFilter{"00000000", 0, 100}).empty());
}

TEST_P(StoreConformance, UploadsInProgressSurviveARestartAndEndWithTheirFile) {
  db_->beginUpload({"12345678", 3, "vehicleUnit", 1048576, std::string(64, 'd'), 7000, "", 9000});
  db_->beginUpload({"12345678", 1, "driverCard", 10, std::string(64, 'e'), 0, "XY", 9100});
  db_->beginUpload({"00000001", 9, "unknown", 5, std::string(64, 'f'), 0, "", 9200});
  // Beginning an id again replaces it (the device reused it for another file).
  db_->beginUpload({"00000001", 9, "unknown", 6, std::string(64, '0'), 0, "", 9300});
  restart();
  auto ups = db_->uploads();
  ASSERT_EQ(ups.size(), 3u);
  EXPECT_EQ(ups[0].serial, "00000001");  // by serial, then id
  EXPECT_EQ(ups[0].size, 6);
  EXPECT_EQ(ups[0].sha256, std::string(64, '0'));
  EXPECT_EQ(ups[1].uploadId, 1u);
  EXPECT_EQ(ups[1].registration, "XY");
  EXPECT_EQ(ups[2].uploadId, 3u);
  EXPECT_EQ(ups[2].announcedKind, "vehicleUnit");
  EXPECT_EQ(ups[2].size, 1048576);
  EXPECT_EQ(ups[2].downloadedAtMs, 7000);
  EXPECT_EQ(ups[2].begunAtMs, 9000);

  // Recording the file ends its upload in the same transaction; endUpload ends one without.
  FileRecord f = fileRow("12345678", 3, 'd', 10000);
  db_->recordFile(f);
  db_->endUpload("00000001", 9);
  ups = db_->uploads();
  ASSERT_EQ(ups.size(), 1u);
  EXPECT_EQ(ups[0].uploadId, 1u);
}

TEST_P(StoreConformance, AFileWhoseResultWasLostIsFoundByItsUploadAndDigest) {
  const std::int64_t id = db_->recordFile(fileRow("12345678", 3, 'a', 1000));
  auto again = db_->fileOfUpload("12345678", 3, std::string(64, 'a'));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, id);
  EXPECT_FALSE(db_->fileOfUpload("12345678", 3, std::string(64, 'b')));  // another file
  EXPECT_FALSE(db_->fileOfUpload("12345678", 4, std::string(64, 'a')));
  EXPECT_FALSE(db_->fileOfUpload("87654321", 3, std::string(64, 'a')));  // another device
}

TEST_P(StoreConformance, RetentionFreesADigestOnlyWithItsLastRow) {
  // Two rows share digest a (the same file uploaded twice); b has one row.
  db_->recordFile(fileRow("12345678", 1, 'a', 1000));
  db_->recordFile(fileRow("12345678", 2, 'b', 2000));
  const std::int64_t keep = db_->recordFile(fileRow("87654321", 1, 'a', 5000));
  EXPECT_TRUE(db_->digestReferenced(std::string(64, 'a')));

  auto p = db_->pruneFiles(3000, 100);
  EXPECT_EQ(p.rows, 2);
  EXPECT_EQ(p.unreferenced, (std::vector<std::string>{std::string(64, 'b')}));
  EXPECT_TRUE(db_->digestReferenced(std::string(64, 'a')));
  EXPECT_FALSE(db_->digestReferenced(std::string(64, 'b')));
  ASSERT_EQ(db_->files(FileFilter{"", 0, 100}).size(), 1u);

  p = db_->pruneFiles(6000, 100);
  EXPECT_EQ(p.rows, 1);
  EXPECT_EQ(p.unreferenced, (std::vector<std::string>{std::string(64, 'a')}));
  EXPECT_FALSE(db_->file(keep));
  EXPECT_EQ(db_->pruneFiles(6000, 100).rows, 0);
}

TEST_P(StoreConformance, AFileIsUnprocessedUntilMarkedAndTheMarkSurvivesARestart) {
  const std::int64_t a = db_->recordFile(fileRow("12345678", 1, 'a', 1000));
  const std::int64_t b = db_->recordFile(fileRow("12345678", 2, 'b', 2000));
  const std::int64_t c = db_->recordFile(fileRow("87654321", 1, 'c', 3000));
  EXPECT_FALSE(db_->file(a)->processedAtMs);
  auto open = db_->unprocessedFiles(10);
  ASSERT_EQ(open.size(), 3u);  // oldest first
  EXPECT_EQ(open[0].id, a);
  EXPECT_EQ(open[2].id, c);
  EXPECT_EQ(db_->unprocessedFiles(2).size(), 2u);
  db_->markFileProcessed(b, 2500);
  restart();
  EXPECT_EQ(db_->file(b)->processedAtMs, 2500);
  EXPECT_FALSE(db_->file(c)->processedAtMs);
  open = db_->unprocessedFiles(10);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].id, a);
  EXPECT_EQ(open[1].id, c);
}

TEST_P(StoreConformance, UploadsBegunTogetherAreAllKeptAndTheLastOfOneIdWins) {
  db_->beginUploads({{"12345678", 1, "driverCard", 10, std::string(64, 'a'), 0, "", 100},
                     {"12345678", 2, "vehicleUnit", 20, std::string(64, 'b'), 0, "", 100},
                     {"22222222", 1, "driverCard", 30, std::string(64, 'c'), 0, "", 100},
                     {"12345678", 1, "driverCard", 11, std::string(64, 'd'), 0, "", 200}});
  db_->beginUploads({});
  restart();
  const auto ups = db_->uploads();
  ASSERT_EQ(ups.size(), 3u);
  EXPECT_EQ(ups[0].uploadId, 1u);
  EXPECT_EQ(ups[0].size, 11);
  EXPECT_EQ(ups[0].sha256, std::string(64, 'd'));
  EXPECT_EQ(ups[1].size, 20);
  EXPECT_EQ(ups[2].serial, "22222222");
}

TEST_P(StoreConformance, PruningFilesWorksInBatches) {
  for (int i = 0; i < 5; ++i) db_->recordFile(fileRow("12345678", i + 1, 'a' + i, 1000 + i));
  EXPECT_EQ(db_->pruneFiles(9000, 2).rows, 2);
  EXPECT_EQ(db_->files(FileFilter{"", 0, 100}).size(), 3u);
  auto left = db_->files(FileFilter{"", 0, 100});
  EXPECT_EQ(left.back().receivedAtMs, 1002);  // the oldest went first
}

}  // namespace
}  // namespace dcgw::testing
