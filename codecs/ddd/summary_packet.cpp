// Section 9's byte layouts filled from a ParsedFile; the decoder's tables
// (codecs/packets/file_summary.cpp) read these bytes back in tests.
#include "codecs/ddd/summary_packet.hpp"

#include "codecs/ddd/dictionary.hpp"

namespace dcgw::codecs::ddd {
namespace {

void putU32(Bytes& out, std::size_t offset, std::uint32_t v) {
  out[offset] = static_cast<std::uint8_t>(v >> 24);
  out[offset + 1] = static_cast<std::uint8_t>(v >> 16);
  out[offset + 2] = static_cast<std::uint8_t>(v >> 8);
  out[offset + 3] = static_cast<std::uint8_t>(v);
}

void putTime(Bytes& out, std::size_t offset, const std::optional<std::uint32_t>& t) {
  putU32(out, offset, t.value_or(0xFFFFFFFFu));
}

void putDatef(Bytes& out, std::size_t offset, const std::optional<CivilDate>& d) {
  if (!d) return;  // 00000000: no date
  auto bcd = [](int v) { return static_cast<std::uint8_t>((v / 10 % 10) << 4 | v % 10); };
  out[offset] = bcd(d->year / 100);
  out[offset + 1] = bcd(d->year % 100);
  out[offset + 2] = bcd(d->month);
  out[offset + 3] = bcd(d->day);
}

}  // namespace

void putUtf16Field(Bytes& out, std::size_t offset, std::string_view utf8, std::size_t size) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const char32_t cp = nextUtf8CodePoint(utf8, i);
    if (cp >= 0x10000) {
      if (at + 4 > size) break;
      const char32_t v = cp - 0x10000;
      const auto hi = static_cast<std::uint16_t>(0xD800 | v >> 10);
      const auto lo = static_cast<std::uint16_t>(0xDC00 | (v & 0x3FF));
      out[offset + at] = hi & 0xFF;
      out[offset + at + 1] = hi >> 8;
      out[offset + at + 2] = lo & 0xFF;
      out[offset + at + 3] = lo >> 8;
      at += 4;
    } else {
      if (at + 2 > size) break;
      out[offset + at] = static_cast<std::uint8_t>(cp & 0xFF);
      out[offset + at + 1] = static_cast<std::uint8_t>(cp >> 8);
      at += 2;
    }
  }
}

void putAsciiField(Bytes& out, std::size_t offset, std::string_view text, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    char c = i < text.size() ? text[i] : ' ';
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
    out[offset + i] = static_cast<std::uint8_t>(c);
  }
}

std::optional<Bytes> fileSummaryPacket(const ParsedFile& file, std::uint32_t downloadTime) {
  if ((file.kind == FileKind::DriverCard || file.kind == FileKind::WorkshopCard) && file.card) {
    const CardSummary& c = *file.card;
    const bool driver = file.kind == FileKind::DriverCard;
    Bytes p(driver ? 199 : 311, 0);
    p[0] = 0x66;
    p[1] = driver ? 0x00 : 0x01;
    putU32(p, 2, downloadTime);
    putAsciiField(p, 6, c.cardNumber.substr(0, 14), 14);
    putUtf16Field(p, 20, c.surname, 70);
    putUtf16Field(p, 90, c.firstNames, 70);
    const std::size_t at = driver ? 164 : 160;  // section 9.1 has the birth date first
    if (driver) putDatef(p, 160, c.birthDate);
    putTime(p, at, c.validityBegin);
    putTime(p, at + 4, c.expiryDate);
    putAsciiField(p, at + 8, c.issuingNationAlpha, 3);
    if (driver) {
      putAsciiField(p, 175, c.drivingLicenceNumber, 16);
      putTime(p, 191, c.activityFirstDay);
      putTime(p, 195, c.activityLastDay);
    } else {
      putUtf16Field(p, 171, c.workshopName, 70);
      putUtf16Field(p, 241, c.workshopAddress, 70);
    }
    return p;
  }
  if (file.kind == FileKind::VehicleUnit && file.vu) {
    const VehicleUnitSummary& v = *file.vu;
    Bytes p(155, 0);
    p[0] = 0x66;
    p[1] = 0x02;
    putU32(p, 2, downloadTime);
    putAsciiField(p, 6, v.vin, 17);
    putAsciiField(p, 23, v.registrationNationAlpha, 3);
    putUtf16Field(p, 26, v.registrationNumber, 26);
    putUtf16Field(p, 52, v.manufacturerName, 70);
    putAsciiField(p, 122, v.partNumber, 16);
    putAsciiField(p, 138, v.softwareVersion, 4);
    p[142] = v.authorisedSpeed.value_or(0xFF);
    putTime(p, 143, v.nextCalibrationDate);
    putTime(p, 147, v.downloadablePeriodBegin);
    putTime(p, 151, v.downloadablePeriodEnd);
    return p;
  }
  return std::nullopt;
}

}  // namespace dcgw::codecs::ddd
