// The vehicle-unit fields the summary reads (Annex 1C Appendix 1), shared by the Gen1 layouts
// and the Gen2 record arrays; every byte through ByteReader.
#include <cstdarg>
#include <cstdio>

#include "codecs/ddd/dictionary.hpp"
#include "codecs/ddd/vu_internal.hpp"

namespace dcgw::codecs::ddd::vu {

std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

namespace {

std::string text(std::uint8_t codePage, ByteView bytes, std::size_t offset, const char* field,
                 State& st) {
  bool ok = true;
  std::string s = decodeCodePage(codePage, bytes, &ok);
  if (!ok)
    st.warn(offset, format("%s: bytes that code page %u does not map became U+FFFD", field,
                           static_cast<unsigned>(codePage)));
  return s;
}

std::string ia5(ByteView bytes, std::size_t offset, const char* field, State& st) {
  bool ok = true;
  std::string s = decodeIa5(bytes, &ok);
  if (!ok) st.warn(offset, format("%s: bytes outside IA5 (7-bit ASCII) became '?'", field));
  return s;
}

// Name / Address (2.99, 2.2) and VehicleRegistrationNumber (2.167): codePage, then the text.
bool codePageText(ByteReader& r, std::size_t size, std::size_t base, const char* field, State& st,
                  std::string& out) {
  const std::size_t at = base + r.position();
  std::uint8_t codePage = 0;
  ByteView bytes;
  if (!r.readU8(codePage) || !r.readBytes(size, bytes)) return false;
  out = text(codePage, bytes, at, field, st);
  return true;
}

bool ia5Field(ByteReader& r, std::size_t size, std::size_t base, const char* field, State& st,
              std::string& out) {
  const std::size_t at = base + r.position();
  ByteView bytes;
  if (!r.readBytes(size, bytes)) return false;
  out = ia5(bytes, at, field, st);
  return true;
}

// ExtendedSerialNumber (2.72): serialNumber u32, monthYear BCD MMYY, type, manufacturerCode.
bool serialField(ByteReader& r, std::string& out) {
  std::uint32_t serial = 0;
  std::uint8_t month = 0, year = 0, type = 0, manufacturer = 0;
  if (!r.readU32BE(serial) || !r.readU8(month) || !r.readU8(year) || !r.readU8(type) ||
      !r.readU8(manufacturer))
    return false;
  // BCD digits printed as hexadecimal nibbles: a nibble above 9 shows as it is, not guessed.
  out = format("%u %X%X/%X%X type 0x%02X manufacturer 0x%02X", static_cast<unsigned>(serial),
               month >> 4, month & 0xF, year >> 4, year & 0xF, type, manufacturer);
  return true;
}

std::optional<std::uint32_t> timeAt(ByteReader& r) {
  std::uint32_t v = 0;
  if (!r.readU32BE(v)) return std::nullopt;
  return timeRealValue(v);
}

}  // namespace

void readVin(ByteView b, std::size_t offset, State& st) {
  ByteReader r(b);
  if (ia5Field(r, kVinSize, offset, "VehicleIdentificationNumber", st, st.vu.vin))
    st.vinRead = true;
}

void readRegistrationIdentification(ByteView b, std::size_t offset, State& st) {
  ByteReader r(b);
  std::uint8_t nation = 0xFF;
  if (!r.readU8(nation)) return;
  st.vu.registrationNation = nation;
  st.vu.registrationNationAlpha = nationAlpha(nation);
  st.nationRead = true;
  readRegistrationNumber(r.rest(), offset + 1, st);
}

void readRegistrationNumber(ByteView b, std::size_t offset, State& st) {
  ByteReader r(b);
  if (codePageText(r, 13, offset, "VehicleRegistrationNumber", st, st.vu.registrationNumber))
    st.registrationRead = true;
}

void readDownloadablePeriod(ByteView b, State& st) {
  ByteReader r(b);
  st.vu.downloadablePeriodBegin = timeAt(r);
  st.vu.downloadablePeriodEnd = timeAt(r);
}

void readIdentification(ByteView b, std::size_t offset, State& st) {
  ByteReader r(b);
  VehicleUnitSummary& v = st.vu;
  if (!codePageText(r, 35, offset, "vuManufacturerName", st, v.manufacturerName)) return;
  if (!codePageText(r, 35, offset, "vuManufacturerAddress", st, v.manufacturerAddress)) return;
  if (!ia5Field(r, 16, offset, "vuPartNumber", st, v.partNumber)) return;
  if (!serialField(r, v.serialNumber)) return;
  ia5Field(r, 4, offset, "vuSoftwareVersion", st, v.softwareVersion);
}

// Keeps the record whose calibration set the newest time (newTimeValue); on a tie the later
// record, as VUs append calibrations in the order they happened. Offsets within the record:
// vehicleRegistrationIdentification 112, authorisedSpeed 148, newTimeValue 159,
// nextCalibrationDate 163.
void readCalibration(ByteView b, std::size_t offset, State& st) {
  ByteReader r(b);
  Calibration c;
  if (!r.seek(159)) return;
  c.newTime = timeAt(r).value_or(0);
  if (st.latest && c.newTime < st.latest->newTime) return;
  c.nextCalibrationDate = timeAt(r);
  if (!r.seek(148) || !r.readU8(c.authorisedSpeed)) return;
  if (!r.seek(112) || !r.readU8(c.nation)) return;
  if (!codePageText(r, 13, offset, "VuCalibrationRecord.vehicleRegistrationNumber", st, c.number))
    return;
  st.latest = std::move(c);
}

}  // namespace dcgw::codecs::ddd::vu
