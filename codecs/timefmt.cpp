// Civil calendar arithmetic for TimeReal and Datef (proleptic Gregorian, UTC).
#include "codecs/timefmt.hpp"

#include <cstdio>

namespace dcgw::codecs {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

bool isLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool parseDate(std::string_view s, int& y, int& mo, int& d) {
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

}  // namespace

std::string formatTimeReal(std::uint32_t seconds) {
  std::int64_t days = seconds / 86400;
  unsigned rem = seconds % 86400;
  int y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, rem / 3600,
                (rem / 60) % 60, rem % 60);
  return buf;
}

std::optional<std::uint32_t> parseTimeReal(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!parseDate(s, y, mo, d)) return std::nullopt;
  if (s.size() < 19 || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  std::string_view tail = s.substr(19);
  if (!(tail.empty() || tail == "Z" || tail == "+00:00")) return std::nullopt;
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  std::int64_t t = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                   h * 3600 + mi * 60 + se;
  if (t < 0 || t > 0xFFFFFFFFLL) return std::nullopt;
  return static_cast<std::uint32_t>(t);
}

bool decodeDatefBcd(const std::uint8_t b[4], CivilDate& out) {
  int v[8];
  for (int i = 0; i < 4; ++i) {
    v[2 * i] = b[i] >> 4;
    v[2 * i + 1] = b[i] & 0x0F;
  }
  for (int x : v)
    if (x > 9) return false;
  out.year = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
  out.month = v[4] * 10 + v[5];
  out.day = v[6] * 10 + v[7];
  if (out.year == 0 && out.month == 0 && out.day == 0) return true;  // "no date"
  return out.month >= 1 && out.month <= 12 && out.day >= 1 &&
         out.day <= daysInMonth(out.year, out.month);
}

std::string formatDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year % 10000, d.month % 100, d.day % 100);
  return buf;
}

bool parseDateToBcd(std::string_view text, std::uint8_t out[4]) {
  int y, m, d;
  if (text.size() != 10 || !parseDate(text, y, m, d)) return false;
  auto bcd = [](int v) { return static_cast<std::uint8_t>((v / 10) << 4 | (v % 10)); };
  out[0] = bcd(y / 100);
  out[1] = bcd(y % 100);
  out[2] = bcd(m);
  out[3] = bcd(d);
  return true;
}

std::optional<std::int64_t> parseIsoDateDays(std::string_view text) {
  int y, m, d;
  if (text.size() != 10 || !parseDate(text, y, m, d)) return std::nullopt;
  return daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace dcgw::codecs
