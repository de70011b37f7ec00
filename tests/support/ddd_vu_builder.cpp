// Synthetic vehicle-unit files: Gen1 fixed layouts and Gen2 record arrays of Annex 1C
// Appendix 7 section 2.2.6 (DDP_029-DDP_033), element sizes from the Appendix 1 data dictionary.
#include "tests/support/ddd_vu_builder.hpp"

#include <stdexcept>

namespace dcgw::testing {
namespace {

using codecs::Bytes;
using codecs::ByteWriter;
using codecs::ddd::Generation;

bool gen2(const VuSpec& s) {
  return s.generation != Generation::Gen1;
}
bool v2(const VuSpec& s) {
  return s.generation == Generation::Gen2v2;
}

std::uint8_t trep(const VuSpec& s, std::uint8_t base) {
  if (s.generation == Generation::Gen1) return base;
  if (base == 4) return 0x24;  // DDP_032: one Gen2 detailed speed structure for both versions
  return static_cast<std::uint8_t>((v2(s) ? 0x30 : 0x20) | base);
}

Bytes header(const VuSpec& s, std::uint8_t base) {
  return Bytes{0x76, trep(s, base)};
}

// A fixed-size field: the bytes, then `pad` up to `size` (IA5 and code-page text pad with
// spaces; binary filler with a recognisable pattern).
void put(Bytes& out, const std::string& text, std::size_t size, std::uint8_t pad = ' ') {
  if (text.size() > size) throw std::invalid_argument("field too long: " + text);
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), size - text.size(), pad);
}

void filler(Bytes& out, std::size_t n, std::uint8_t seed) {
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(seed + i * 7));
}

// Name / Address (2.99, 2.2): codePage then 35 bytes.
void name(Bytes& out, std::uint8_t codePage, const std::string& text) {
  out.push_back(codePage);
  put(out, text, 35);
}

// FullCardNumber (2.73, 18 bytes) and, for Gen2, FullCardNumberAndGeneration (2.74, 19).
void cardNumber(Bytes& out, const VuSpec& s, int n) {
  out.push_back(0x01);  // driver card
  out.push_back(0x0D);
  put(out, "SYNTH" + std::to_string(1000000 + n) + "00", 16);
  if (gen2(s)) out.push_back(0x02);
}

// A Gen2 record array (section 2.2.6 remark): recordType, recordSize, noOfRecords, records.
void array(Bytes& out, std::uint8_t type, std::size_t size, const std::vector<Bytes>& records) {
  ByteWriter w(out);
  w.writeU8(type);
  w.writeU16BE(static_cast<std::uint16_t>(size));
  w.writeU16BE(static_cast<std::uint16_t>(records.size()));
  for (const Bytes& r : records) {
    if (r.size() != size) throw std::logic_error("record of type " + std::to_string(type));
    w.writeBytes(r);
  }
}

// Gen1: a count (u8 or u16) then the records; Gen2: the record array.
void counted(Bytes& out, const VuSpec& s, int countBytes, std::uint8_t type, std::size_t size,
             const std::vector<Bytes>& records) {
  if (gen2(s)) return array(out, type, size, records);
  ByteWriter w(out);
  if (countBytes == 1) {
    w.writeU8(static_cast<std::uint8_t>(records.size()));
  } else {
    w.writeU16BE(static_cast<std::uint16_t>(records.size()));
  }
  for (const Bytes& r : records) w.writeBytes(r);
}

// One element that Gen2 wraps in a one-record array.
void single(Bytes& out, const VuSpec& s, std::uint8_t type, const Bytes& record) {
  if (gen2(s)) return array(out, type, record.size(), {record});
  out.insert(out.end(), record.begin(), record.end());
}

// OdometerShort (2.113) and the other 3-byte integers: big-endian like every Annex 1C INTEGER.
void u24(Bytes& out, std::uint32_t v) {
  out.insert(out.end(), {static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                         static_cast<std::uint8_t>(v)});
}

Bytes u32(std::uint32_t v) {
  Bytes b;
  ByteWriter(b).writeU32BE(v);
  return b;
}

Bytes filled(std::size_t n, std::uint8_t seed) {
  Bytes b;
  filler(b, n, seed);
  return b;
}

// Gen1 RSA signature 128 bytes; Gen2 an ECC signature (64 bytes for a 256-bit curve) in a
// SignatureRecordArray (type 08).
void signature(Bytes& out, const VuSpec& s) {
  single(out, s, 0x08, filled(gen2(s) ? 64 : 128, 0x5A));
}

Bytes registrationId(std::uint8_t nation, std::uint8_t codePage, const std::string& number) {
  Bytes b{nation, codePage};
  put(b, number, 13);
  return b;
}

