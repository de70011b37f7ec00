// The file upload's refusals (schema/uplink.md section 8.6.1 and 8.6.3), each on the real
// listener: a wrong digest discards the bytes, a size over the limit, a chunk at a wrong offset
// (the upload goes on after a FILE_BEGIN), too many uploads per device and overall, the window,
// chunks and FILE_END of uploads not begun, and the reserved kinds still NOT_SUPPORTED.
#include "tests/files/upload_fixture.hpp"

namespace dcgw::files {
namespace {

// The connection still works: a HEARTBEAT is answered.
void stillOpen(Client& c) {
  Bytes hb;
  up::appendHeartbeat(hb);
  c.send(hb);
  EXPECT_EQ(c.next().first, static_cast<std::uint8_t>(up::Kind::Heartbeat));
}

TEST_F(FileUpload, AWrongDigestIsRefusedAndTheBytesAreDiscarded) {
  auto c = connect();
  const Bytes file = pattern(40000, 1);
  Bytes f;
  up::appendFileBegin(f, {1, 0x01, 40000, sha256(pattern(40000, 2)), 0, ""});
  c->send(f);
  EXPECT_EQ(ack(*c).offset, 0u);
  send(*c, 1, file, 0, 40000);
  end(*c, 1);
  const up::FileResult r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::DigestMismatch));
  EXPECT_EQ(r.fileId, 0u);
  EXPECT_NE(r.text.find(shaHex(file)), std::string::npos) << r.text;
  EXPECT_EQ(spoolFiles(), 0u);
  EXPECT_TRUE(store_->files({"", 0, 10}).empty());
  EXPECT_TRUE(store_->uploads().empty());
  // Uploaded again from 0 with the right digest, it is stored.
  EXPECT_EQ(upload(*c, 1, file).status, 0);
}

TEST_F(FileUpload, ASizeOverTheLimitIsRefusedAndTheConnectionGoesOn) {
  auto c = connect();
  Bytes f;
  up::appendFileBegin(f, {1, 0x05, options_.maxFileBytes + 1, {}, 0, ""});
  c->send(f);
  const up::FileResult r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::TooLarge));
  EXPECT_NE(r.text.find(std::to_string(options_.maxFileBytes)), std::string::npos) << r.text;
  stillOpen(*c);
  EXPECT_TRUE(store_->uploads().empty());
}

TEST_F(FileUpload, AChunkAtAWrongOffsetIsRefusedAndTheUploadGoesOnAfterABegin) {
  auto c = connect();
  const Bytes file = pattern(30000, 3);
  begin(*c, 4, file);
  ack(*c);
  EXPECT_EQ(send(*c, 4, file, 0, 10000), 10000u);
  chunk(*c, 4, 12000, codecs::ByteView(file).subspan(12000, 100));  // a gap
  up::FileResult r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::BadOffset));
  EXPECT_NE(r.text.find("expected 10000"), std::string::npos) << r.text;
  // Later chunks are ignored until FILE_BEGIN, which says where to go on.
  chunk(*c, 4, 10000, codecs::ByteView(file).subspan(10000, 100));
  begin(*c, 4, file);
  const up::FileAck a = ack(*c);
  EXPECT_EQ(a.offset, 10000u);
  send(*c, 4, file, 10000, 30000);
  // A chunk past the size is refused too.
  chunk(*c, 4, 30000, Bytes{1});
  r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::BadOffset));
  begin(*c, 4, file);
  EXPECT_EQ(ack(*c).offset, 30000u);
  end(*c, 4);
  r = result(*c);
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_EQ(contentOf(shaHex(file)), file);
}

