// The two file parsers behind parseFile (summary.hpp): card files (TLV, Appendix 7 section 3.4.2)
// and vehicle-unit files (TV, Appendix 7 section 2.2.6: the TREPs of the download protocol).
#pragma once

#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd {

// A card file: blocks of tag (FID u16, appendix u8: 00 data / 01 signature for Gen1, 02 / 03 for
// Gen2), length u16, value. Never throws; problems become warnings or ParsedFile::error.
ParsedFile parseCard(ByteView data);

// A vehicle-unit file: TREP blocks (0x76 then the TREP: 01-05 Gen1, 21-25 Gen2v1, 31-35 Gen2v2),
// each as the download protocol sends it. Never throws; problems become warnings or the error.
ParsedFile parseVehicleUnit(ByteView data);

}  // namespace dcgw::codecs::ddd
