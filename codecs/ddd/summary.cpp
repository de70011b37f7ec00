// Names and the JSON rendering of a parsed tachograph file (schema/files.md, "Summary JSON").
#include "codecs/ddd/summary.hpp"

#include "codecs/json.hpp"

namespace dcgw::codecs::ddd {
namespace {

void timeOrNull(JsonWriter& w, const char* key, const std::optional<std::uint32_t>& t) {
  w.key(key);
  if (t) {
    w.string(formatTimeReal(*t));
  } else {
    w.null();
  }
}

void textOrNull(JsonWriter& w, const char* key, const std::string& s) {
  w.key(key);
  if (s.empty()) {
    w.null();
  } else {
    w.string(s);
  }
}

void writeCard(JsonWriter& w, const CardSummary& c) {
  w.beginObject();
  textOrNull(w, "cardNumber", c.cardNumber);
  w.key("issuingNation");
  if (c.issuingNation == 0xFF && c.issuingNationAlpha.empty()) {
    w.null();
  } else {
    w.integer(c.issuingNation);
  }
  textOrNull(w, "issuingNationAlpha", c.issuingNationAlpha);
  textOrNull(w, "surname", c.surname);
  textOrNull(w, "firstNames", c.firstNames);
  w.key("birthDate");
  if (c.birthDate) {
    w.string(formatDate(*c.birthDate));
  } else {
    w.null();
  }
  timeOrNull(w, "validityBegin", c.validityBegin);
  timeOrNull(w, "expiryDate", c.expiryDate);
  textOrNull(w, "drivingLicenceNumber", c.drivingLicenceNumber);
  textOrNull(w, "drivingLicenceIssuingAuthority", c.drivingLicenceIssuingAuthority);
  textOrNull(w, "workshopName", c.workshopName);
  textOrNull(w, "workshopAddress", c.workshopAddress);
  timeOrNull(w, "activityFirstDay", c.activityFirstDay);
  timeOrNull(w, "activityLastDay", c.activityLastDay);
  w.endObject();
}

void writeVu(JsonWriter& w, const VehicleUnitSummary& v) {
  w.beginObject();
  textOrNull(w, "vin", v.vin);
  w.key("registrationNation");
  if (v.registrationNation == 0xFF && v.registrationNationAlpha.empty()) {
    w.null();
  } else {
    w.integer(v.registrationNation);
  }
  textOrNull(w, "registrationNationAlpha", v.registrationNationAlpha);
  textOrNull(w, "registrationNumber", v.registrationNumber);
  textOrNull(w, "manufacturerName", v.manufacturerName);
  textOrNull(w, "manufacturerAddress", v.manufacturerAddress);
  textOrNull(w, "partNumber", v.partNumber);
  textOrNull(w, "softwareVersion", v.softwareVersion);
  textOrNull(w, "serialNumber", v.serialNumber);
  w.key("authorisedSpeed");
  if (v.authorisedSpeed) {
    w.integer(*v.authorisedSpeed);
  } else {
    w.null();
  }
  timeOrNull(w, "nextCalibrationDate", v.nextCalibrationDate);
  timeOrNull(w, "downloadablePeriodBegin", v.downloadablePeriodBegin);
  timeOrNull(w, "downloadablePeriodEnd", v.downloadablePeriodEnd);
  w.endObject();
}

}  // namespace

const char* fileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::DriverCard:
      return "driverCard";
    case FileKind::WorkshopCard:
      return "workshopCard";
    case FileKind::ControlCard:
      return "controlCard";
    case FileKind::CompanyCard:
      return "companyCard";
    case FileKind::VehicleUnit:
      return "vehicleUnit";
    case FileKind::Unknown:
      break;
  }
  return "unknown";
}

const char* generationName(Generation gen) {
  switch (gen) {
    case Generation::Gen1:
      return "gen1";
    case Generation::Gen2v1:
      return "gen2v1";
    case Generation::Gen2v2:
      return "gen2v2";
    case Generation::Unknown:
      break;
  }
  return "unknown";
}

std::string toJson(const ParsedFile& file) {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("kind");
  w.string(fileKindName(file.kind));
  w.key("generation");
  w.string(generationName(file.generation));
  w.key("card");
  if (file.card) {
    writeCard(w, *file.card);
  } else {
    w.null();
  }
  w.key("vehicleUnit");
  if (file.vu) {
    writeVu(w, *file.vu);
  } else {
    w.null();
  }
  w.key("warnings");
  w.beginArray();
  for (const Warning& warning : file.warnings) {
    w.beginObject();
    w.key("offset");
    w.integer(static_cast<std::int64_t>(warning.offset));
    w.key("text");
    w.string(warning.text);
    w.endObject();
  }
  w.endArray();
  textOrNull(w, "error", file.error);
  w.endObject();
  return out;
}

}  // namespace dcgw::codecs::ddd
