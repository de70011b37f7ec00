// Test fixture of the file upload: the real uplink listener on loopback with the file channel
// registered as serve registers it, a SQLite store and a file store in a temp directory of
// their own, a test analyzer that records what it was given, and helpers speaking the frames
// of schema/uplink.md section 8.6. restart() stops everything and starts it again on the same
// disk, as a gateway restart does.
#pragma once

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "codecs/uplink/file.hpp"
#include "gateway/files/file_channel.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::files {

namespace up = codecs::uplink;
using codecs::Bytes;
using Client = testing::UplinkClient;

inline Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + seed + (i >> 9));
  return b;
}

inline std::array<std::uint8_t, 32> sha256(codecs::ByteView b) {
  std::array<std::uint8_t, 32> d{};
  SHA256(b.data(), b.size(), d.data());
  return d;
}

inline std::string shaHex(codecs::ByteView b) {
  auto d = sha256(b);
  return codecs::toHex(codecs::ByteView(d.data(), d.size()));
}

class FileUpload : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("dcgw-files-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    options_.dir = (root_ / "files").string();
    options_.maxFileBytes = 4 * 1024 * 1024;
    options_.windowBytes = 64 * 1024;
    options_.maxUploadsPerDevice = 2;
    options_.maxUploads = 3;
    options_.maintenanceMs = 3'600'000;  // tests call maintain() themselves
    startGateway(true);
  }
  void TearDown() override {
    stopGateway();
    std::filesystem::remove_all(root_);
  }

  void startGateway(bool fresh) {
    store_ = std::make_unique<store::SqliteStore>((root_ / "dcgw.db").string());
    if (fresh) {
      for (const char* serial : {"12345678", "22222222"})
        ASSERT_TRUE(store_
                        ->upsertDevice({serial, std::nullopt, "REG" + std::string(serial, 3),
                                        testing::kUplinkTestKey})
                        .ok());
    }
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    channel_ = std::make_unique<FileChannel>(
        *store_, clock_, options_,
        [this](codecs::ByteView bytes, const FileContext& ctx) {
          std::lock_guard l(mu_);
          contexts_.push_back(ctx);
          Analysis a;
          a.kind = ctx.announcedKind;
          a.generation = "gen1";
          a.summaryJson = "{\"bytes\":" + std::to_string(bytes.size()) + "}";
          a.warnings = {"test analyzer"};
          a.name = "T_" + ctx.serial + ".DDD";
          return a;
        },
        [this](const store::FileRecord& f, codecs::ByteView bytes) {
          std::lock_guard l(mu_);
          stored_.push_back(f);
          storedBytes_.push_back(bytes.size());
          if (hookFailures_ > 0) {
            --hookFailures_;
            throw std::runtime_error("the test's packets could not be stored");
          }
        });
    uplink::ListenerOptions uo;
    uo.port = 0;
    listener_ = std::make_unique<uplink::Listener>(*store_, *ingestor_, clock_, uo);
    listener_->registerChannel(0x40, 0x4F, *channel_);
    listener_->start();
    channel_->start(listener_->outbox());
  }
  void stopGateway() {
    if (channel_) channel_->stop();
    if (listener_) listener_->stop();
    if (ingestor_) ingestor_->stop();
    listener_.reset();
    channel_.reset();
    ingestor_.reset();
    store_.reset();
  }
  void restart() {
    stopGateway();
    startGateway(false);
  }

  std::unique_ptr<Client> connect(const std::string& serial = "12345678") {
    auto c = std::make_unique<Client>(listener_->port());
    welcome_ = c->login(serial);
    return c;
  }

  static void begin(Client& c, std::uint32_t upload, const Bytes& file, std::uint8_t kind = 0x01,
                    std::uint32_t size = 0) {
    Bytes f;
    up::appendFileBegin(f, {upload, kind, size ? size : static_cast<std::uint32_t>(file.size()),
                            sha256(file), 1722990000, ""});
    c.send(f);
  }
  static void chunk(Client& c, std::uint32_t upload, std::uint32_t offset, codecs::ByteView b) {
    Bytes f;
    up::appendFileChunk(f, upload, offset, b);
    c.send(f);
  }
  static void end(Client& c, std::uint32_t upload) {
    Bytes f;
    up::appendFileEnd(f, upload);
    c.send(f);
  }
  // The next FILE_ACK (kind checked).
  static up::FileAck ack(Client& c) {
    auto [kind, body] = c.next();
    EXPECT_EQ(kind, static_cast<std::uint8_t>(up::FileFrameKind::FileAck))
        << "kind " << int(kind) << " " << describe(kind, body);
    auto a = up::parseFileAck(body);
    return a ? *a : up::FileAck{};
  }
  static up::FileResult result(Client& c) {
    for (;;) {
      auto [kind, body] = c.next();
      if (kind == static_cast<std::uint8_t>(up::FileFrameKind::FileAck)) continue;
      EXPECT_EQ(kind, static_cast<std::uint8_t>(up::FileFrameKind::FileResult))
          << "kind " << int(kind) << " " << describe(kind, body);
      auto r = up::parseFileResult(body);
      return r ? *r : up::FileResult{};
    }
  }
  static std::string describe(std::uint8_t kind, const Bytes& body) {
    if (kind == static_cast<std::uint8_t>(up::Kind::Error)) {
      auto e = up::parseError(body);
      return e ? std::string(up::errorCodeName(e->code)) + ": " + e->text : "";
    }
    if (kind == static_cast<std::uint8_t>(up::FileFrameKind::FileResult)) {
      auto r = up::parseFileResult(body);
      return r ? std::string(up::fileStatusName(r->status)) + ": " + r->text : "";
    }
    return "";
  }
  // Sends file[from, to) in chunks of `piece` within the window, reading the FILE_ACKs; returns
  // the last acknowledged offset.
  std::uint32_t send(Client& c, std::uint32_t upload, const Bytes& file, std::uint32_t from,
                     std::uint32_t to, std::uint32_t piece = 16 * 1024) {
    std::uint32_t sent = from, acked = from;
    while (acked < to) {
      while (sent < to && sent + std::min(piece, to - sent) <= acked + options_.windowBytes) {
        const std::uint32_t n = std::min(piece, to - sent);
        chunk(c, upload, sent, codecs::ByteView(file).subspan(sent, n));
        sent += n;
      }
      const up::FileAck a = ack(c);
      EXPECT_EQ(a.upload, upload);
      EXPECT_EQ(a.window, options_.windowBytes);
      if (a.offset <= acked) {
        ADD_FAILURE() << "FILE_ACK went back or stood still at " << a.offset;
        return acked;
      }
      acked = a.offset;
    }
    return acked;
  }
  // A whole upload; returns its FILE_RESULT.
  up::FileResult upload(Client& c, std::uint32_t id, const Bytes& file) {
    begin(c, id, file);
    const up::FileAck a = ack(c);
    send(c, id, file, a.offset, static_cast<std::uint32_t>(file.size()));
    end(c, id);
    return result(c);
  }
  Bytes contentOf(const std::string& sha) {
    std::ifstream in(channel_->disk().contentPath(sha), std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  std::size_t spoolFiles() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(channel_->disk().spoolDir()))
      n += e.path().extension() == ".part";
    return n;
  }

  // For a second node of the same store and file store (file_upload_test.cpp).
 public:
  store::SqliteStore& store() { return *store_; }
  common::SystemClock& clock() { return clock_; }
  const FilesOptions& options() const { return options_; }

 protected:
  std::filesystem::path root_;
  FilesOptions options_;
  common::SystemClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<FileChannel> channel_;
  std::unique_ptr<uplink::Listener> listener_;
  up::Welcome welcome_;
  std::mutex mu_;
  std::vector<FileContext> contexts_;
  std::vector<store::FileRecord> stored_;
  std::vector<std::size_t> storedBytes_;
  int hookFailures_{0};  // the next calls of the stored hook that throw (guarded by mu_)
};

}  // namespace dcgw::files
