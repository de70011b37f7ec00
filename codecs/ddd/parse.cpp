// parseFile: a vehicle-unit file begins with a TREP header (0x76 then the TREP), a card file
// with a TLV tag (EF_ICC, 0x0002 00, in a card download); anything else is tried as a card file
// so that its error names what was found there.
#include "codecs/ddd/parsers.hpp"

namespace dcgw::codecs::ddd {

ParsedFile parseFile(ByteView data) {
  if (data.empty()) {
    ParsedFile f;
    f.error = "the file is empty";
    return f;
  }
  if (data[0] == 0x76) return parseVehicleUnit(data);
  return parseCard(data);
}

}  // namespace dcgw::codecs::ddd
