// File upload through the real uplink listener (schema/uplink.md section 8.6): a whole upload is
// stored durably, verified, analysed and indexed before FILE_RESULT OK; an upload resumes from
// the offset acknowledged after a dropped connection and after a gateway restart; a lost
// FILE_RESULT is answered again; retention and abandoned uploads are cleaned up.
#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "tests/files/upload_fixture.hpp"

namespace dcgw::files {
namespace {

using namespace std::chrono_literals;

TEST_F(FileUpload, WelcomeAnnouncesFileUpload) {
  auto c = connect();
  EXPECT_EQ(welcome_.capabilities, (std::vector<std::uint8_t>{0x02}));
}

TEST_F(FileUpload, AWholeFileIsStoredVerifiedAnalysedAndIndexedBeforeItsResult) {
  auto c = connect();
  const Bytes file = pattern(300 * 1024 + 17, 1);
  const up::FileResult r = upload(*c, 5, file);
  ASSERT_EQ(r.status, 0) << up::fileStatusName(r.status) << ": " << r.text;
  ASSERT_GT(r.fileId, 0u);
  EXPECT_EQ(r.text, "stored as file " + std::to_string(r.fileId));

  const auto row = store_->file(static_cast<std::int64_t>(r.fileId));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->serial, "12345678");
  EXPECT_EQ(row->uploadId, 5u);
  EXPECT_EQ(row->size, static_cast<std::int64_t>(file.size()));
  EXPECT_EQ(row->sha256, shaHex(file));
  EXPECT_EQ(row->announcedKind, "driverCard");
  EXPECT_EQ(row->kind, "driverCard");
  EXPECT_EQ(row->generation, "gen1");
  EXPECT_EQ(row->summaryJson, "{\"bytes\":" + std::to_string(file.size()) + "}");
  EXPECT_EQ(row->warnings, (std::vector<std::string>{"test analyzer"}));
  EXPECT_EQ(row->name, "T_12345678.DDD");
  EXPECT_EQ(row->registration, "REG123");  // FILE_BEGIN gave none: the device's
  EXPECT_EQ(row->downloadedAtMs, 1722990000000);
  // The bytes are in the content store under their digest; the spool is empty.
  EXPECT_EQ(contentOf(row->sha256), file);
  EXPECT_EQ(spoolFiles(), 0u);
  EXPECT_TRUE(store_->uploads().empty());
  {
    std::lock_guard l(mu_);
    ASSERT_EQ(contexts_.size(), 1u);
    EXPECT_EQ(contexts_[0].serial, "12345678");
    EXPECT_EQ(contexts_[0].downloadedAtMs, 1722990000000);
    EXPECT_EQ(contexts_[0].announcedKind, "driverCard");
    ASSERT_EQ(stored_.size(), 1u);
    EXPECT_EQ(stored_[0].id, row->id);
  }
  // Another file on the same connection.
  const up::FileResult r2 = upload(*c, 6, pattern(1000, 9));
  EXPECT_EQ(r2.status, 0) << r2.text;
  EXPECT_GT(r2.fileId, r.fileId);
}

TEST_F(FileUpload, AnUploadResumesFromTheAcknowledgedOffsetAfterADroppedConnection) {
  const Bytes file = pattern(200 * 1024, 2);
  std::uint32_t held = 0;
  {
    auto c = connect();
    begin(*c, 1, file);
    EXPECT_EQ(ack(*c).offset, 0u);
    held = send(*c, 1, file, 0, 96 * 1024);
    EXPECT_EQ(held, 96u * 1024);
  }  // the connection drops
  auto c = connect();
  begin(*c, 1, file);
  const up::FileAck a = ack(*c);
  EXPECT_EQ(a.offset, held);
  send(*c, 1, file, a.offset, static_cast<std::uint32_t>(file.size()));
  end(*c, 1);
  const up::FileResult r = result(*c);
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(contentOf(shaHex(file)), file);
}

TEST_F(FileUpload, AnUploadResumesAfterAGatewayRestart) {
  const Bytes file = pattern(150 * 1024 + 3, 3);
  std::uint32_t held = 0;
  {
    auto c = connect();
    begin(*c, 9, file, 0x05);
    ack(*c);
    held = send(*c, 9, file, 0, 100 * 1024);
  }
  restart();
  ASSERT_EQ(store_->uploads().size(), 1u);  // the upload in progress survived
  auto c = connect();
  begin(*c, 9, file, 0x05);
  const up::FileAck a = ack(*c);
  EXPECT_EQ(a.offset, held);
  send(*c, 9, file, a.offset, static_cast<std::uint32_t>(file.size()));
  end(*c, 9);
  const up::FileResult r = result(*c);
  ASSERT_EQ(r.status, 0) << r.text;
  auto row = store_->file(static_cast<std::int64_t>(r.fileId));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->kind, "vehicleUnit");
  EXPECT_EQ(contentOf(row->sha256), file);
}

