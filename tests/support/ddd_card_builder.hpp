// Synthetic tachograph card files (.DDD) built from Annex 1C's layouts for the tests, the fuzz
// corpus and dcgw-make-ddd: made-up holders and numbers, never a real person's data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"

namespace dcgw::testing {

using codecs::Bytes;

// typeOfTachographCardId values (Annex 1C data dictionary 2.67 EquipmentType).
enum class CardType : std::uint8_t { Driver = 1, Workshop = 2, Control = 3, Company = 4 };
// Gen2v1 and Gen2v2 files carry both DFs (appendix 00/01 and 02/03); Gen2v2 adds
// EF Application_Identification_V2 and says {01 01} in cardStructureVersion (TCS_152 notes).
enum class CardGeneration : std::uint8_t { Gen1, Gen2v1, Gen2v2 };

// One CardActivityDailyRecord (2.9): 12 bytes then `changes` ActivityChangeInfo of 2 bytes.
struct ActivityDay {
  std::uint32_t date;  // TimeReal of the day's 00:00 UTC
  std::uint16_t changes = 4;
  std::uint16_t distance = 0;
};

struct CardSpec {
  CardType type = CardType::Driver;
  CardGeneration generation = CardGeneration::Gen1;
  std::uint8_t nation = 0x0D;                   // NationNumeric: D
  std::string cardNumber = "D0000TEST0000101";  // 14 + replacement + renewal index
  std::uint8_t codePage = 1;                    // the names below are bytes in this code page
  std::string surname = "M\xFCller-Beispiel";
  std::string firstNames = "J\xF6rg Testfahrer";
  std::string birthDate = "1980-02-29";  // "" writes 00000000 (no date)
  std::string issueDate = "2024-08-01", validityBegin = "2024-08-08", expiryDate = "2029-08-07";
  std::string licenceNumber = "TESTLIC000000001";
  std::string licenceAuthority = "Fahrerlaubnisbeh\xF6rde Musterkreis";
  std::string workshopName = "Musterwerkstatt Probe GmbH";
  std::string workshopAddress = "Beispielweg 7, 99999 Musterstadt";
  // Oldest first, written into the cyclic buffer as a card does: from `activityStart`, wrapping
  // at the end, older records overwritten once the buffer is full.
  std::vector<ActivityDay> days;
  std::size_t activityStart = 0;
  std::size_t gen1ActivitySize = 0;  // 0: the table's size (TCS_150/158 minimum)
  std::size_t gen2ActivitySize = 0;  // 0: the table's size (TCS_154/162)
  bool otherEfs = true;              // events, faults, places ... zero-filled at the tables' sizes
  bool certificatesAndSignatures = true;
  bool iccAndIc = true;
};

// Where the records of a built buffer lie, for tests to check their own preconditions.
struct ActivityLayout {
  std::size_t oldest = 0, newest = 0;  // the two pointers written
  std::size_t keptDays = 0;            // records that survived the wrap
  std::uint32_t firstDay = 0, lastDay = 0;
  bool straddles = false;  // a kept record runs across the buffer's end
};

// One TLV block (Appendix 7 section 3.4.2): FID, appendix, length u16 BE, value.
Bytes cardBlock(std::uint16_t fid, std::uint8_t appendix, const Bytes& value);
// Offset of the first block with this tag in a file of blocks; SIZE_MAX when none.
std::size_t findCardBlock(const Bytes& file, std::uint16_t fid, std::uint8_t appendix);
// Replaces the value of the first block with this tag (its length field follows).
void replaceCardBlockValue(Bytes& file, std::uint16_t fid, std::uint8_t appendix,
                           const Bytes& value);

// Removes the first block with this tag.
void removeCardBlock(Bytes& file, std::uint16_t fid, std::uint8_t appendix);

// EF values (data dictionary 2.24/2.62/2.237/2.52/2.49, 2.18, 2.17, 2.61/2.234).
Bytes cardIdentificationEf(const CardSpec& spec);
Bytes drivingLicenceEf(const CardSpec& spec);
Bytes applicationIdentificationEf(const CardSpec& spec, bool gen2Df);
Bytes driverActivityEf(const CardSpec& spec, std::size_t bufferSize,
                       ActivityLayout* layout = nullptr);
std::size_t activityBufferSize(const CardSpec& spec, bool gen2Df);

// The whole download in DDP_035's order: EF ICC and IC, then the Tachograph DF (certificates,
// then each EF with its signature), then for Gen2 the Tachograph_G2 DF likewise.
Bytes buildCardFile(const CardSpec& spec);

// `count` consecutive days from `firstDate` ("YYYY-MM-DD").
std::vector<ActivityDay> consecutiveDays(const std::string& firstDate, std::size_t count,
                                         std::uint16_t changes = 4);
std::uint32_t dayStart(const std::string& date);  // TimeReal of a date's 00:00 UTC

// The made-up holders the tests and dcgw-make-ddd use.
CardSpec sampleDriverCard(CardGeneration generation);
CardSpec sampleWorkshopCard(CardGeneration generation);

}  // namespace dcgw::testing
