// File names per convention. Names are built from ASCII only so that they survive every file
// system, archive format and e-mail gateway a fleet office meets; letters of Latin-1 and
// Latin Extended-A lose their diacritics, other scripts are dropped (then 'UNKNOWN').
#include "codecs/ddd/naming.hpp"

#include "codecs/ddd/dictionary.hpp"

#include <array>
#include <cstdio>

namespace dcgw::codecs::ddd {
namespace {

// U+00C0..U+00FF; '#' = more than one letter (below), '.' = not a letter (dropped).
constexpr std::string_view kLatin1 =
    "AAAAAA#CEEEEIIIIDNOOOOO.OUUUUY##aaaaaa#ceeeeiiiidnooooo.ouuuuy#y";
// U+0100..U+017F; '#' = more than one letter.
constexpr std::string_view kLatinExtA =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi##JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo##RrRrRr"
    "SsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
static_assert(kLatin1.size() == 64 && kLatinExtA.size() == 128);

std::string_view multiLetter(char32_t cp) {
  switch (cp) {
    case 0xC6:
      return "AE";
    case 0xDE:
      return "TH";
    case 0xDF:
      return "ss";
    case 0xE6:
      return "ae";
    case 0xFE:
      return "th";
    case 0x132:
      return "IJ";
    case 0x133:
      return "ij";
    case 0x152:
      return "OE";
    case 0x153:
      return "oe";
    default:
      return "";
  }
}

void appendFolded(std::string& out, char32_t cp) {
  if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
      cp == '-') {
    out += static_cast<char>(cp);
    return;
  }
  char c = '.';
  if (cp >= 0xC0 && cp <= 0xFF) c = kLatin1[cp - 0xC0];
  if (cp >= 0x100 && cp <= 0x17F) c = kLatinExtA[cp - 0x100];
  if (c == '#') {
    out += multiLetter(cp);
  } else if (c != '.') {
    out += c;
  }
}

std::string part(std::string_view utf8) {
  std::string s = fileNameSafe(utf8);
  return s.empty() ? "UNKNOWN" : s;
}

struct Clock {
  int year, month, day, hour, minute;
};

Clock civil(std::int64_t seconds) {
  // Days to a civil date: Howard Hinnant's algorithm (proleptic Gregorian).
  std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  const std::int64_t rem = seconds - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day, static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60)};
}

std::string digits(int value, int width) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%0*d", width, value);
  return buf.data();
}

std::string dateYmd(const Clock& t) {
  return digits(t.year, 4) + digits(t.month, 2) + digits(t.day, 2);
}
std::string timeHm(const Clock& t) {
  return digits(t.hour, 2) + digits(t.minute, 2);
}
std::string yymmddhhmm(const Clock& t) {
  return digits(t.year % 100, 2) + digits(t.month, 2) + digits(t.day, 2) + timeHm(t);
}

bool isCard(FileKind k) {
  return k == FileKind::DriverCard || k == FileKind::WorkshopCard || k == FileKind::ControlCard ||
         k == FileKind::CompanyCard;
}

std::string firstLetter(std::string_view utf8) {
  std::string s = fileNameSafe(utf8);
  return s.empty() ? "X" : s.substr(0, 1);
}

}  // namespace

const char* namingConventionName(NamingConvention c) {
  switch (c) {
    case NamingConvention::France:
      return "fr";
    case NamingConvention::Spain:
      return "es";
    case NamingConvention::Eu:
      break;
  }
  return "eu";
}

std::optional<NamingConvention> parseNamingConvention(std::string_view text) {
  if (text == "eu") return NamingConvention::Eu;
  if (text == "fr") return NamingConvention::France;
  if (text == "es") return NamingConvention::Spain;
  return std::nullopt;
}

std::string fileNameSafe(std::string_view utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size();) appendFolded(out, nextUtf8CodePoint(utf8, i));
  return out;
}

std::string conventionalName(const ParsedFile& file, NamingConvention convention,
                             const NamingContext& context) {
  const Clock t = civil(context.localTime);
  if (file.kind == FileKind::Unknown)
    return "U_" + dateYmd(t) + "_" + timeHm(t) + "_" + part(context.vehicleRegistration) + ".DDD";
  const bool card = isCard(file.kind);
  const CardSummary none{};
  const CardSummary& c = file.card ? *file.card : none;
  const VehicleUnitSummary noVu{};
  const VehicleUnitSummary& v = file.vu ? *file.vu : noVu;
  const std::string registration =
      !v.registrationNumber.empty() ? v.registrationNumber : context.vehicleRegistration;
  // The vehicle's nation (context) fills what a vehicle-unit file lacks; France names card files
  // after the vehicle, so there it comes first and the card's issuing nation is the fallback.
  std::string nation = card ? c.issuingNationAlpha : v.registrationNationAlpha;
  if (!context.vehicleNationAlpha.empty() &&
      ((card && convention == NamingConvention::France) || (!card && nation.empty())))
    nation = context.vehicleNationAlpha;
  switch (convention) {
    case NamingConvention::France:
      return part(nation) + part(registration) + yymmddhhmm(t) + (card ? ".C1B" : ".V1B");
    case NamingConvention::Spain:
      if (card)
        return "C_" + part(c.cardNumber) + "_" + part(nation) + "_" + dateYmd(t) + "_" + timeHm(t) +
               ".TGD";
      return "V_" + part(registration) + "_" + part(nation) + "_" + dateYmd(t) + "_" + timeHm(t) +
             ".TGD";
    case NamingConvention::Eu:
      break;
  }
  if (card)
    return "C_" + dateYmd(t) + "_" + timeHm(t) + "_" + firstLetter(c.firstNames) + "_" +
           part(c.surname) + "_" + part(c.cardNumber) + ".DDD";
  return "M_" + dateYmd(t) + "_" + timeHm(t) + "_" + part(registration) + "_" + part(v.vin) +
         ".DDD";
}

}  // namespace dcgw::codecs::ddd
