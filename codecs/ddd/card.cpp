// Card files (Annex 1C Appendix 7 section 3.4.2, DDP_041-046: TLV blocks of the EFs a card
// download reads) to a CardSummary: card type, generation, identification, licence, activity.
#include <algorithm>
#include <array>
#include <cstdio>

#include "codecs/ddd/card_activity.hpp"
#include "codecs/ddd/dictionary.hpp"
#include "codecs/ddd/parsers.hpp"

namespace dcgw::codecs::ddd {
namespace {

// File identifiers (Appendix 2, TCS_142-176).
constexpr std::uint16_t kApplicationIdentification = 0x0501;
constexpr std::uint16_t kDriverActivityData = 0x0504;
constexpr std::uint16_t kWorkshopCardDownload = 0x0509;
constexpr std::uint16_t kCalibration = 0x050A;
constexpr std::uint16_t kSensorInstallationData = 0x050B;
constexpr std::uint16_t kControllerActivityData = 0x050C;
constexpr std::uint16_t kCompanyActivityData = 0x050D;
constexpr std::uint16_t kDriverCardDownload = 0x050E;
constexpr std::uint16_t kIdentification = 0x0520;
constexpr std::uint16_t kDrivingLicenceInfo = 0x0521;
constexpr std::uint16_t kApplicationIdentificationV2 = 0x0525;

constexpr std::uint8_t kGen1Data = 0x00, kGen2Data = 0x02;  // DDP_046's appendix byte

constexpr std::size_t kCardIdentificationSize = 65;  // data dictionary 2.24
constexpr std::size_t kDrivingLicenceSize = 53;      // 2.18
constexpr std::size_t kNameSize = 36;                // Name / Address: codePage + 35 bytes
constexpr std::size_t kMaxListedSkips = 50;          // a file of junk stays a short report

// The EFs of Appendix 2 (TCS_142-176) a card download may hold; any other FID is unknown.
constexpr struct {
  std::uint16_t fid;
  const char* name;
} kEfs[] = {
    {0x0002, "EF ICC"},
    {0x0005, "EF IC"},
    {0x0501, "EF Application_Identification"},
    {0x0502, "EF Events_Data"},
    {0x0503, "EF Faults_Data"},
    {0x0504, "EF Driver_Activity_Data"},
    {0x0505, "EF Vehicles_Used"},
    {0x0506, "EF Places"},
    {0x0507, "EF Current_Usage"},
    {0x0508, "EF Control_Activity_Data"},
    {0x0509, "EF Card_Download (workshop)"},
    {0x050A, "EF Calibration"},
    {0x050B, "EF Sensor_Installation_Data"},
    {0x050C, "EF Controller_Activity_Data"},
    {0x050D, "EF Company_Activity_Data"},
    {0x050E, "EF Card_Download (driver)"},
    {0x0520, "EF Identification"},
    {0x0521, "EF Driving_Licence_Info"},
    {0x0522, "EF Specific_Conditions"},
    {0x0523, "EF VehicleUnits_Used"},
    {0x0524, "EF GNSS_Places"},
    {0x0525, "EF Application_Identification_V2"},
    {0x0526, "EF Places_Authentication"},
    {0x0527, "EF GNSS_Places_Authentication"},
    {0x0528, "EF Border_Crossings"},
    {0x0529, "EF Load_Unload_Operations"},
    {0x0530, "EF Load_Type_Entries"},
    {0x0531, "EF Calibration_Add_Data"},
    {0x0540, "EF VU_Configuration"},
    {0xC100, "EF Card_Certificate / CardMA_Certificate"},
    {0xC101, "EF CardSignCertificate"},
    {0xC108, "EF CA_Certificate"},
    {0xC109, "EF Link_Certificate"},
};

constexpr std::size_t kEfCount = sizeof kEfs / sizeof kEfs[0];

// The EF's index in kEfs; kEfCount when the FID is unknown.
std::size_t efIndex(std::uint16_t fid) {
  std::size_t i = 0;
  while (i < kEfCount && kEfs[i].fid != fid) ++i;
  return i;
}

const char* efName(std::uint16_t fid) {
  const std::size_t i = efIndex(fid);
  return i < kEfCount ? kEfs[i].name : nullptr;
}

struct Block {
  std::uint16_t fid;
  std::uint8_t appendix;
  std::size_t offset;  // of the tag in the file
  ByteView value;
};

std::string tagText(std::uint16_t fid, std::uint8_t appendix) {
  char text[16];
  std::snprintf(text, sizeof text, "%02X %02X %02X", fid >> 8, fid & 0xFF, appendix);
  return text;
}

// "tag 05 20 02 (EF Identification, Tachograph_G2 DF)"
std::string blockName(std::uint16_t fid, std::uint8_t appendix) {
  const char* name = efName(fid);
  std::string text = "tag " + tagText(fid, appendix);
  if (name == nullptr) return text;
  const bool common = fid == 0x0002 || fid == 0x0005;
  return text + " (" + name +
         (common                  ? ")"
          : appendix >= kGen2Data ? ", Tachograph_G2 DF)"
                                  : ", Tachograph DF)");
}

class Blocks {
 public:
  // Walks the TLV chain: a known tag is kept (the first of duplicates), an unknown one skipped
  // with a warning, a header or value cut by the end of the file ends the walk with a warning.
  void read(ByteView data, std::vector<Warning>& warnings) {
    ByteReader r(data);
    std::size_t skipped = 0;  // unknown tags and second blocks
    auto skip = [&](std::size_t at, std::string text) {
      if (++skipped <= kMaxListedSkips) warnings.push_back({at, std::move(text)});
    };
    while (r.remaining() > 0) {
      const std::size_t at = r.position();
      std::uint16_t fid = 0, length = 0;
      std::uint8_t appendix = 0;
      if (r.remaining() < 5) {
        warnings.push_back({at, std::to_string(r.remaining()) +
                                    " bytes at the end are too few for a block header (tag 3, "
                                    "length 2); ignored"});
        break;
      }
      r.readU16BE(fid);
      r.readU8(appendix);
      r.readU16BE(length);
      ByteView value;
      if (!r.readBytes(length, value)) {
        warnings.push_back({at, blockName(fid, appendix) + ": length " + std::to_string(length) +
                                    " runs past the end of the file (" +
                                    std::to_string(r.remaining()) +
                                    " bytes left); the rest of the file is not read"});
        break;
      }
      const std::size_t ef = efIndex(fid);
      if (ef == kEfCount || appendix > 0x03) {
        skip(at, "unknown tag " + tagText(fid, appendix) + " (length " + std::to_string(length) +
                     "): skipped");
        continue;
      }
      std::optional<Block>& slot = slots_[ef * 4 + appendix];
      if (slot) {
        skip(at, blockName(fid, appendix) + ": a second block; the first is kept");
        continue;
      }
      slot = Block{fid, appendix, at, value};
      any_ = true;
      anyGen2_ = anyGen2_ || appendix >= kGen2Data;
    }
    if (skipped > kMaxListedSkips)
      warnings.push_back({data.size(), std::to_string(skipped - kMaxListedSkips) +
                                           " more blocks skipped (unknown or repeated tags), "
                                           "not listed"});
  }

