// Gen2 vehicle-unit TREPs (21-25, 31-35): record arrays (Appendix 7 section 2.2.6 remark:
// recordType u8, recordSize u16, noOfRecords u16, the records) walked generically up to the
// SignatureRecordArray that ends every Gen2 TREP; the few the summary needs are decoded.
#include <cstdint>
#include <initializer_list>

#include "codecs/ddd/vu_internal.hpp"

namespace dcgw::codecs::ddd::vu {
namespace {

// RecordType (data dictionary 2.120).
enum : std::uint8_t {
  kActivityChangeInfo = 0x01,
  kCardSlotsStatus = 0x02,
  kCurrentDateTime = 0x03,
  kMemberStateCertificate = 0x04,
  kOdometerValueMidnight = 0x05,
  kDateOfDayDownloaded = 0x06,
  kSensorPaired = 0x07,
  kSignature = 0x08,
  kSpecificConditionRecord = 0x09,
  kVehicleIdentificationNumber = 0x0A,
  kVehicleRegistrationNumber = 0x0B,
  kVuCalibrationRecord = 0x0C,
  kVuCardIWRecord = 0x0D,
  kVuCardRecord = 0x0E,
  kVuCertificate = 0x0F,
  kVuCompanyLocksRecord = 0x10,
  kVuControlActivityRecord = 0x11,
  kVuDetailedSpeedBlock = 0x12,
  kVuDownloadablePeriod = 0x13,
  kVuDownloadActivityData = 0x14,
  kVuEventRecord = 0x15,
  kVuGNSSADRecord = 0x16,
  kVuITSConsentRecord = 0x17,
  kVuFaultRecord = 0x18,
  kVuIdentification = 0x19,
  kVuOverSpeedingControlData = 0x1A,
  kVuOverSpeedingEventRecord = 0x1B,
  kVuPlaceDailyWorkPeriodRecord = 0x1C,
  kVuTimeAdjustmentRecord = 0x1E,
  kVuPowerSupplyInterruptionRecord = 0x1F,
  kSensorPairedRecord = 0x20,
  kSensorExternalGNSSCoupledRecord = 0x21,
  kVuBorderCrossingRecord = 0x22,
  kVuLoadUnloadRecord = 0x23,
  kVehicleRegistrationIdentification = 0x24,
};

// 0x01-0x24 are assigned, 0x80-0xFF manufacturer specific; 0x00 and 0x25-0x7F are not.
bool assigned(std::uint8_t type) {
  return (type >= 0x01 && type <= 0x24) || type >= 0x80;
}

// The record arrays each TREP holds (DDP_029 to DDP_033, both versions), as a bit set of types.
struct Expected {
  std::uint64_t bits{};
  Expected(std::initializer_list<std::uint8_t> types) {
    for (std::uint8_t t : types) bits |= std::uint64_t{1} << t;
  }
  bool has(std::uint8_t type) const { return type >= 0x80 || (bits >> type & 1) != 0; }
};

const Expected& expectedIn(std::uint8_t trep) {
  static const Expected kOverview{kMemberStateCertificate,
                                  kVuCertificate,
                                  kVehicleIdentificationNumber,
                                  kVehicleRegistrationNumber,
                                  kVehicleRegistrationIdentification,
                                  kCurrentDateTime,
                                  kVuDownloadablePeriod,
                                  kCardSlotsStatus,
                                  kVuDownloadActivityData,
                                  kVuCompanyLocksRecord,
                                  kVuControlActivityRecord,
                                  kSignature};
  static const Expected kActivities{kDateOfDayDownloaded,
                                    kOdometerValueMidnight,
                                    kVuCardIWRecord,
                                    kActivityChangeInfo,
                                    kVuPlaceDailyWorkPeriodRecord,
                                    kVuGNSSADRecord,
                                    kSpecificConditionRecord,
                                    kVuBorderCrossingRecord,
                                    kVuLoadUnloadRecord,
                                    kSignature};
  static const Expected kEvents{kVuFaultRecord,
                                kVuEventRecord,
                                kVuOverSpeedingControlData,
                                kVuOverSpeedingEventRecord,
                                kVuTimeAdjustmentRecord,
                                kSignature};
  static const Expected kSpeed{kVuDetailedSpeedBlock, kSignature};
  static const Expected kTechnical{kVuIdentification,
                                   kSensorPaired,
                                   kSensorPairedRecord,
                                   kSensorExternalGNSSCoupledRecord,
                                   kVuCalibrationRecord,
                                   kVuCardRecord,
                                   kVuITSConsentRecord,
                                   kVuPowerSupplyInterruptionRecord,
                                   kSignature};
  switch (trep & 0x0F) {
    case 1:
      return kOverview;
    case 2:
      return kActivities;
    case 3:
      return kEvents;
    case 4:
      return kSpeed;
    default:
      return kTechnical;
  }
}

// `recordsAt` is where the records begin; the warning points at the array's 5-byte header.
bool tooSmall(std::uint8_t type, std::size_t size, std::size_t need, std::size_t recordsAt,
              State& st) {
  if (size >= need) return false;
  st.warn(recordsAt - 5,
          format("record array of type %02X: records of %zu bytes, at least %zu expected; "
                 "skipped",
                 type, size, need));
  return true;
}

// Decodes the arrays the summary needs; `records` holds count records of `size` bytes and
// begins at offset `at` in the file.
void decode(std::uint8_t type, std::size_t size, std::size_t count, ByteView records,
            std::size_t at, State& st) {
  if (count == 0) return;
  switch (type) {
    case kVehicleIdentificationNumber:
      if (!tooSmall(type, size, kVinSize, at, st)) readVin(records, at, st);
      break;
    case kVehicleRegistrationNumber:
      // Version 1's VehicleRegistrationNumber (2.167); a 15-byte record is taken for the
      // VehicleRegistrationIdentification (nation first) that version 2 sends.
      if (size >= kRegistrationIdSize) {
        readRegistrationIdentification(records, at, st);
      } else if (!tooSmall(type, size, kRegistrationNumberSize, at, st)) {
        readRegistrationNumber(records, at, st);
      }
      break;
    case kVehicleRegistrationIdentification:
      if (!tooSmall(type, size, kRegistrationIdSize, at, st))
        readRegistrationIdentification(records, at, st);
      break;
    case kVuDownloadablePeriod:
      if (!tooSmall(type, size, kPeriodSize, at, st)) readDownloadablePeriod(records, st);
      break;
    case kVuIdentification:
      if (!tooSmall(type, size, kIdentificationPrefix, at, st)) readIdentification(records, at, st);
      break;
    case kVuCalibrationRecord:
      if (tooSmall(type, size, kCalibrationPrefix, at, st)) break;
      for (std::size_t i = 0; i < count; ++i)
        readCalibration(records.subspan(i * size, size), at + i * size, st);
      break;
  }
}

}  // namespace

std::string walkGen2(std::uint8_t trep, ByteReader& r, State& st) {
  const Expected& expected = expectedIn(trep);
  // Each pass consumes at least the 5-byte header, so the loop ends with the bytes.
  for (;;) {
    const std::size_t at = r.position();
    std::uint8_t type = 0;
    std::uint16_t size = 0, count = 0;
    if (!r.readU8(type) || !r.readU16BE(size) || !r.readU16BE(count)) {
      r.seek(at);
      return format(
          "the record array header at offset %zu is cut short (%zu bytes left) before "
          "the SignatureRecordArray",
          at, r.remaining());
    }
    if (!assigned(type)) {
      r.seek(at);
      if (type == 0x76)
        return format(
            "offset %zu holds SID 76 (a next TREP?) where a record array was expected: "
            "no SignatureRecordArray ended this TREP",
            at);
      return format("record type %02X at offset %zu is not assigned (RecordType 2.120)", type, at);
    }
    if (size == 0 && count != 0) {
      r.seek(at);
      return format("record array of type %02X at offset %zu: %u records of size 0", type, at,
                    static_cast<unsigned>(count));
    }
    const std::size_t total = std::size_t{size} * count;
    ByteView records;
    if (!r.readBytes(total, records)) {
      std::size_t left = r.remaining();
      r.seek(at);
      return format(
          "record array of type %02X at offset %zu: %u records of %u bytes, only %zu "
          "bytes left",
          type, at, static_cast<unsigned>(count), static_cast<unsigned>(size), left);
    }
    if (type == kSignature) return {};
    if (!expected.has(type)) {
      st.warn(at, format("record array of type %02X does not belong in TREP %02X; skipped by its "
                         "size",
                         type, trep));
      continue;
    }
    decode(type, size, count, records, at + 5, st);
  }
}

}  // namespace dcgw::codecs::ddd::vu