Bytes calibrationRecord(const VuSpec& s, const VuCalibrationSpec& c, int n) {
  Bytes b;
  ByteWriter w(b);
  w.writeU8(0x03);  // calibrationPurpose: periodic inspection
  name(b, 1, "Synthetic Workshop " + std::to_string(n));
  name(b, 1, "1 Test Street");
  cardNumber(b, VuSpec{}, 50 + n);        // FullCardNumber in every generation
  w.writeU32BE(c.newTime + 86400 * 365);  // workshopCardExpiryDate
  put(b, s.vin, 17);
  w.writeBytes(registrationId(c.nation, 1, c.registrationNumber));
  w.writeU16BE(8000);  // wVehicleCharacteristicConstant
  w.writeU16BE(8000);  // kConstantOfRecordingEquipment
  w.writeU16BE(3200);  // lTyreCircumference
  put(b, "315/80R22.5", 15);
  w.writeU8(c.authorisedSpeed);
  u24(b, 0);  // oldOdometerValue
  u24(b, 0x010000);
  w.writeU32BE(c.oldTime);
  w.writeU32BE(c.newTime);
  w.writeU32BE(c.nextCalibrationDate);
  if (v2(s)) {
    filler(b, 8 * 3, 0x30);  // sensorSerialNumber, sensorGNSSSerialNumber, rcmSerialNumber
  }
  if (gen2(s)) filler(b, 5 * 9, 0x40);  // sealDataVu: 5 SealRecords
  if (v2(s)) {
    w.writeU8(0);             // byDefaultLoadType
    w.writeU8(0x0D);          // calibrationCountry
    w.writeU32BE(c.newTime);  // calibrationCountryTimestamp
  }
  return b;
}

}  // namespace

VuSpec sampleVuSpec(Generation gen) {
  VuSpec s;
  s.generation = gen;
  s.downloadInterfaceVersion = gen == Generation::Gen2v2;
  const std::string tag = gen == Generation::Gen1 ? "1" : gen == Generation::Gen2v1 ? "2" : "3";
  s.vin = "SYNTHVIN0000000" + tag + "7";
  s.registrationNation = 0x0D;  // D
  s.registrationCodePage = 1;
  s.registrationNumber =
      "M-\xDC"
      "B " +
      tag + "23";              // "M-ÜB 123" in ISO/IEC 8859-1
  s.currentTime = 1764460800;  // 2025-11-30
  s.periodBegin = 1736467200;  // 2025-01-10
  s.periodEnd = 1764460000;
  s.manufacturerCodePage = 2;
  s.manufacturerName =
      "\xA3\xF3"
      "d\xBC Tacho Works";  // "Łódź Tacho Works" in ISO/IEC 8859-2
  s.manufacturerAddress = "ul. Testowa 1, 90-001";
  s.partNumber = "PN-SYN-" + tag + "0042";
  s.serialNumber = 12345670 + static_cast<std::uint32_t>(tag[0] - '0');
  s.serialMonthYear[0] = 0x04;  // April
  s.serialMonthYear[1] = 0x19;  // 2019
  s.serialType = 0x0A;
  s.serialManufacturer = 0x41;
  s.softwareVersion = "V" + tag + ".2";
  s.softwareInstalled = 1558310400;  // 2019-05-20
  s.manufacturingDate = 1554163200;  // 2019-04-02
  const std::string reg = s.registrationNumber;
  s.calibrations = {
      {1709164800, 1709251200, 90, 1772323200, 0x0D, reg},   // 2024-03-01, next 2026-03-01
      {1749859200, 1749945600, 85, 1813017600, 0x0D, reg},   // 2025-06-15 (latest), 2027-06-15
      {1673222400, 1673308800, 100, 1736467200, 0x0D, reg},  // 2023-01-10, next 2025-01-10
  };
  s.firstDay = 1764201600;  // 2025-11-27
  return s;
}

