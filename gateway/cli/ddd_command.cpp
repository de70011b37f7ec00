// `dcgw ddd`: the pure codecs (codecs/ddd) on files a user has, for a third party to compare
// with its own decoder; no gateway needed.
#include "gateway/cli/ddd_command.hpp"

#include <openssl/sha.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <ostream>

#include "codecs/ddd/naming.hpp"
#include "codecs/ddd/summary.hpp"
#include "codecs/ddd/summary_packet.hpp"
#include "codecs/json.hpp"
#include "codecs/timefmt.hpp"

namespace dcgw::cli {
namespace {

constexpr const char* kUsage =
    "usage: dcgw ddd [--downloaded-at YYYY-MM-DDTHH:MM:SSZ] [--utc-offset +HH:MM]\n"
    "                [--registration R] [--nation ALPHA] FILE...\n"
    "  prints per file one JSON line: file, size, sha256, summary (kind, generation, card or\n"
    "  vehicleUnit, warnings, error), names (eu, fr, es) and fileSummaryPacket (hex, or null).\n"
    "  --downloaded-at: the download time in names and packets (default: now);\n"
    "  --utc-offset: the local time of names (default +00:00, UTC);\n"
    "  --registration/--nation: the vehicle's, for names a file does not fill (card files).\n"
    "  Exit status 0: every file gave a summary; 1: one did not; 2: usage or unreadable file.\n";

std::string hex(const codecs::Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (std::uint8_t v : b) {
    s += kDigits[v >> 4];
    s += kDigits[v & 0xF];
  }
  return s;
}

// "+HH:MM" / "-HH:MM" to seconds; nullopt when malformed or beyond +-14:00.
std::optional<int> parseOffset(const std::string& s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  for (int i : {1, 2, 4, 5})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[1] - '0') * 10 + (s[2] - '0');
  const int m = (s[4] - '0') * 10 + (s[5] - '0');
  if (m > 59 || h * 60 + m > 14 * 60) return std::nullopt;
  const int seconds = (h * 60 + m) * 60;
  return s[0] == '-' ? -seconds : seconds;
}

}  // namespace

int runDdd(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::uint32_t downloadedAt =
      static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  int offset = 0;
  codecs::ddd::NamingContext context;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool hasValue = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
    if (a == "--downloaded-at" && hasValue) {
      auto t = codecs::parseTimeReal(args[++i]);
      if (!t) {
        err << "dcgw ddd: --downloaded-at '" << args[i]
            << "' is not a UTC time YYYY-MM-DDTHH:MM:SSZ\n";
        return 2;
      }
      downloadedAt = *t;
    } else if (a == "--utc-offset" && hasValue) {
      auto o = parseOffset(args[++i]);
      if (!o) {
        err << "dcgw ddd: --utc-offset '" << args[i]
            << "' is not +HH:MM or -HH:MM (at most 14:00)\n";
        return 2;
      }
      offset = *o;
    } else if (a == "--registration" && hasValue) {
      context.vehicleRegistration = args[++i];
    } else if (a == "--nation" && hasValue) {
      context.vehicleNationAlpha = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      err << "dcgw ddd: unknown option or missing value '" << a << "'\n" << kUsage;
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    err << kUsage;
    return 2;
  }
  context.localTime = static_cast<std::int64_t>(downloadedAt) + offset;
  int status = 0;
  for (const std::string& path : files) {
    std::ifstream f(path, std::ios::binary);
    if (!f.is_open()) {
      err << "dcgw ddd: cannot open " << path << '\n';
      return 2;
    }
    codecs::Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) {
      err << "dcgw ddd: cannot read " << path << '\n';
      return 2;
    }
    const auto parsed = codecs::ddd::parseFile(codecs::ByteView(data.data(), data.size()));
    if (!parsed.hasSummary()) status = 1;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(data.data(), data.size(), digest);
    std::string line;
    codecs::JsonWriter w(line);
    w.beginObject();
    w.key("file");
    w.string(path);
    w.key("size");
    w.integer(static_cast<std::int64_t>(data.size()));
    w.key("sha256");
    w.string(hex(codecs::Bytes(digest, digest + sizeof digest)));
    w.key("summary");
    w.raw(codecs::ddd::toJson(parsed));
    w.key("names");
    w.beginObject();
    for (auto c : {codecs::ddd::NamingConvention::Eu, codecs::ddd::NamingConvention::France,
                   codecs::ddd::NamingConvention::Spain}) {
      w.key(codecs::ddd::namingConventionName(c));
      w.string(codecs::ddd::conventionalName(parsed, c, context));
    }
    w.endObject();
    w.key("fileSummaryPacket");
    if (auto packet = codecs::ddd::fileSummaryPacket(parsed, downloadedAt)) {
      w.string(hex(*packet));
    } else {
      w.null();
    }
    w.endObject();
    out << line << '\n';
  }
  return status;
}

}  // namespace dcgw::cli
