// The uplink's file-upload frames; offsets in errors are within the frame body.
#include "codecs/uplink/file.hpp"

#include "codecs/uplink/fields.hpp"

namespace dcgw::codecs::uplink {

namespace {
using fields::exactSize;
using fields::restText;

Error uploadZero(const char* kind) {
  return makeError(std::string(kind) + " upload", 0, "an upload id from 1, not 0");
}
}  // namespace

bool isFileKind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(FileFrameKind::FileBegin) &&
         kind <= static_cast<std::uint8_t>(FileFrameKind::FileResult);
}

const char* fileFrameKindName(std::uint8_t kind) {
  switch (static_cast<FileFrameKind>(kind)) {
    case FileFrameKind::FileBegin:
      return "FILE_BEGIN";
    case FileFrameKind::FileChunk:
      return "FILE_CHUNK";
    case FileFrameKind::FileAck:
      return "FILE_ACK";
    case FileFrameKind::FileEnd:
      return "FILE_END";
    case FileFrameKind::FileResult:
      return "FILE_RESULT";
  }
  return "undefined";
}

const char* uploadFileKindName(std::uint8_t kind) {
  switch (static_cast<UploadFileKind>(kind)) {
    case UploadFileKind::Unknown:
      return "unknown";
    case UploadFileKind::DriverCard:
      return "driverCard";
    case UploadFileKind::WorkshopCard:
      return "workshopCard";
    case UploadFileKind::ControlCard:
      return "controlCard";
    case UploadFileKind::CompanyCard:
      return "companyCard";
    case UploadFileKind::VehicleUnit:
      return "vehicleUnit";
  }
  return nullptr;
}

const char* fileStatusName(std::uint8_t status) {
  switch (static_cast<FileStatus>(status)) {
    case FileStatus::Ok:
      return "OK";
    case FileStatus::DigestMismatch:
      return "DIGEST_MISMATCH";
    case FileStatus::Incomplete:
      return "INCOMPLETE";
    case FileStatus::TooLarge:
      return "TOO_LARGE";
    case FileStatus::BadOffset:
      return "BAD_OFFSET";
    case FileStatus::TooManyUploads:
      return "TOO_MANY_UPLOADS";
    case FileStatus::UnknownUpload:
      return "UNKNOWN_UPLOAD";
    case FileStatus::StoreFailed:
      return "STORE_FAILED";
    case FileStatus::ShuttingDown:
      return "SHUTTING_DOWN";
  }
  return "undefined";
}

Result<FileBegin> parseFileBegin(ByteView body) {
  ByteReader r(body);
  FileBegin b;
  if (!r.readU32BE(b.upload)) return makeError("FILE_BEGIN upload", 0, "4 bytes");
  if (b.upload == 0) return uploadZero("FILE_BEGIN");
  if (!r.readU8(b.kind)) return makeError("FILE_BEGIN kind", 4, "1 byte");
  if (!uploadFileKindName(b.kind))
    return makeError("FILE_BEGIN kind", 4,
                     "a file kind 0x00 to 0x05, not " + std::to_string(b.kind));
  if (!r.readU32BE(b.size)) return makeError("FILE_BEGIN size", 5, "4 bytes");
  if (b.size == 0) return makeError("FILE_BEGIN size", 5, "a size from 1 byte, not 0");
  ByteView digest;
  if (!r.readBytes(kSha256Bytes, digest)) return makeError("FILE_BEGIN sha256", 9, "32 bytes");
  std::copy(digest.begin(), digest.end(), b.sha256.begin());
  if (!r.readU32BE(b.downloadedAt)) return makeError("FILE_BEGIN downloadedAt", 41, "4 bytes");
  std::string why;
  if (!fields::readString(r, 0, kMaxRegistrationChars, b.registration, why))
    return makeError("FILE_BEGIN registration", 45, why);
  if (r.remaining() != 0)
    return exactSize("FILE_BEGIN", kFileBeginFixedBytes + 1 + b.registration.size(), body.size());
  return b;
}

