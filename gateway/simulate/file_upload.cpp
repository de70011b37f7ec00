// `dcgw simulate --upload FILE`: one tracker uploading a tachograph file through the uplink's
// file frames (schema/uplink.md section 8.6), printing each FILE_ACK and the FILE_RESULT. The
// upload id is taken from the file's SHA-256 unless given, so running the same command again
// resumes where the gateway holds the upload; --upload-stop-after drops the connection once that
// many bytes are acknowledged, to show (and test) a resume.
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/uplink/file.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/simulate/link_login.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {

namespace up = codecs::uplink;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;

namespace {

constexpr const char* kUsage =
    R"(usage: dcgw simulate --upload FILE [--kind KIND] [--upload-id N] [--upload-stop-after BYTES]
         [--registration REG] [--downloaded-at SECONDS] [--host H] [--port P]
         [--first-serial SERIAL] [--key HEX] [--tls [--ca-file F] [--insecure]]

Logs in as one tracker (SERIAL, default 12345678) and uploads FILE (schema/uplink.md section
8.6): FILE_BEGIN, chunks within the gateway's window, FILE_END; prints one line per FILE_ACK and
the FILE_RESULT. KIND: driver-card, workshop-card, control-card, company-card, vehicle-unit or
unknown (the default). N: the upload id (default: from the file's SHA-256, so the same command
resumes an interrupted upload). --upload-stop-after: drop the connection once BYTES are
acknowledged. SECONDS: when the file was downloaded (seconds since 1970 UTC; default 0, the
gateway's time of receipt).
Exit status: 0 stored (FILE_RESULT OK), 1 refused or failed, 2 bad options, 3 stopped by
--upload-stop-after.
)";

constexpr const char* kDemoKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

std::optional<std::uint8_t> kindOf(std::string v) {
  std::replace(v.begin(), v.end(), '_', '-');
  const std::pair<const char*, const char*> names[] = {{"unknown", "unknown"},
                                                       {"driver-card", "driverCard"},
                                                       {"workshop-card", "workshopCard"},
                                                       {"control-card", "controlCard"},
                                                       {"company-card", "companyCard"},
                                                       {"vehicle-unit", "vehicleUnit"}};
  for (std::uint8_t i = 0; i < 6; ++i)
    if (v == names[i].first || v == names[i].second) return i;
  return std::nullopt;
}

}  // namespace

int runFileUpload(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  common::LinkOptions link;
  link.port = 7700;
  std::string serial = "12345678", keyHex = kDemoKey, path;
  up::FileBegin begin;
  bool idGiven = false;
  std::uint64_t stopAfter = 0;
  auto number = [](const std::string& v, std::uint64_t lo, std::uint64_t hi, std::uint64_t& n) {
    auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    return r.ec == std::errc() && r.ptr == v.data() + v.size() && n >= lo && n <= hi;
  };
  auto bad = [&err](const std::string& option, const std::string& expected) {
    err << "dcgw simulate: " << option << ": " << expected << '\n';
    return 2;
  };
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    auto value = [&] {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    std::uint64_t n = 0;
    if (a == "--tls") {
      link.tls = true;
    } else if (a == "--insecure") {
      link.insecure = true;
    } else if (a == "--upload" && value()) {
      path = v;
    } else if (a == "--kind" && value()) {
      auto k = kindOf(v);
      if (!k)
        return bad("--kind",
                   "driver-card, workshop-card, control-card, company-card, vehicle-unit or "
                   "unknown, not '" +
                       v + "'");
      begin.kind = *k;
    } else if (a == "--upload-id" && value()) {
      if (!number(v, 1, 0xFFFFFFFF, n)) return bad("--upload-id", "from 1 to 4294967295");
      begin.upload = static_cast<std::uint32_t>(n);
      idGiven = true;
    } else if (a == "--upload-stop-after" && value()) {
      if (!number(v, 1, up::kMaxFileBytes, n)) return bad("--upload-stop-after", "bytes from 1");
      stopAfter = n;
    } else if (a == "--registration" && value()) {
      if (v.size() > up::kMaxRegistrationChars)
        return bad("--registration", "at most 13 characters");
      begin.registration = v;
    } else if (a == "--downloaded-at" && value()) {
      if (!number(v, 0, 0xFFFFFFFF, n)) return bad("--downloaded-at", "seconds since 1970");
      begin.downloadedAt = static_cast<std::uint32_t>(n);
    } else if (a == "--host" && value()) {
      link.host = v;
    } else if (a == "--port" && value()) {
      if (!number(v, 1, 65535, n)) return bad("--port", "a port number from 1 to 65535");
      link.port = static_cast<std::uint16_t>(n);
    } else if (a == "--first-serial" && value()) {
      serial = v;
    } else if (a == "--key" && value()) {
      keyHex = v;
    } else if (a == "--ca-file" && value()) {
      link.caFile = v;
    } else {
      return bad(a,
                 "unknown with --upload, or its value is missing (see dcgw simulate --upload "
                 "--help)");
    }
  }
  Bytes key;
  if (!codecs::fromHex(keyHex, key) || key.size() < 16)
    return bad("--key", "the device key in hex, 32 to 128 digits");
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("--upload", "a readable file, not '" + path + "'");
  const Bytes file{std::istreambuf_iterator<char>(in), {}};
  if (file.empty() || file.size() > up::kMaxFileBytes)
    return bad("--upload",
               "a file of 1 byte to 16 MiB (" + path + " has " + std::to_string(file.size()) + ")");
  begin.size = static_cast<std::uint32_t>(file.size());
  SHA256(file.data(), file.size(), begin.sha256.data());
  if (!idGiven) {
    begin.upload = std::uint32_t{begin.sha256[0]} << 24 | std::uint32_t{begin.sha256[1]} << 16 |
                   std::uint32_t{begin.sha256[2]} << 8 | begin.sha256[3];
    if (begin.upload == 0) begin.upload = 1;
  }

  std::string why;
  auto l = FrameLink::open(link, why);
  if (!l) {
    err << "dcgw simulate: " << why << '\n';
    return 1;
  }
  LinkFrame f;
  auto receive = [&](int ms) { return nextFrame(*l, ms, f, why); };
  Bytes b;
  auto welcome = loginOnLink(*l, serial, key, why);
  if (!welcome) {
    err << "dcgw simulate: " << why << '\n';
    return 1;
  }
  if (std::find(welcome->capabilities.begin(), welcome->capabilities.end(), std::uint8_t{0x02}) ==
      welcome->capabilities.end()) {
    out << "refused: the gateway does not take file uploads (its WELCOME announces no file "
           "capability: is files.enabled false in its configuration?)\n";
    return 1;
  }
  out << "logged in as " << serial << '\n';
  const std::string sha = codecs::toHex(codecs::ByteView(begin.sha256.data(), 32));
  out << "FILE_BEGIN upload " << begin.upload << ": " << up::uploadFileKindName(begin.kind) << ", "
      << file.size() << " bytes, sha256 " << sha << '\n';
  b.clear();
  up::appendFileBegin(b, begin);
  l->send(b);

  const std::size_t maxChunk = up::maxChunkBytes(welcome->maxFrameBytes);
  std::uint64_t sent = 0, acked = 0, window = 0;
  bool begun = false, ended = false;
  for (;;) {
    if (begun && !ended) {
      while (sent < file.size() && sent < acked + window) {
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>({maxChunk, file.size() - sent, acked + window - sent}));
        b.clear();
        up::appendFileChunk(b, begin.upload, static_cast<std::uint32_t>(sent),
                            codecs::ByteView(file).subspan(static_cast<std::size_t>(sent), n));
        l->send(b);
        sent += n;
      }
      if (acked == file.size()) {
        b.clear();
        up::appendFileEnd(b, begin.upload);
        l->send(b);
        out << "FILE_END upload " << begin.upload << '\n';
        ended = true;
      }
    }
    if (!receive(60'000)) {
      err << "dcgw simulate: upload " << begin.upload << ": " << why << '\n';
      return 1;
    }
    if (f.kind == static_cast<std::uint8_t>(up::FileFrameKind::FileAck)) {
      auto a = up::parseFileAck(f.body);
      if (!a || a->upload != begin.upload) continue;
      out << "FILE_ACK upload " << a->upload << ": offset " << a->offset << ", window " << a->window
          << '\n';
      acked = a->offset;
      window = a->window;
      if (!begun) sent = acked;  // the offset the gateway holds: a resume starts there
      begun = true;
      if (stopAfter > 0 && acked >= stopAfter && acked < file.size()) {
        out << "stopped: " << acked << " of " << file.size()
            << " bytes acknowledged; the connection is dropped (run again to resume)\n";
        return 3;
      }
    } else if (f.kind == static_cast<std::uint8_t>(up::FileFrameKind::FileResult)) {
      auto r = up::parseFileResult(f.body);
      if (!r || r->upload != begin.upload) continue;
      out << "FILE_RESULT upload " << r->upload << ": " << up::fileStatusName(r->status)
          << ", file " << r->fileId << ": " << r->text << '\n';
      return r->status == static_cast<std::uint8_t>(up::FileStatus::Ok) ? 0 : 1;
    }
  }
}

}  // namespace dcgw::simulate