TEST_F(FileUpload, TooManyUploadsPerDeviceAndOverallAreRefused) {
  auto a = connect("12345678");
  auto b = connect("22222222");
  const Bytes f1 = pattern(100, 1), f2 = pattern(100, 2), f3 = pattern(100, 3);
  begin(*a, 1, f1);
  ack(*a);
  begin(*a, 2, f2);
  ack(*a);
  begin(*a, 3, f3);  // the device's third: over maxUploadsPerDevice (2)
  up::FileResult r = result(*a);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::TooManyUploads));
  EXPECT_EQ(r.upload, 3u);
  begin(*b, 1, f1);
  ack(*b);
  begin(*b, 2, f2);  // the gateway's fourth: over maxUploads (3)
  r = result(*b);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::TooManyUploads));
  EXPECT_NE(r.text.find("maximum of 3"), std::string::npos) << r.text;
  // One ends: there is room again.
  send(*a, 1, f1, 0, 100);
  end(*a, 1);
  EXPECT_EQ(result(*a).status, 0);
  begin(*b, 2, f2);
  EXPECT_EQ(ack(*b).offset, 0u);
  // A connection that drops frees its places.
  a.reset();
  auto a2 = connect("12345678");
  begin(*a2, 3, f3);
  EXPECT_EQ(ack(*a2).offset, 0u);
}

TEST_F(FileUpload, ChunksPastTheWindowCloseTheConnection) {
  options_.windowBytes = 1024;
  restart();
  auto c = connect();
  const Bytes file = pattern(20000, 4);
  begin(*c, 1, file);
  EXPECT_EQ(ack(*c).window, 1024u);
  // 3000 bytes in one write, before any FILE_ACK can come back: over the 1024-byte window.
  Bytes frames;
  for (std::uint32_t off = 0; off < 3000; off += 1000)
    up::appendFileChunk(frames, 1, off, codecs::ByteView(file).subspan(off, 1000));
  c->send(frames);
  for (;;) {
    auto [kind, body] = c->next();
    if (kind == static_cast<std::uint8_t>(up::FileFrameKind::FileAck)) continue;
    ASSERT_EQ(kind, static_cast<std::uint8_t>(up::Kind::Error));
    auto e = up::parseError(body);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, static_cast<std::uint8_t>(up::ErrorCode::WindowExceeded)) << e->text;
    EXPECT_NE(e->text.find("chunk ends at 2000, past the acknowledged offset 0 + window 1024"),
              std::string::npos)
        << e->text;
    break;
  }
}

TEST_F(FileUpload, ChunksAndEndsOfUploadsNotBegunAreRefused) {
  auto c = connect();
  chunk(*c, 7, 0, Bytes{1, 2, 3});
  up::FileResult r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::UnknownUpload));
  EXPECT_EQ(r.upload, 7u);
  end(*c, 8);
  r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::UnknownUpload));
  // FILE_END before every byte: INCOMPLETE, nothing discarded.
  const Bytes file = pattern(5000, 5);
  begin(*c, 9, file);
  ack(*c);
  send(*c, 9, file, 0, 3000);
  end(*c, 9);
  r = result(*c);
  EXPECT_EQ(r.status, static_cast<std::uint8_t>(up::FileStatus::Incomplete));
  EXPECT_NE(r.text.find("3000 of 5000"), std::string::npos) << r.text;
  send(*c, 9, file, 3000, 5000);
  end(*c, 9);
  EXPECT_EQ(result(*c).status, 0);
}

TEST_F(FileUpload, MalformedAndGatewayKindsCloseTheConnection) {
  {
    auto c = connect();
    Bytes f;
    up::appendFrame(f, 0x40, Bytes{0, 0, 0, 1, 0x07});  // kind 7 and nothing after
    c->send(f);
    EXPECT_NE(c->expectError(up::ErrorCode::MalformedFrame).find("FILE_BEGIN kind"),
              std::string::npos);
  }
  auto c = connect();
  Bytes f;
  up::appendFileAck(f, {1, 0, 0});
  c->send(f);
  c->expectError(up::ErrorCode::UnexpectedFrame);
}

TEST_F(FileUpload, TheReservedFileKindsAreStillNotSupported) {
  auto c = connect();
  for (std::uint8_t kind : {std::uint8_t{0x45}, std::uint8_t{0x4F}}) {
    Bytes f;
    up::appendFrame(f, kind, Bytes{1, 2, 3});
    c->send(f);
    EXPECT_NE(c->expectError(up::ErrorCode::NotSupported).find("reserved for file upload"),
              std::string::npos);
  }
  stillOpen(*c);
}

}  // namespace
}  // namespace dcgw::files