Bytes overviewBlock(const VuSpec& s) {
  Bytes out = header(s, 1);
  // Certificates: Gen1 194 bytes each (2.96, 2.181); Gen2 of variable size (2.41), one each.
  single(out, s, 0x04, filled(gen2(s) ? 205 : 194, 0x11));
  single(out, s, 0x0F, filled(gen2(s) ? 205 : 194, 0x22));
  Bytes vin;
  put(vin, s.vin, 17);
  single(out, s, 0x0A, vin);
  Bytes reg = registrationId(s.registrationNation, s.registrationCodePage, s.registrationNumber);
  if (s.generation == Generation::Gen2v1) {
    array(out, 0x0B, 14, {Bytes(reg.begin() + 1, reg.end())});  // VehicleRegistrationNumber
  } else {
    single(out, s, 0x24, reg);  // VehicleRegistrationIdentification (type 24 in version 2)
  }
  single(out, s, 0x03, u32(s.currentTime));
  Bytes period = u32(s.periodBegin);
  ByteWriter(period).writeU32BE(s.periodEnd);
  single(out, s, 0x13, period);
  single(out, s, 0x02, Bytes{0x11});  // CardSlotsStatus: driver cards in both slots
  Bytes download = u32(s.periodEnd);  // VuDownloadActivityData: time, card, company name
  cardNumber(download, s, 7);
  name(download, 1, "Synthetic Haulage");
  single(out, s, 0x14, download);
  Bytes lock = u32(s.periodBegin);  // VuCompanyLocksRecord: in, out, name, address, card
  ByteWriter(lock).writeU32BE(0);
  name(lock, 1, "Synthetic Haulage");
  name(lock, 1, "2 Depot Road");
  cardNumber(lock, s, 8);
  counted(out, s, 1, 0x10, lock.size(), {lock});
  Bytes control{0x02};  // VuControlActivityRecord: type, time, card, download begin and end
  ByteWriter(control).writeU32BE(s.periodEnd - 86400);
  cardNumber(control, s, 9);
  ByteWriter(control).writeU32BE(s.periodBegin);
  ByteWriter(control).writeU32BE(s.periodEnd);
  counted(out, s, 1, 0x11, control.size(), {control});
  signature(out, s);
  return out;
}

Bytes activitiesBlock(const VuSpec& s, std::uint32_t day) {
  Bytes out = header(s, 2);
  single(out, s, 0x06, u32(day));
  Bytes odometer;
  u24(odometer, 0x012200);
  single(out, s, 0x05, odometer);  // OdometerValueMidnight
  std::vector<Bytes> cards;
  for (int i = 0; i < s.cardInsertionsPerDay; ++i) {
    Bytes iw;  // VuCardIWRecord (2.177): Gen1 129 bytes, Gen2 131
    name(iw, 1, "Example");
    name(iw, 1, "Driver " + std::to_string(i));
    cardNumber(iw, s, i);
    ByteWriter w(iw);
    w.writeU32BE(day + 86400 * 400);  // cardExpiryDate
    w.writeU32BE(day + 3600);         // cardInsertionTime
    u24(iw, 0x012000);
    w.writeU8(0);              // cardSlotNumber: driver
    w.writeU32BE(day + 7200);  // cardWithdrawalTime
    u24(iw, 0x012100);
    w.writeBytes(registrationId(0x0D, 1, "PREV 1"));  // previousVehicleInfo
    w.writeU32BE(day - 3600);
    if (gen2(s)) w.writeU8(0x01);  // vuGeneration
    w.writeU8(0);                  // manualInputFlag
    cards.push_back(iw);
  }
  counted(out, s, 2, 0x0D, gen2(s) ? 131 : 129, cards);
  std::vector<Bytes> changes;  // ActivityChangeInfo (2.1): the two slots at 00:00, then changes
  for (int i = 0; i < s.activityChangesPerDay + 2; ++i)
    changes.push_back(
        Bytes{static_cast<std::uint8_t>(0x18 + (i & 3)), static_cast<std::uint8_t>(i * 3)});
  counted(out, s, 2, 0x01, 2, changes);
  Bytes place;  // VuPlaceDailyWorkPeriodRecord: card, PlaceRecord (Gen2: + GNSS place, auth)
  cardNumber(place, s, 0);
  ByteWriter(place).writeU32BE(day + 3600);
  filler(place, 6, 0x61);
  if (gen2(s)) filler(place, 11, 0x62);
  if (v2(s)) place.push_back(0x01);
  counted(out, s, 1, 0x1C, place.size(), {place});
  if (gen2(s)) array(out, 0x16, v2(s) ? 57 : 56, {});  // VuGNSSADRecordArray, empty
  Bytes condition = u32(day + 5000);                   // SpecificConditionRecord: time, type
  condition.push_back(0x01);
  counted(out, s, 2, 0x09, 5, {condition});
  if (v2(s)) {
    array(out, 0x22, 55, {filled(55, 0x70)});  // VuBorderCrossingRecord
    array(out, 0x23, 58, {});                  // VuLoadUnloadRecord
  }
  signature(out, s);
  return out;
}

Bytes eventsAndFaultsBlock(const VuSpec& s) {
  Bytes out = header(s, 3);
  const std::size_t cards = gen2(s) ? 4 * 19 : 4 * 18;
  std::vector<Bytes> faults, events;
  for (int i = 0; i < s.faults; ++i) faults.push_back(filled(10 + cards + (gen2(s) ? 2 : 0), 1));
  for (int i = 0; i < s.events; ++i) events.push_back(filled(11 + cards + (gen2(s) ? 2 : 0), 2));
  counted(out, s, 1, 0x18, 10 + cards + (gen2(s) ? 2 : 0), faults);
  counted(out, s, 1, 0x15, 11 + cards + (gen2(s) ? 2 : 0), events);
  single(out, s, 0x1A, filled(9, 3));  // VuOverSpeedingControlData
  counted(out, s, 1, 0x1B, gen2(s) ? 32 : 31, {filled(gen2(s) ? 32 : 31, 4)});
  counted(out, s, 1, 0x1E, gen2(s) ? 99 : 98, {});  // VuTimeAdjustmentRecord
  signature(out, s);
  return out;
}

