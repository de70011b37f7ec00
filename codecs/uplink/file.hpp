// The uplink's file-upload frames (schema/uplink.md section 8.6): a tracker uploads a downloaded
// tachograph file in chunks, each acknowledged once stored durably, resumable after a drop.
// Bodies only; the framing is frame.hpp's. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/uplink/frame.hpp"

namespace dcgw::codecs::uplink {

enum class FileFrameKind : std::uint8_t {
  FileBegin = 0x40,   // D: upload, file kind, size, SHA-256, downloadedAt, registration
  FileChunk = 0x41,   // D: upload, offset, bytes
  FileAck = 0x42,     // G: upload, offset held durably, window
  FileEnd = 0x43,     // D: upload
  FileResult = 0x44,  // G: upload, status, file id, text
};
bool isFileKind(std::uint8_t kind);  // 0x40-0x44
const char* fileFrameKindName(std::uint8_t kind);

constexpr std::size_t kSha256Bytes = 32;
constexpr std::uint32_t kMaxFileBytes = 16u * 1024 * 1024;                  // 16 MiB
constexpr std::size_t kFileBeginFixedBytes = 4 + 1 + 4 + kSha256Bytes + 4;  // before registration
constexpr std::size_t kFileChunkHeaderBytes = 8;                            // upload, offset

// What the device says the file is (FILE_BEGIN); the gateway's analysis may say otherwise.
enum class UploadFileKind : std::uint8_t {
  Unknown = 0x00,
  DriverCard = 0x01,
  WorkshopCard = 0x02,
  ControlCard = 0x03,
  CompanyCard = 0x04,
  VehicleUnit = 0x05,
};
// "unknown", "driverCard", "workshopCard", "controlCard", "companyCard", "vehicleUnit"; nullptr
// for a byte that is none of them.
const char* uploadFileKindName(std::uint8_t kind);

// FILE_RESULT status codes (section 8.6.3).
enum class FileStatus : std::uint8_t {
  Ok = 0x00,              // stored durably and indexed; fileId names it
  DigestMismatch = 0x01,  // the bytes do not have the announced SHA-256; discarded
  Incomplete = 0x02,      // FILE_END before `size` bytes were sent; the upload stays
  TooLarge = 0x03,        // size over the gateway's limit (or 0)
  BadOffset = 0x04,       // a chunk not at the next offset, or past the size
  TooManyUploads = 0x05,  // the device or the gateway has its maximum of uploads open
  UnknownUpload = 0x06,   // a chunk or FILE_END for an upload not begun on this connection
  StoreFailed = 0x07,     // the gateway could not write (disk full...); the upload stays
  ShuttingDown = 0x08,    // the gateway is stopping; the upload stays
};
const char* fileStatusName(std::uint8_t status);

struct FileBegin {
  std::uint32_t upload{0};  // chosen by the device, 1 or more
  std::uint8_t kind{0};     // UploadFileKind
  std::uint32_t size{0};    // 1 to 16 MiB
  std::array<std::uint8_t, kSha256Bytes> sha256{};
  std::uint32_t downloadedAt{
      0};                    // seconds since 1970 UTC when the device downloaded it; 0: unknown
  std::string registration;  // 0 to 13 characters; empty: the device's
};
struct FileChunk {
  std::uint32_t upload{0};
  std::uint32_t offset{0};
  ByteView bytes;  // a view into the frame body, at least 1 byte
};
struct FileAck {
  std::uint32_t upload{0};
  std::uint32_t offset{0};  // bytes 0 .. offset-1 are held durably
  std::uint32_t window{0};  // the device may send chunks up to offset + window
};
struct FileResult {
  std::uint32_t upload{0};
  std::uint8_t status{0};
  std::uint64_t fileId{0};  // the stored file (status OK), else 0
  std::string text;
};

// The most file bytes one FILE_CHUNK carries within a gateway's maxFrameBytes.
constexpr std::size_t maxChunkBytes(std::size_t maxFrameBytes) {
  return maxFrameBytes - kOverheadBytes - kFileChunkHeaderBytes;
}

// Each parse checks the exact layout of section 8.6.2 and names the field that is wrong.
Result<FileBegin> parseFileBegin(ByteView body);
Result<FileChunk> parseFileChunk(ByteView body);
Result<FileAck> parseFileAck(ByteView body);
Result<std::uint32_t> parseFileEnd(ByteView body);
Result<FileResult> parseFileResult(ByteView body);

// Encoders append a whole frame to `out`. REQUIRES: fields within the limits above.
void appendFileBegin(Bytes& out, const FileBegin& b);
void appendFileChunk(Bytes& out, std::uint32_t upload, std::uint32_t offset, ByteView bytes);
void appendFileAck(Bytes& out, const FileAck& a);
void appendFileEnd(Bytes& out, std::uint32_t upload);
void appendFileResult(Bytes& out, std::uint32_t upload, FileStatus status, std::uint64_t fileId,
                      const std::string& text);

}  // namespace dcgw::codecs::uplink