  const Block* find(std::uint16_t fid, std::uint8_t appendix) const {
    const std::size_t ef = efIndex(fid);
    if (ef == kEfCount || appendix > 0x03) return nullptr;
    const std::optional<Block>& slot = slots_[ef * 4 + appendix];
    return slot ? &*slot : nullptr;
  }
  bool has(std::uint16_t fid) const { return find(fid, kGen1Data) || find(fid, kGen2Data); }
  bool empty() const { return !any_; }
  bool anyGen2() const { return anyGen2_; }

 private:
  // One slot per known EF and appendix: a file of millions of blocks costs no more than a scan.
  std::array<std::optional<Block>, kEfCount * 4> slots_{};
  bool any_{false}, anyGen2_{false};
};

// The data block of an EF, Gen2 DF first: Gen2 cards carry both DFs, and the Gen2 one holds
// the longer record arrays. The Gen1 block is read when the Gen2 one is absent or shorter than
// `minSize`, which the warning says.
const Block* pick(const Blocks& blocks, std::uint16_t fid, std::size_t minSize,
                  std::vector<Warning>& warnings) {
  const Block* gen2 = blocks.find(fid, kGen2Data);
  const Block* gen1 = blocks.find(fid, kGen1Data);
  if (gen2 != nullptr && gen2->value.size() >= minSize) return gen2;
  if (gen2 != nullptr)
    warnings.push_back(
        {gen2->offset, blockName(fid, kGen2Data) + ": " + std::to_string(gen2->value.size()) +
                           " bytes, fewer than the " + std::to_string(minSize) + " needed; " +
                           (gen1 ? "the Gen1 block is read instead" : "skipped")});
  if (gen1 != nullptr && gen1->value.size() >= minSize) return gen1;
  if (gen1 != nullptr)
    warnings.push_back({gen1->offset, blockName(fid, kGen1Data) + ": " +
                                          std::to_string(gen1->value.size()) +
                                          " bytes, fewer than the " + std::to_string(minSize) +
                                          " needed; skipped"});
  return nullptr;
}

// typeOfTachographCardId: data dictionary 2.67 EquipmentType, 1 to 4 for the four cards.
FileKind kindOfCardType(std::uint8_t equipmentType) {
  constexpr FileKind kKinds[] = {FileKind::Unknown, FileKind::DriverCard, FileKind::WorkshopCard,
                                 FileKind::ControlCard, FileKind::CompanyCard};
  return equipmentType < 5 ? kKinds[equipmentType] : FileKind::Unknown;
}

// The EFs only one card type has (TCS_148-176), then EF Identification's size, which differs
// for driver (143), company (139) and workshop or control cards (211, not told apart).
FileKind kindOfEfs(const Blocks& blocks, const Block* identification) {
  if (blocks.has(kCalibration) || blocks.has(kSensorInstallationData) ||
      blocks.has(kWorkshopCardDownload))
    return FileKind::WorkshopCard;
  if (blocks.has(kDrivingLicenceInfo) || blocks.has(kDriverCardDownload))
    return FileKind::DriverCard;
  if (blocks.has(kControllerActivityData)) return FileKind::ControlCard;
  if (blocks.has(kCompanyActivityData)) return FileKind::CompanyCard;
  if (identification != nullptr && identification->value.size() == 143) return FileKind::DriverCard;
  if (identification != nullptr && identification->value.size() == 139)
    return FileKind::CompanyCard;
  return FileKind::Unknown;
}

Generation generationOf(const Blocks& blocks) {
  if (blocks.empty()) return Generation::Unknown;
  if (!blocks.anyGen2()) return Generation::Gen1;
  // Version 2 of a Gen2 card says so in cardStructureVersion ({01 01}, TCS_152/160/168 notes)
  // and alone carries EF Application_Identification_V2. With neither the Gen2 application
  // identification nor that EF, nothing tells version 2 from version 1: gen2v1, the lesser
  // claim, is reported.
  if (const Block* app = blocks.find(kApplicationIdentification, kGen2Data)) {
    ByteReader r(app->value);
    std::uint8_t type = 0, major = 0, minor = 0;
    if (r.readU8(type) && r.readU8(major) && r.readU8(minor) && major >= 0x01 && minor >= 0x01)
      return Generation::Gen2v2;
  }
  if (blocks.find(kApplicationIdentificationV2, kGen2Data) != nullptr) return Generation::Gen2v2;
  return Generation::Gen2v1;
}

// A Name or Address (data dictionary 2.99 / 2.2): codePage, then 35 bytes in that code page.
std::string readName(ByteReader& r, const char* field, std::size_t fileOffset,
                     std::vector<Warning>& warnings) {
  const std::size_t at = fileOffset + r.position();
  std::uint8_t codePage = 0;
  ByteView text;
  if (!r.readU8(codePage) || !r.readBytes(kNameSize - 1, text)) return {};
  bool ok = true;
  std::string utf8 = decodeCodePage(codePage, text, &ok);
  if (!ok)
    warnings.push_back({at, std::string(field) + ": bytes code page " + std::to_string(codePage) +
                                " does not map, shown as U+FFFD"});
  return utf8;
}

void readHolder(ByteReader& r, FileKind kind, const Block& b, CardSummary& card,
                std::vector<Warning>& warnings) {
  // DriverCardHolderIdentification 78, WorkshopCardHolderIdentification and
  // ControlCardHolderIdentification 146, CompanyCardHolderIdentification 74 (2.62, 2.237,
  // 2.52, 2.49); the company card's holds no name the summary carries.
  const std::size_t need = kind == FileKind::DriverCard    ? 78
                           : kind == FileKind::CompanyCard ? 74
                           : kind == FileKind::Unknown     ? 0
                                                           : 146;
  if (r.remaining() < need) {
    warnings.push_back({b.offset, blockName(b.fid, b.appendix) + ": " +
                                      std::to_string(r.remaining()) +
                                      " bytes after CardIdentification, a " + fileKindName(kind) +
                                      "'s holder identification has " + std::to_string(need) +
                                      "; holder fields left empty"});
    return;
  }
  const std::size_t base = b.offset + 5;
  if (kind == FileKind::WorkshopCard) {
    card.workshopName = readName(r, "workshopName", base, warnings);
    card.workshopAddress = readName(r, "workshopAddress", base, warnings);
  } else if (kind == FileKind::ControlCard) {
    r.skip(2 * kNameSize);  // controlBodyName, controlBodyAddress: not in the summary
  }
  if (kind == FileKind::DriverCard || kind == FileKind::WorkshopCard ||
      kind == FileKind::ControlCard) {
    card.surname = readName(r, "holderSurname", base, warnings);
    card.firstNames = readName(r, "holderFirstNames", base, warnings);
  }
  if (kind == FileKind::DriverCard) {
    const std::size_t at = base + r.position();
    ByteView datef;
    std::uint8_t bcd[4] = {};
    if (r.readBytes(4, datef)) std::copy(datef.begin(), datef.end(), bcd);
    CivilDate date{};
    if (bcd[0] == 0 && bcd[1] == 0 && bcd[2] == 0 && bcd[3] == 0) {
      // 2.57: '00000000'H is explicitly no date.
    } else if (decodeDatefBcd(bcd, date)) {
      card.birthDate = date;
    } else {
      warnings.push_back({at, "cardHolderBirthDate is not a BCD date (Datef); left empty"});
    }
  }
}

// EF Identification: CardIdentification (2.24), then the holder identification of the kind.
void readIdentification(const Block& b, FileKind kind, CardSummary& card,
                        std::vector<Warning>& warnings) {
  ByteReader r(b.value);
  std::uint8_t nation = 0;
  ByteView number;
  std::uint32_t issueDate = 0, validityBegin = 0, expiry = 0;
  r.readU8(nation);
  r.readBytes(16, number);
  r.skip(kNameSize);  // cardIssuingAuthorityName
  r.readU32BE(issueDate);
  r.readU32BE(validityBegin);
  r.readU32BE(expiry);
  card.issuingNation = nation;
  card.issuingNationAlpha = nationAlpha(nation);
  bool ok = true;
  card.cardNumber = decodeIa5(number, &ok);
  if (!ok)
    warnings.push_back({b.offset + 6, "cardNumber has bytes outside IA5 text, shown as '?'"});
  card.validityBegin = timeRealValue(validityBegin);
  card.expiryDate = timeRealValue(expiry);
  readHolder(r, kind, b, card, warnings);
}

// EF Driving_Licence_Info: CardDrivingLicenceInformation (2.18).
void readLicence(const Block& b, CardSummary& card, std::vector<Warning>& warnings) {
  ByteReader r(b.value);
  card.drivingLicenceIssuingAuthority =
      readName(r, "drivingLicenceIssuingAuthority", b.offset + 5, warnings);
  ByteView number;
  r.skip(1);  // drivingLicenceIssuingNation
  r.readBytes(16, number);
  bool ok = true;
  card.drivingLicenceNumber = decodeIa5(number, &ok);
  if (!ok)
    warnings.push_back({b.offset + 5 + 37, "drivingLicenceNumber has bytes outside IA5 text"});
}

// EF Driver_Activity_Data, Gen2 DF first; a Gen2 buffer whose walk found no day for damage
// gives way to the Gen1 one.
void readActivity(const Blocks& blocks, CardSummary& card, std::vector<Warning>& warnings) {
  ActivityDays days;
  bool walked = false;
  for (std::uint8_t appendix : {kGen2Data, kGen1Data}) {
    const Block* b = blocks.find(kDriverActivityData, appendix);
    if (b == nullptr) continue;
    if (walked)
      warnings.push_back({b->offset, blockName(b->fid, appendix) +
                                         ": read because the Gen2 buffer yielded no day"});
    days = walkActivity(b->value, b->offset + 5, blockName(b->fid, appendix), warnings);
    walked = true;
    if (!days.damaged || days.records > 0) break;
  }
  card.activityFirstDay = days.firstDay;
  card.activityLastDay = days.lastDay;
}

}  // namespace

ParsedFile parseCard(ByteView data) {
  ParsedFile file;
  Blocks blocks;
  blocks.read(data, file.warnings);
  if (blocks.empty()) {
    file.error = "not a card file: no block with a known tag (Appendix 7 section 3.4.2)";
    return file;
  }
  file.generation = generationOf(blocks);

  const Block* app = pick(blocks, kApplicationIdentification, 3, file.warnings);
  std::uint8_t cardType = 0;
  if (app != nullptr && ByteReader(app->value).readU8(cardType)) {
    file.kind = kindOfCardType(cardType);
    if (file.kind == FileKind::Unknown)
      file.warnings.push_back({app->offset + 5, "typeOfTachographCardId " +
                                                    std::to_string(cardType) +
                                                    " is no card type; the EFs present decide"});
  }
  const Block* identification =
      pick(blocks, kIdentification, kCardIdentificationSize, file.warnings);
  if (file.kind == FileKind::Unknown) file.kind = kindOfEfs(blocks, identification);

  if (identification == nullptr) {
    file.error = blocks.has(kIdentification)
                     ? "EF Identification (tag 05 20 00 / 05 20 02) is shorter than the 65 "
                       "bytes of CardIdentification"
                     : "no EF Identification block (tag 05 20 00 or 05 20 02)";
    return file;
  }
  CardSummary card;
  readIdentification(*identification, file.kind, card, file.warnings);
  if (const Block* licence = pick(blocks, kDrivingLicenceInfo, kDrivingLicenceSize, file.warnings))
    readLicence(*licence, card, file.warnings);
  readActivity(blocks, card, file.warnings);
  file.card = std::move(card);
  return file;
}

}  // namespace dcgw::codecs::ddd