Bytes detailedSpeedBlock(const VuSpec& s) {
  Bytes out = header(s, 4);
  std::vector<Bytes> blocks;  // VuDetailedSpeedBlock (2.190): begin date, 60 speeds
  for (int i = 0; i < s.speedBlocks; ++i) {
    Bytes b = u32(s.firstDay + 60 * static_cast<std::uint32_t>(i));
    filler(b, 60, static_cast<std::uint8_t>(i));
    blocks.push_back(std::move(b));
  }
  counted(out, s, 2, 0x12, 64, blocks);
  signature(out, s);
  return out;
}

Bytes technicalDataBlock(const VuSpec& s) {
  Bytes out = header(s, 5);
  Bytes id;  // VuIdentification (2.205): Gen1 116 bytes, Gen2 126, Gen2v2 138
  name(id, s.manufacturerCodePage, s.manufacturerName);
  name(id, s.manufacturerCodePage, s.manufacturerAddress);
  put(id, s.partNumber, 16);
  ByteWriter w(id);
  w.writeU32BE(s.serialNumber);
  id.insert(id.end(),
            {s.serialMonthYear[0], s.serialMonthYear[1], s.serialType, s.serialManufacturer});
  put(id, s.softwareVersion, 4);
  w.writeU32BE(s.softwareInstalled);
  w.writeU32BE(s.manufacturingDate);
  put(id, gen2(s) ? "e1-SYN-0001" : "e1-SYN01", gen2(s) ? 16 : 8);  // vuApprovalNumber
  if (gen2(s)) id.insert(id.end(), {0x02, 0x00});                   // vuGeneration, vuAbility
  if (v2(s)) put(id, "MAP-0001", 12);                               // vuDigitalMapVersion
  single(out, s, 0x19, id);
  // SensorPaired (2.144): serial 8, approval number (Gen1 8, Gen2 16), pairing date.
  Bytes sensor = filled(8, 0x51);
  put(sensor, "e1-S-01", gen2(s) ? 16 : 8);
  ByteWriter(sensor).writeU32BE(s.manufacturingDate);
  single(out, s, 0x20, sensor);
  if (gen2(s)) array(out, 0x21, 28, {});  // SensorExternalGNSSCoupledRecord, none
  std::vector<Bytes> calibrations;
  for (std::size_t i = 0; i < s.calibrations.size(); ++i)
    calibrations.push_back(calibrationRecord(s, s.calibrations[i], static_cast<int>(i)));
  counted(out, s, 1, 0x0C, gen2(s) ? (v2(s) ? 242 : 212) : 167, calibrations);
  if (gen2(s)) {
    array(out, 0x0E, 45, {filled(45, 0x81)});  // VuCardRecord
    array(out, 0x17, 20, {});                  // VuITSConsentRecord
    array(out, 0x1F, 87, {filled(87, 0x91)});  // VuPowerSupplyInterruptionRecord
  }
  signature(out, s);
  return out;
}

Bytes buildVehicleUnit(const VuSpec& s) {
  Bytes out;
  auto add = [&out](const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); };
  if (s.downloadInterfaceVersion) add(Bytes{0x76, 0x00, 0x02, 0x02});
  add(overviewBlock(s));
  for (int d = 0; d < s.activityDays; ++d)
    add(activitiesBlock(s, s.firstDay + 86400 * static_cast<std::uint32_t>(d)));
  add(eventsAndFaultsBlock(s));
  add(detailedSpeedBlock(s));
  add(technicalDataBlock(s));
  return out;
}

Bytes buildSampleVehicleUnit(Generation gen) {
  return buildVehicleUnit(sampleVuSpec(gen));
}

Bytes buildLargeVehicleUnit(Generation gen, std::size_t minBytes) {
  VuSpec s = sampleVuSpec(gen);
  // About a year of days with busy drivers (a third of the file), detailed speed for the rest.
  s.activityDays = 365;
  s.activityChangesPerDay = 120;
  s.cardInsertionsPerDay = 2;
  s.speedBlocks = 0;
  const std::size_t base = buildVehicleUnit(s).size();
  if (base < minBytes) s.speedBlocks = static_cast<int>((minBytes - base) / 64 + 1);
  if (s.speedBlocks > 65535) throw std::invalid_argument("more speed blocks than one TREP holds");
  return buildVehicleUnit(s);
}

}  // namespace dcgw::testing
