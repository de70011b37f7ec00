// libFuzzer: parseVehicleUnit on arbitrary bytes never throws or reads out of bounds, ends, and
// what it yields keeps its contract: a summary or the error, warnings inside the file, JSON
// that parses.
#include <cstdint>
#include <cstdlib>

#include "codecs/ddd/parsers.hpp"
#include "codecs/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcgw::codecs;
  const ddd::ParsedFile f = ddd::parseVehicleUnit(ByteView(data, size));
  if (f.vu.has_value() == !f.error.empty()) std::abort();  // exactly one of the two
  for (const ddd::Warning& w : f.warnings) {
    if (w.offset > size || w.text.empty()) std::abort();
  }
  if (!parseJson(ddd::toJson(f)).ok()) std::abort();  // invalid UTF-8 or escaping
  return 0;
}
