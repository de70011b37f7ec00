// Conventional names of downloaded tachograph files (seed 000, "Parsing tachograph data files"):
// the EU default (VDO's .DDD), France (.C1B / .V1B) and Spain (.TGD). schema/files.md, "Names".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd {

enum class NamingConvention : std::uint8_t { Eu, France, Spain };
// "eu", "fr", "es".
const char* namingConventionName(NamingConvention c);
std::optional<NamingConvention> parseNamingConvention(std::string_view text);

struct NamingContext {
  // The download time as the wall clock of the location shows it: seconds since 1970 of that
  // local time (UTC plus the location's offset at that moment).
  std::int64_t localTime{0};
  // The registration of the vehicle the tracker is fitted to (the device's), used where a name
  // wants one and the file has none (card files: France), and when a VU file has none.
  std::string vehicleRegistration;
  // NationAlpha of that registration when known (the VU's); empty: taken from the file.
  std::string vehicleNationAlpha;
};

// The file name for a parsed file under a convention. Every part comes from the file where the
// convention wants it (card number, names, VIN, registration), made safe for any file system:
// letters with diacritics folded to ASCII ("Müller" -> "Muller"), anything but letters, digits
// and '-' dropped, a missing part written as 'UNKNOWN'. Never empty, never a path.
std::string conventionalName(const ParsedFile& file, NamingConvention convention,
                             const NamingContext& context);

// The ASCII-safe form used in names: folded letters, digits and '-' kept, the rest dropped.
std::string fileNameSafe(std::string_view utf8);

}  // namespace dcgw::codecs::ddd