TEST_F(FileUpload, AFileStoredBeforeARestartIsAnsweredOkAgainWhenItsResultWasLost) {
  const Bytes file = pattern(5000, 4);
  std::uint64_t id = 0;
  {
    auto c = connect();
    id = upload(*c, 3, file).fileId;
    ASSERT_GT(id, 0u);
  }
  restart();
  auto c = connect();
  begin(*c, 3, file);
  const up::FileResult again = result(*c);
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.fileId, id);
  EXPECT_EQ(again.text, "already stored as file " + std::to_string(id));
  EXPECT_EQ(store_->files({"12345678", 0, 100}).size(), 1u);
}

// What is made from a stored file (its File Summary and New Driver packets) is committed before
// FILE_RESULT OK; when it cannot be, the file stays stored but unprocessed, the device hears
// STORE_FAILED, and its next FILE_BEGIN makes the packets again (schema/uplink.md 8.6.1).
TEST_F(FileUpload, AFileWhosePacketsFailedIsAnsweredStoreFailedAndProcessedAtTheNextBegin) {
  {
    std::lock_guard l(mu_);
    hookFailures_ = 1;
  }
  const Bytes file = pattern(7000, 5);
  auto c = connect();
  const up::FileResult r = upload(*c, 4, file);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::StoreFailed));
  EXPECT_EQ(r.fileId, 0u);
  const auto rows = store_->files({"12345678", 0, 100});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].processedAtMs);
  EXPECT_EQ(r.text, "stored as file " + std::to_string(rows[0].id) +
                        ", but the packets made from it are not committed (the test's packets "
                        "could not be stored): send FILE_BEGIN again later");
  begin(*c, 4, file);
  const up::FileResult again = result(*c);
  EXPECT_EQ(again.status, 0) << again.text;
  EXPECT_EQ(again.fileId, static_cast<std::uint64_t>(rows[0].id));
  EXPECT_TRUE(store_->file(rows[0].id)->processedAtMs);
  std::lock_guard l(mu_);
  ASSERT_EQ(stored_.size(), 2u);  // the hook ran again, on the stored bytes
  EXPECT_EQ(stored_[1].id, rows[0].id);
  EXPECT_EQ(storedBytes_[1], file.size());
  EXPECT_EQ(store_->files({"12345678", 0, 100}).size(), 1u);  // stored once
}

// A crash between a file's index row and its packets leaves the row unprocessed: the next start
// makes them, without the device.
TEST_F(FileUpload, AFileLeftUnprocessedIsProcessedAtTheNextStart) {
  {
    std::lock_guard l(mu_);
    hookFailures_ = 1;
  }
  {
    auto c = connect();
    EXPECT_EQ(upload(*c, 8, pattern(3000, 6)).status,
              static_cast<std::uint8_t>(up::FileStatus::StoreFailed));
  }
  const auto rows = store_->files({"12345678", 0, 100});
  ASSERT_EQ(rows.size(), 1u);
  restart();
  for (int i = 0; i < 400 && !store_->file(rows[0].id)->processedAtMs; ++i)
    std::this_thread::sleep_for(25ms);
  EXPECT_TRUE(store_->file(rows[0].id)->processedAtMs);
  EXPECT_TRUE(store_->unprocessedFiles(10).empty());
  std::lock_guard l(mu_);
  ASSERT_EQ(stored_.size(), 2u);
  EXPECT_EQ(stored_[1].id, rows[0].id);
}

