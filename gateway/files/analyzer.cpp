// The default analysis: records the device's word for the kind and names the file neutrally.
#include "gateway/files/analyzer.hpp"

#include <cctype>
#include <ctime>

namespace dcgw::files {

Analysis notParsed(codecs::ByteView bytes, const FileContext& ctx) {
  (void)bytes;
  Analysis a;
  a.kind = ctx.announcedKind.empty() ? "unknown" : ctx.announcedKind;
  a.error = "not parsed: no tachograph parser is wired into this gateway";
  const std::time_t t = static_cast<std::time_t>(ctx.downloadedAtMs / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y%m%d_%H%M%S", &tm);
  std::string serial;
  for (char c : ctx.serial) serial += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  a.name = serial + "_" + when + ".DDD";
  return a;
}

}  // namespace dcgw::files