Result<FileChunk> parseFileChunk(ByteView body) {
  ByteReader r(body);
  FileChunk c;
  if (!r.readU32BE(c.upload)) return makeError("FILE_CHUNK upload", 0, "4 bytes");
  if (c.upload == 0) return uploadZero("FILE_CHUNK");
  if (!r.readU32BE(c.offset)) return makeError("FILE_CHUNK offset", 4, "4 bytes");
  if (r.remaining() == 0) return makeError("FILE_CHUNK bytes", 8, "at least 1 byte of the file");
  c.bytes = r.rest();
  return c;
}

Result<FileAck> parseFileAck(ByteView body) {
  if (body.size() != 12) return exactSize("FILE_ACK", 12, body.size());
  ByteReader r(body);
  FileAck a;
  r.readU32BE(a.upload);
  r.readU32BE(a.offset);
  r.readU32BE(a.window);
  if (a.upload == 0) return uploadZero("FILE_ACK");
  return a;
}

Result<std::uint32_t> parseFileEnd(ByteView body) {
  if (body.size() != 4) return exactSize("FILE_END", 4, body.size());
  ByteReader r(body);
  std::uint32_t upload = 0;
  r.readU32BE(upload);
  if (upload == 0) return uploadZero("FILE_END");
  return upload;
}

Result<FileResult> parseFileResult(ByteView body) {
  ByteReader r(body);
  FileResult f;
  std::uint32_t hi = 0, lo = 0;
  if (!r.readU32BE(f.upload) || !r.readU8(f.status) || !r.readU32BE(hi) || !r.readU32BE(lo))
    return makeError("FILE_RESULT", 0, "an upload (4 bytes), a status (1) and a file id (8)");
  if (f.upload == 0) return uploadZero("FILE_RESULT");
  f.fileId = std::uint64_t{hi} << 32 | lo;
  f.text = restText(r);
  return f;
}

void appendFileBegin(Bytes& out, const FileBegin& b) {
  Bytes body;
  ByteWriter w(body);
  w.writeU32BE(b.upload);
  w.writeU8(b.kind);
  w.writeU32BE(b.size);
  w.writeBytes(ByteView(b.sha256.data(), b.sha256.size()));
  w.writeU32BE(b.downloadedAt);
  fields::writeString(w, b.registration);
  appendFrame(out, static_cast<std::uint8_t>(FileFrameKind::FileBegin), body);
}

void appendFileChunk(Bytes& out, std::uint32_t upload, std::uint32_t offset, ByteView bytes) {
  Bytes body;
  body.reserve(kFileChunkHeaderBytes + bytes.size());
  ByteWriter w(body);
  w.writeU32BE(upload);
  w.writeU32BE(offset);
  w.writeBytes(bytes);
  appendFrame(out, static_cast<std::uint8_t>(FileFrameKind::FileChunk), body);
}

void appendFileAck(Bytes& out, const FileAck& a) {
  Bytes body;
  ByteWriter w(body);
  w.writeU32BE(a.upload);
  w.writeU32BE(a.offset);
  w.writeU32BE(a.window);
  appendFrame(out, static_cast<std::uint8_t>(FileFrameKind::FileAck), body);
}

void appendFileEnd(Bytes& out, std::uint32_t upload) {
  Bytes body;
  ByteWriter w(body);
  w.writeU32BE(upload);
  appendFrame(out, static_cast<std::uint8_t>(FileFrameKind::FileEnd), body);
}

void appendFileResult(Bytes& out, std::uint32_t upload, FileStatus status, std::uint64_t fileId,
                      const std::string& text) {
  Bytes body;
  ByteWriter w(body);
  w.writeU32BE(upload);
  w.writeU8(static_cast<std::uint8_t>(status));
  w.writeU32BE(static_cast<std::uint32_t>(fileId >> 32));
  w.writeU32BE(static_cast<std::uint32_t>(fileId));
  const std::size_t room = kMaxFrameBytes - kOverheadBytes - body.size();
  w.writeBytes(fields::view(text.size() > room ? text.substr(0, room) : text));
  appendFrame(out, static_cast<std::uint8_t>(FileFrameKind::FileResult), body);
}

}  // namespace dcgw::codecs::uplink