// What retrying cannot mend ends the retries: a file whose device was removed since is marked
// processed at the next start, without running the hook again.
TEST_F(FileUpload, AnUnprocessedFileOfARemovedDeviceIsNotRetried) {
  {
    std::lock_guard l(mu_);
    hookFailures_ = 1;
  }
  {
    auto c = connect("22222222");
    EXPECT_EQ(upload(*c, 2, pattern(2000, 7)).status,
              static_cast<std::uint8_t>(up::FileStatus::StoreFailed));
  }
  const auto rows = store_->files({"22222222", 0, 100});
  ASSERT_EQ(rows.size(), 1u);
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->removeDevice("22222222").ok());
    tx->commit();
  }
  restart();
  for (int i = 0; i < 400 && !store_->file(rows[0].id)->processedAtMs; ++i)
    std::this_thread::sleep_for(25ms);
  EXPECT_TRUE(store_->file(rows[0].id)->processedAtMs);
  std::lock_guard l(mu_);
  EXPECT_EQ(stored_.size(), 1u);  // the hook ran once, at the upload
}

// FILE_BEGINs arriving together are committed together; each still gets its FILE_ACK, and the
// same id begun twice in one go is one upload.
TEST_F(FileUpload, BeginsSentTogetherAreEachAcknowledged) {
  auto c = connect();
  auto d = connect("22222222");
  const Bytes f1 = pattern(100, 1), f2 = pattern(200, 2), f3 = pattern(300, 3);
  begin(*c, 1, f1);
  begin(*c, 1, f1);
  begin(*c, 2, f2);
  begin(*d, 1, f3);
  // Two uploads may be on two workers: their answers come in either order.
  std::multiset<std::uint32_t> acked;
  for (int i = 0; i < 3; ++i) {
    const up::FileAck a = ack(*c);
    acked.insert(a.upload);
    EXPECT_EQ(a.offset, 0u);
  }
  EXPECT_EQ(acked, (std::multiset<std::uint32_t>{1u, 1u, 2u}));
  EXPECT_EQ(ack(*d).upload, 1u);
  EXPECT_EQ(store_->uploads().size(), 3u);
  send(*c, 2, f2, 0, 200);
  end(*c, 2);
  EXPECT_EQ(result(*c).status, 0);
}

TEST_F(FileUpload, TheSameFileFromTwoDevicesIsKeptOnceAndIndexedTwice) {
  const Bytes file = pattern(70000, 5);
  auto a = connect("12345678");
  auto b = connect("22222222");
  const auto ra = upload(*a, 1, file);
  const auto rb = upload(*b, 1, file);
  ASSERT_EQ(ra.status, 0);
  ASSERT_EQ(rb.status, 0);
  EXPECT_NE(ra.fileId, rb.fileId);
  EXPECT_EQ(contentOf(shaHex(file)), file);
  std::size_t contents = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(options_.dir))
    contents += e.is_regular_file() && e.path().filename().string().size() == 64;
  EXPECT_EQ(contents, 1u);
}

TEST_F(FileUpload, RetentionRemovesTheBytesOnlyWithTheLastRowNamingThem) {
  const Bytes shared = pattern(4000, 6);
  auto a = connect("12345678");
  ASSERT_EQ(upload(*a, 1, shared).status, 0);
  std::this_thread::sleep_for(2s);
  auto b = connect("22222222");
  ASSERT_EQ(upload(*b, 1, shared).status, 0);
  auto rows = store_->files({"", 0, 10});
  ASSERT_EQ(rows.size(), 2u);
  const std::int64_t older = std::min(rows[0].receivedAtMs, rows[1].receivedAtMs);
  a.reset();
  b.reset();

  // The cutoff (now - retention, when maintain() runs) lands just after the first: the second,
  // 2 s younger, is kept unless the restart below takes those 2 s.
  options_.retentionMs = clock_.nowMs() - older - 1;
  restart();
  EXPECT_EQ(channel_->maintain(), 1);
  EXPECT_EQ(store_->files({"", 0, 10}).size(), 1u);
  EXPECT_EQ(contentOf(shaHex(shared)), shared);  // still named by the second row

  options_.retentionMs = 0;
  restart();
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(channel_->maintain(), 1);
  EXPECT_FALSE(std::filesystem::exists(channel_->disk().contentPath(shaHex(shared))));
}

