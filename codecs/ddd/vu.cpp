// Vehicle-unit files (Appendix 7 section 2.2.6, DDP_034): the TREP loop and the Gen1 fixed
// layouts.
#include "codecs/ddd/dictionary.hpp"
#include "codecs/ddd/parsers.hpp"
#include "codecs/ddd/vu_internal.hpp"

namespace dcgw::codecs::ddd {
namespace {

using vu::format;
using vu::State;

enum class Field : std::uint8_t { None, Vin, Registration, Period, Identification, Calibration };

// One element of a Gen1 TREP (section 2.2.6, data structure generation 1): `countBytes` 0 is
// one element of `size` bytes; 1 or 2 is a count (u8 / u16 big-endian) then that many.
struct Item {
  const char* name;
  std::uint8_t countBytes;
  std::uint16_t size;
  Field field;
};

// 2.2.6.2 DDP_029 (TREP 01). Certificates 194 bytes each (2.96, 2.181); VuDownloadActivityData
// 58 (TimeReal, FullCardNumber 18, Name 36); VuCompanyLocksRecord 98; VuControlActivityRecord 31.
constexpr Item kOverview[] = {
    {"MemberStateCertificate", 0, 194, Field::None},
    {"VUCertificate", 0, 194, Field::None},
    {"VehicleIdentificationNumber", 0, 17, Field::Vin},
    {"VehicleRegistrationIdentification", 0, 15, Field::Registration},
    {"CurrentDateTime", 0, 4, Field::None},
    {"VuDownloadablePeriod", 0, 8, Field::Period},
    {"CardSlotsStatus", 0, 1, Field::None},
    {"VuDownloadActivityData", 0, 58, Field::None},
    {"VuCompanyLocksData", 1, 98, Field::None},
    {"VuControlActivityData", 1, 31, Field::None},
    {"Signature", 0, 128, Field::None},
};
// 2.2.6.3 DDP_030 (TREP 02): VuCardIWRecord 129, ActivityChangeInfo 2,
// VuPlaceDailyWorkPeriodRecord 28 (FullCardNumber, PlaceRecord 10), SpecificConditionRecord 5.
constexpr Item kActivities[] = {
    {"TimeReal", 0, 4, Field::None},
    {"OdometerValueMidnight", 0, 3, Field::None},
    {"VuCardIWData", 2, 129, Field::None},
    {"VuActivityDailyData", 2, 2, Field::None},
    {"VuPlaceDailyWorkPeriodData", 1, 28, Field::None},
    {"VuSpecificConditionData", 2, 5, Field::None},
    {"Signature", 0, 128, Field::None},
};
// 2.2.6.4 DDP_031 (TREP 03): VuFaultRecord 82, VuEventRecord 83, VuOverSpeedingControlData 9,
// VuOverSpeedingEventRecord 31, VuTimeAdjustmentRecord 98.
constexpr Item kEventsAndFaults[] = {
    {"VuFaultData", 1, 82, Field::None},
    {"VuEventData", 1, 83, Field::None},
    {"VuOverSpeedingControlData", 0, 9, Field::None},
    {"VuOverSpeedingEventData", 1, 31, Field::None},
    {"VuTimeAdjustmentData", 1, 98, Field::None},
    {"Signature", 0, 128, Field::None},
};
// 2.2.6.5 DDP_032 (TREP 04): VuDetailedSpeedBlock 64 (TimeReal, 60 speeds).
constexpr Item kDetailedSpeed[] = {
    {"VuDetailedSpeedData", 2, 64, Field::None},
    {"Signature", 0, 128, Field::None},
};
// 2.2.6.6 DDP_033 (TREP 05): VuIdentification 116, SensorPaired 20, VuCalibrationRecord 167.
constexpr Item kTechnicalData[] = {
    {"VuIdentification", 0, 116, Field::Identification},
    {"SensorPaired", 0, 20, Field::None},
    {"VuCalibrationData", 1, 167, Field::Calibration},
    {"Signature", 0, 128, Field::None},
};

void apply(Field field, ByteView b, std::size_t offset, State& st) {
  switch (field) {
    case Field::Vin:
      vu::readVin(b, offset, st);
      break;
    case Field::Registration:
      vu::readRegistrationIdentification(b, offset, st);
      break;
    case Field::Period:
      vu::readDownloadablePeriod(b, st);
      break;
    case Field::Identification:
      vu::readIdentification(b, offset, st);
      break;
    case Field::Calibration:
      vu::readCalibration(b, offset, st);
      break;
    case Field::None:
      break;
  }
}

template <std::size_t N>
std::string walkGen1(const Item (&items)[N], ByteReader& r, State& st) {
  for (const Item& item : items) {
    const std::size_t at = r.position();
    std::size_t count = 1;
    if (item.countBytes == 1) {
      std::uint8_t n;
      if (!r.readU8(n)) return format("%s at offset %zu: its count is cut short", item.name, at);
      count = n;
    } else if (item.countBytes == 2) {
      std::uint16_t n;
      if (!r.readU16BE(n)) return format("%s at offset %zu: its count is cut short", item.name, at);
      count = n;
    }
    const std::size_t dataAt = r.position();
    ByteView all;
    if (!r.readBytes(count * item.size, all)) {
      if (item.countBytes == 0)
        return format("%s at offset %zu: %u bytes, only %zu left", item.name, at,
                      static_cast<unsigned>(item.size), r.remaining());
      // The whole records before the cut still count (a calibration among them, say).
      const std::size_t whole = r.remaining() / item.size;
      for (std::size_t i = 0; i < whole; ++i) {
        ByteView b;
        r.readBytes(item.size, b);
        apply(item.field, b, dataAt + i * item.size, st);
      }
      return format("%s at offset %zu: %zu records of %u bytes, only %zu whole before the end",
                    item.name, at, count, static_cast<unsigned>(item.size), whole);
    }
    if (item.field != Field::None) {
      for (std::size_t i = 0; i < count; ++i)
        apply(item.field, all.subspan(i * item.size, item.size), dataAt + i * item.size, st);
    }
  }
  return {};
}

const char* trepName(std::uint8_t trep) {
  switch (trep & 0x0F) {
    case 0:
      return "download interface version";
    case 1:
      return "overview";
    case 2:
      return "activities";
    case 3:
      return "events and faults";
    case 4:
      return "detailed speed";
    case 5:
      return "technical data";
  }
  return "unknown";
}

// The generation a TREP's structure belongs to; Unknown for one this parser cannot walk.
// TREP 34 is not in the regulation (a version-2 VU answers detailed speed with 24) but is the
// same record arrays if a VU sends it. TREP 00 belongs to version 2 only (DDP_028a).
Generation generationOf(std::uint8_t trep) {
  if (trep >= 0x01 && trep <= 0x05) return Generation::Gen1;
  if (trep >= 0x21 && trep <= 0x25) return Generation::Gen2v1;
  if ((trep >= 0x31 && trep <= 0x35) || trep == 0x00) return Generation::Gen2v2;
  return Generation::Unknown;
}

std::string walkTrep(std::uint8_t trep, ByteReader& r, State& st) {
  switch (trep) {
    case 0x00:  // DownloadInterfaceVersion (2.60a): generation, version
      return r.skip(2) ? std::string() : format("DownloadInterfaceVersion cut short");
    case 0x01:
      return walkGen1(kOverview, r, st);
    case 0x02:
      return walkGen1(kActivities, r, st);
    case 0x03:
      return walkGen1(kEventsAndFaults, r, st);
    case 0x04:
      return walkGen1(kDetailedSpeed, r, st);
    case 0x05:
      return walkGen1(kTechnicalData, r, st);
    default:
      return vu::walkGen2(trep, r, st);
  }
}

// Which structures a TREP uses: 1 Gen1, 0x21 Gen2v1, 0x31 Gen2v2; 0 for TREP 00 and 24 (also
// sent by version-2 VUs, DDP_032), which fit any Gen2 file, so they set no expectation.
int familyOf(std::uint8_t trep) {
  if (trep == 0x00 || trep == 0x24) return 0;
  return trep < 0x10 ? 1 : (trep & 0xF0) + 1;
}

// Gen2 version 1 overviews carry the registration number without its nation
// (VehicleRegistrationNumberRecordArray, 2.168): the latest calibration's registration
// identification supplies the nation when its number is the same (or the overview had none).
void completeRegistration(State& st) {
  if (!st.latest || st.nationRead) return;
  if (st.registrationRead && st.vu.registrationNumber != st.latest->number) return;
  st.vu.registrationNation = st.latest->nation;
  st.vu.registrationNationAlpha = nationAlpha(st.latest->nation);
  st.vu.registrationNumber = st.latest->number;
}

}  // namespace

ParsedFile parseVehicleUnit(ByteView data) {
  ParsedFile out;
  State st(out.warnings);
  ByteReader r(data);
  std::optional<std::uint8_t> overviewTrep, firstTrep, firstDataTrep;
  int referenceFamily = 0;
  std::uint8_t referenceTrep = 0;
  std::size_t overviewAt = 0;
  bool mixedWarned = false;
  while (r.remaining() > 0) {
    const std::size_t at = r.position();
    std::uint8_t sid = 0, trep = 0;
    if (!r.readU8(sid) || !r.readU8(trep)) {
      st.warn(at, "1 byte left after the last block: not a block header (SID 0x76, TREP)");
      break;
    }
    if (sid != 0x76 || generationOf(trep) == Generation::Unknown) {
      st.warn(at, format("bytes %02X %02X are not a known block (SID 76, TREP 00-05, 21-25 or "
                         "31-35); the %zu bytes from here are not read, as TV blocks carry no "
                         "length",
                         sid, trep, data.size() - at));
      break;
    }
    if (!firstTrep) {
      firstTrep = trep;
      out.kind = FileKind::VehicleUnit;
    }
    if (!firstDataTrep && trep != 0x00) firstDataTrep = trep;
    if (const int family = familyOf(trep); family != 0 && referenceFamily == 0) {
      referenceFamily = family;
      referenceTrep = trep;
    } else if (family != 0 && family != referenceFamily && !mixedWarned) {
      st.warn(at, format("TREP %02X is of another generation than TREP %02X before it", trep,
                         referenceTrep));
      mixedWarned = true;
    }
    const bool isOverview = (trep & 0x0F) == 1;
    if (isOverview && overviewTrep) {
      st.warn(at, format("a second overview (TREP %02X): the first one's values are kept", trep));
    }
    // A second overview's values must not replace the first's: walk it on a throwaway state.
    std::vector<Warning> ignored;
    State spare(ignored);
    State& target = isOverview && overviewTrep ? spare : st;
    if (isOverview && !overviewTrep) {
      overviewTrep = trep;
      overviewAt = at;
    }
    const std::string why = walkTrep(trep, r, target);
    if (!why.empty()) {
      st.warn(at, format("TREP %02X (%s) at offset %zu: %s; the file is not read past it, as TV "
                         "blocks carry no length",
                         trep, trepName(trep), at, why.c_str()));
      break;
    }
  }

  if (!firstTrep) {
    out.error = data.empty() ? "empty file"
                             : "not a vehicle-unit file: it does not begin with SID 76 and a "
                               "known TREP";
    return out;
  }
  // TREP 00 alone says only that the VU speaks version 2 of the protocol, not what it sent.
  if (const auto decisive = overviewTrep ? overviewTrep : firstDataTrep)
    out.generation = generationOf(*decisive);
  if (!overviewTrep) {
    out.error = "no overview (TREP 01, 21 or 31) in the file";
    return out;
  }
  if (!st.vinRead) {
    out.error = format(
        "the overview (TREP %02X at offset %zu) gave no VehicleIdentificationNumber "
        "(cut short before it, or an empty array)",
        *overviewTrep, overviewAt);
    return out;
  }
  if (st.latest) {
    st.vu.authorisedSpeed = st.latest->authorisedSpeed;
    st.vu.nextCalibrationDate = st.latest->nextCalibrationDate;
  }
  completeRegistration(st);
  out.vu = std::move(st.vu);
  return out;
}

}  // namespace dcgw::codecs::ddd
