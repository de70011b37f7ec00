// TimeReal and Datef (Annex 1B) to and from ISO-8601 text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dcgw::codecs {

// TimeReal: seconds since 1970-01-01T00:00:00Z, rendered "YYYY-MM-DDTHH:MM:SSZ".
std::string formatTimeReal(std::uint32_t seconds);
// Accepts "YYYY-MM-DDTHH:MM:SSZ" (a trailing Z or +00:00 is optional). Empty on anything else or a
// moment a uint32 cannot hold.
std::optional<std::uint32_t> parseTimeReal(std::string_view text);

// Datef: four BCD bytes yyyy mm dd. Returns false when a nibble is not a decimal digit or the
// month/day are out of range. 00000000 means "no date".
struct CivilDate {
  int year, month, day;
};
bool decodeDatefBcd(const std::uint8_t bytes[4], CivilDate& out);
std::string formatDate(const CivilDate& d);
// "YYYY-MM-DD"; fills four BCD bytes.
bool parseDateToBcd(std::string_view text, std::uint8_t out[4]);
// "YYYY-MM-DD" (a real calendar date) -> days since 1970-01-01; nullopt on anything else.
std::optional<std::int64_t> parseIsoDateDays(std::string_view text);

}  // namespace dcgw::codecs
