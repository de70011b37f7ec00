// libFuzzer: parseCard on arbitrary bytes never throws, reads out of bounds or hangs; it yields
// a summary or an error (never both, never neither), warnings point inside the file, and the
// summary JSON parses.
#include <cstdint>
#include <cstdlib>

#include "codecs/ddd/parsers.hpp"
#include "codecs/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcgw::codecs;
  const ddd::ParsedFile f = ddd::parseCard(ByteView(data, size));
  if (f.card.has_value() == !f.error.empty()) std::abort();
  if (f.vu.has_value()) std::abort();
  for (const ddd::Warning& w : f.warnings)
    if (w.offset > size || w.text.empty()) std::abort();
  if (!parseJson(ddd::toJson(f)).ok()) std::abort();  // names decoded to valid UTF-8 included
  return 0;
}
