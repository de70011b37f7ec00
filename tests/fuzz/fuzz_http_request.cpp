// libFuzzer target: the admin API's HTTP/1.1 request parser (gateway/admin/http_parser.hpp) on
// arbitrary bytes, fed in pieces as a socket would give them. Checked: a body is never over
// its limit, the buffer only shrinks by what was parsed, and the same bytes fed whole or in
// pieces give the same requests (a split never changes the framing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gateway/admin/http_parser.hpp"

namespace {

using dcgw::admin::HttpLimits;
using dcgw::admin::RequestParser;

// Each request as method, target and body, then the status of the error that ended it (or 0).
std::vector<std::string> parseAll(const std::string& bytes, std::size_t piece,
                                  const HttpLimits& limits) {
  std::vector<std::string> out;
  RequestParser parser(limits);
  std::string in;
  std::size_t given = 0;
  for (;;) {
    const std::size_t before = in.size();
    const RequestParser::Status s = parser.feed(in);
    if (in.size() > before) std::abort();  // the parser never adds bytes
    if (s == RequestParser::Status::Error) {
      out.push_back("error " + std::to_string(parser.errorStatus()));
      return out;
    }
    if (s == RequestParser::Status::Complete) {
      const auto& r = parser.request();
      if (r.body.size() > limits.maxBodyBytes) std::abort();
      out.push_back(r.method + " " + r.target + " " + r.body);
      parser.reset();
      continue;
    }
    if (given >= bytes.size()) return out;
    const std::size_t n = std::min(piece, bytes.size() - given);
    in.append(bytes, given, n);
    given += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte picks the piece size and small limits, so they are reached.
  const std::size_t piece = 1 + data[0] % 17;
  HttpLimits limits;
  limits.maxHeadBytes = 64 + (data[0] & 0x3f) * 16;
  limits.maxBodyBytes = 16 + (data[0] >> 6) * 64;
  limits.maxHeaderFields = 8;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = parseAll(bytes, bytes.size() + 1, limits);
  const auto pieces = parseAll(bytes, piece, limits);
  // Fed whole, a request that needs more is not reported; fed in pieces, the same requests
  // come in the same order (an error included, unless a limit is met at another point).
  for (std::size_t i = 0; i < whole.size() && i < pieces.size(); ++i)
    if (whole[i] != pieces[i] && whole[i].rfind("error 431", 0) != 0 &&
        pieces[i].rfind("error 431", 0) != 0)
      std::abort();
  return 0;
}