TEST_F(FileUpload, AnAbandonedUploadIsDiscardedAfterItsTime) {
  const Bytes file = pattern(50000, 7);
  {
    auto c = connect();
    begin(*c, 2, file);
    ack(*c);
    send(*c, 2, file, 0, 20000);
  }
  ASSERT_EQ(spoolFiles(), 1u);
  options_.abandonedUploadMs = 0;
  restart();
  std::this_thread::sleep_for(5ms);
  channel_->maintain();
  for (int i = 0; i < 1000 && (spoolFiles() != 0 || !store_->uploads().empty()); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(spoolFiles(), 0u);
  EXPECT_TRUE(store_->uploads().empty());
  // The device begins again from 0.
  auto c = connect();
  begin(*c, 2, file);
  EXPECT_EQ(ack(*c).offset, 0u);
}

// Several nodes on one database with one file store (files.dir on a shared file system): the
// tracker reconnects to another node (running since before the upload began) mid-upload and
// goes on where it stopped; coming back to the first node, it goes on from what the second
// wrote.
// Another node of the same database and file store: its own ingestor, file channel and
// listener.
struct Node {
  explicit Node(FileUpload& f)
      : ingestor(f.store(), nullptr),
        channel(
            f.store(), f.clock(), f.options(),
            [](codecs::ByteView, const FileContext& ctx) {
              Analysis a;
              a.kind = ctx.announcedKind;
              return a;
            },
            [](const store::FileRecord&, codecs::ByteView) {}),
        listener(f.store(), ingestor, f.clock(), options()) {
    listener.registerChannel(0x40, 0x4F, channel);
    listener.start();
    channel.start(listener.outbox());
  }
  ~Node() {
    channel.stop();
    listener.stop();
    ingestor.stop();
  }
  static uplink::ListenerOptions options() {
    uplink::ListenerOptions o;
    o.port = 0;
    return o;
  }
  ingest::Ingestor ingestor;
  FileChannel channel;
  uplink::Listener listener;
};

TEST_F(FileUpload, AnUploadResumesOnAnotherNodeThatSharesTheFileStore) {
  Node second(*this);
  const Bytes file = pattern(400 * 1024, 3);
  std::uint32_t held = 0;
  {
    auto c = connect();
    begin(*c, 7, file);
    ASSERT_EQ(ack(*c).offset, 0u);
    held = send(*c, 7, file, 0, 128 * 1024);
  }
  std::uint32_t further = 0;
  {
    Client c(second.listener.port());
    c.login("12345678");
    begin(c, 7, file);
    const up::FileAck a = ack(c);
    EXPECT_EQ(a.offset, held) << "resumed on the second node";
    further = send(c, 7, file, a.offset, 256 * 1024);
  }
  {
    auto c = connect();  // the first node again: what the second wrote counts
    begin(*c, 7, file);
    const up::FileAck a = ack(*c);
    EXPECT_EQ(a.offset, further);
    send(*c, 7, file, a.offset, static_cast<std::uint32_t>(file.size()));
    end(*c, 7);
    const up::FileResult r = result(*c);
    ASSERT_EQ(r.status, 0) << up::fileStatusName(r.status) << ": " << r.text;
    EXPECT_EQ(contentOf(shaHex(file)), file);
  }
}

// The id begun again for another file on the second node: the first node, which still holds
// the old file in memory, takes the new one up where the second left it (it neither discards
// the second's bytes nor starts again at 0).
TEST_F(FileUpload, AnIdBegunAgainOnAnotherNodeIsTakenUpWhereThatNodeLeftIt) {
  Node second(*this);
  const Bytes old = pattern(300 * 1024, 4), fresh = pattern(350 * 1024, 5);
  {
    auto c = connect();
    begin(*c, 9, old);
    ASSERT_EQ(ack(*c).offset, 0u);
    send(*c, 9, old, 0, 64 * 1024);
  }
  std::uint32_t held = 0;
  {
    Client c(second.listener.port());
    c.login("12345678");
    begin(c, 9, fresh);
    const up::FileAck a = ack(c);
    ASSERT_EQ(a.offset, 0u) << "another file: from 0";
    held = send(c, 9, fresh, 0, 192 * 1024);
  }
  auto c = connect();
  begin(*c, 9, fresh);
  const up::FileAck a = ack(*c);
  EXPECT_EQ(a.offset, held);
  send(*c, 9, fresh, a.offset, static_cast<std::uint32_t>(fresh.size()));
  end(*c, 9);
  const up::FileResult r = result(*c);
  ASSERT_EQ(r.status, 0) << up::fileStatusName(r.status) << ": " << r.text;
  EXPECT_EQ(contentOf(shaHex(fresh)), fresh);
}

}  // namespace
}  // namespace dcgw::files
