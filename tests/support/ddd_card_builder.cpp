// Builds card files block by block from Annex 1C's layouts (ddd_card_builder.hpp).
#include "tests/support/ddd_card_builder.hpp"

#include <cstdint>
#include <stdexcept>

#include "codecs/timefmt.hpp"

namespace dcgw::testing {
namespace {

using codecs::ByteWriter;

constexpr std::uint8_t kData1 = 0x00, kSig1 = 0x01, kData2 = 0x02, kSig2 = 0x03;

bool isGen2(const CardSpec& s) {
  return s.generation != CardGeneration::Gen1;
}

// Name / Address (2.99, 2.2): codePage then 35 bytes, space padded.
void writeName(ByteWriter& w, std::uint8_t codePage, const std::string& text) {
  w.writeU8(codePage);
  for (std::size_t i = 0; i < 35; ++i)
    w.writeU8(i < text.size() ? static_cast<std::uint8_t>(text[i]) : ' ');
}

void writeIa5(ByteWriter& w, const std::string& text, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i)
    w.writeU8(i < text.size() ? static_cast<std::uint8_t>(text[i]) : ' ');
}

std::uint32_t timeOf(const std::string& date) {
  return date.empty() ? 0 : dayStart(date);
}

Bytes pattern(std::size_t size, std::uint8_t seed) {  // certificate and signature stand-ins
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
  return b;
}

std::uint8_t bcd(unsigned v) {
  return static_cast<std::uint8_t>((v / 10 % 10) << 4 | v % 10);
}

// Zero-filled EFs the summary does not read, at the sizes of TCS_150 (Gen1 driver minimum),
// TCS_154 (Gen2 driver), TCS_158 (Gen1 workshop), TCS_166/174 (control, company).
struct OtherEf {
  std::uint16_t fid;
  std::size_t gen1, gen2;  // 0: not in that DF
};
std::vector<OtherEf> otherEfs(const CardSpec& s) {
  switch (s.type) {
    case CardType::Driver:
      return {{0x0502, 864, 3168}, {0x0503, 576, 1152}, {0x0505, 2606, 9602},
              {0x0506, 841, 2354}, {0x0507, 19, 19},    {0x0508, 46, 46},
              {0x0522, 280, 562},  {0x0523, 0, 2002},   {0x0524, 0, 6050}};
    case CardType::Workshop:
      return {{0x050A, 9243, 9243}, {0x0502, 432, 432}, {0x0503, 288, 288}, {0x0505, 126, 126},
              {0x0506, 61, 61},     {0x0507, 19, 19},   {0x0508, 46, 46},   {0x0522, 10, 10}};
    case CardType::Control:
      return {{0x050C, 10582, 10582}};
    case CardType::Company:
      return {{0x050D, 10582, 10582}};
  }
  return {};
}

void appendSigned(Bytes& file, std::uint16_t fid, bool gen2Df, const Bytes& value,
                  const CardSpec& s) {
  const Bytes b = cardBlock(fid, gen2Df ? kData2 : kData1, value);
  file.insert(file.end(), b.begin(), b.end());
  if (!s.certificatesAndSignatures) return;
  // Gen1: RSA 1024 (128 bytes); Gen2: ECDSA on a 256-bit curve (64 bytes).
  const Bytes sig = cardBlock(fid, gen2Df ? kSig2 : kSig1,
                              pattern(gen2Df ? 64 : 128, static_cast<std::uint8_t>(fid)));
  file.insert(file.end(), sig.begin(), sig.end());
}

void appendDf(Bytes& file, const CardSpec& s, bool gen2Df) {
  auto plain = [&](std::uint16_t fid, std::size_t size) {
    const Bytes b = cardBlock(fid, gen2Df ? kData2 : kData1, pattern(size, 0xC1));
    file.insert(file.end(), b.begin(), b.end());
  };
  if (s.certificatesAndSignatures) {  // DDP_035: unsigned, read first
    plain(0xC100, gen2Df ? 204 : 194);
    if (gen2Df && (s.type == CardType::Driver || s.type == CardType::Workshop)) plain(0xC101, 204);
    plain(0xC108, gen2Df ? 204 : 194);
    if (gen2Df) plain(0xC109, 204);
  }
  appendSigned(file, 0x0501, gen2Df, applicationIdentificationEf(s, gen2Df), s);
  if (gen2Df && s.generation == CardGeneration::Gen2v2) {
    Bytes v2;  // lengthOfFollowingData 8, then four counts (2.61a)
    ByteWriter w(v2);
    for (std::uint16_t v : {8, 1120, 1624, 336, 3072}) w.writeU16BE(v);
    appendSigned(file, 0x0525, gen2Df, v2, s);
  }
  appendSigned(file, 0x0520, gen2Df, cardIdentificationEf(s), s);
  if (s.type == CardType::Driver) appendSigned(file, 0x0521, gen2Df, drivingLicenceEf(s), s);
  if (s.type == CardType::Driver || s.type == CardType::Workshop)
    appendSigned(file, 0x0504, gen2Df, driverActivityEf(s, activityBufferSize(s, gen2Df)), s);
  if (!s.otherEfs) return;
  for (const OtherEf& ef : otherEfs(s)) {
    const std::size_t size = gen2Df ? ef.gen2 : ef.gen1;
    if (size != 0) appendSigned(file, ef.fid, gen2Df, Bytes(size, 0), s);
  }
}

}  // namespace

Bytes cardBlock(std::uint16_t fid, std::uint8_t appendix, const Bytes& value) {
  if (value.size() > 0xFFFE) throw std::invalid_argument("card block value over 65534 bytes");
  Bytes b;
  ByteWriter w(b);
  w.writeU16BE(fid);
  w.writeU8(appendix);
  w.writeU16BE(static_cast<std::uint16_t>(value.size()));
  w.writeBytes(value);
  return b;
}

std::size_t findCardBlock(const Bytes& file, std::uint16_t fid, std::uint8_t appendix) {
  std::size_t at = 0;
  while (at + 5 <= file.size()) {
    const std::uint16_t f = static_cast<std::uint16_t>(file[at] << 8 | file[at + 1]);
    const std::size_t length = static_cast<std::size_t>(file[at + 3] << 8 | file[at + 4]);
    if (f == fid && file[at + 2] == appendix) return at;
    at += 5 + length;
  }
  return SIZE_MAX;
}

void replaceCardBlockValue(Bytes& file, std::uint16_t fid, std::uint8_t appendix,
                           const Bytes& value) {
  const std::size_t at = findCardBlock(file, fid, appendix);
  removeCardBlock(file, fid, appendix);
  const Bytes b = cardBlock(fid, appendix, value);
  file.insert(file.begin() + static_cast<std::ptrdiff_t>(at), b.begin(), b.end());
}

void removeCardBlock(Bytes& file, std::uint16_t fid, std::uint8_t appendix) {
  const std::size_t at = findCardBlock(file, fid, appendix);
  if (at == SIZE_MAX) throw std::invalid_argument("no such card block");
  const std::size_t length = static_cast<std::size_t>(file[at + 3] << 8 | file[at + 4]);
  file.erase(file.begin() + static_cast<std::ptrdiff_t>(at),
             file.begin() + static_cast<std::ptrdiff_t>(at + 5 + length));
}

Bytes cardIdentificationEf(const CardSpec& s) {
  Bytes b;
  ByteWriter w(b);
  w.writeU8(s.nation);  // CardIdentification (2.24)
  writeIa5(w, s.cardNumber, 16);
  writeName(w, s.codePage, "Kraftfahrt-Testamt");
  w.writeU32BE(timeOf(s.issueDate));
  w.writeU32BE(timeOf(s.validityBegin));
  w.writeU32BE(timeOf(s.expiryDate));
  switch (s.type) {
    case CardType::Driver: {  // DriverCardHolderIdentification (2.62)
      writeName(w, s.codePage, s.surname);
      writeName(w, s.codePage, s.firstNames);
      std::uint8_t datef[4] = {0, 0, 0, 0};
      if (!s.birthDate.empty() && !codecs::parseDateToBcd(s.birthDate, datef))
        throw std::invalid_argument("birthDate is not YYYY-MM-DD");
      w.writeBytes(codecs::ByteView(datef, 4));
      break;
    }
    case CardType::Workshop:  // WorkshopCardHolderIdentification (2.237)
    case CardType::Control:   // ControlCardHolderIdentification (2.52): body name, address
      writeName(w, s.codePage, s.workshopName);
      writeName(w, s.codePage, s.workshopAddress);
      writeName(w, s.codePage, s.surname);
      writeName(w, s.codePage, s.firstNames);
      break;
    case CardType::Company:  // CompanyCardHolderIdentification (2.49)
      writeName(w, s.codePage, s.workshopName);
      writeName(w, s.codePage, s.workshopAddress);
      break;
  }
  writeIa5(w, "de", 2);  // cardHolderPreferredLanguage
  return b;
}

Bytes drivingLicenceEf(const CardSpec& s) {
  Bytes b;  // CardDrivingLicenceInformation (2.18)
  ByteWriter w(b);
  writeName(w, s.codePage, s.licenceAuthority);
  w.writeU8(s.nation);
  writeIa5(w, s.licenceNumber, 16);
  return b;
}

Bytes applicationIdentificationEf(const CardSpec& s, bool gen2Df) {
  Bytes b;
  ByteWriter w(b);
  w.writeU8(static_cast<std::uint8_t>(s.type));
  // cardStructureVersion (2.36): {00 00} Gen1, {01 00} Gen2 version 1, {01 01} version 2.
  w.writeU8(gen2Df ? 0x01 : 0x00);
  w.writeU8(gen2Df && s.generation == CardGeneration::Gen2v2 ? 0x01 : 0x00);
  const std::size_t gen1Size[] = {0, 10, 11, 5, 5}, gen2Size[] = {0, 17, 19, 5, 5};
  const std::size_t size = (gen2Df ? gen2Size : gen1Size)[static_cast<int>(s.type)];
  if (s.type == CardType::Driver || s.type == CardType::Workshop) {
    w.writeU8(gen2Df ? 12 : 6);   // noOfEventsPerType
    w.writeU8(gen2Df ? 24 : 12);  // noOfFaultsPerType
    w.writeU16BE(static_cast<std::uint16_t>(activityBufferSize(s, gen2Df)));
  }
  b.resize(size, 0);  // the remaining record counts, not read by the summary
  return b;
}

std::size_t activityBufferSize(const CardSpec& s, bool gen2Df) {
  if (gen2Df && s.gen2ActivitySize) return s.gen2ActivitySize;
  if (!gen2Df && s.gen1ActivitySize) return s.gen1ActivitySize;
  if (s.type == CardType::Workshop) return gen2Df ? 492 : 198;
  return gen2Df ? 13776 : 5544;
}

Bytes driverActivityEf(const CardSpec& s, std::size_t size, ActivityLayout* layout) {
  Bytes buffer(size, 0);
  std::vector<std::size_t> starts, lengths;
  std::size_t pos = size ? s.activityStart % size : 0;
  std::uint16_t previous = 0;
  for (std::size_t i = 0; i < s.days.size(); ++i) {
    const ActivityDay& d = s.days[i];
    Bytes rec;  // CardActivityDailyRecord (2.9)
    ByteWriter w(rec);
    if (d.changes == 0) throw std::invalid_argument("a day has at least the 00:00 change");
    const auto length = static_cast<std::uint16_t>(12 + 2 * d.changes);
    w.writeU16BE(previous);
    w.writeU16BE(length);
    w.writeU32BE(d.date);
    w.writeU8(bcd(static_cast<unsigned>((i + 1) / 100)));  // activityDailyPresenceCounter
    w.writeU8(bcd(static_cast<unsigned>(i + 1)));
    w.writeU16BE(d.distance);
    for (std::uint16_t c = 0; c < d.changes; ++c)  // ActivityChangeInfo (2.1): aa, minutes
      w.writeU16BE(static_cast<std::uint16_t>((c % 4) << 11 | (c * (1440 / d.changes))));
    if (length > size) throw std::invalid_argument("a daily record longer than the buffer");
    starts.push_back(pos);
    lengths.push_back(length);
    for (std::size_t k = 0; k < rec.size(); ++k) buffer[(pos + k) % size] = rec[k];
    pos = (pos + length) % size;
    previous = length;
  }
  // The records that survive are the newest ones whose lengths fit the buffer together.
  std::size_t kept = 0, total = 0;
  while (kept < starts.size() && total + lengths[starts.size() - 1 - kept] <= size) {
    total += lengths[starts.size() - 1 - kept];
    ++kept;
  }
  std::size_t oldest = 0, newest = 0;
  if (kept > 0) {
    oldest = starts[starts.size() - kept];
    newest = starts.back();
    buffer[oldest] = 0;  // 2.17: the oldest record's activityPreviousRecordLength is reset
    buffer[(oldest + 1) % size] = 0;
  }
  if (layout != nullptr) {
    *layout = {};
    layout->oldest = oldest;
    layout->newest = newest;
    layout->keptDays = kept;
    for (std::size_t i = starts.size() - kept; i < starts.size(); ++i)
      if (starts[i] + lengths[i] > size) layout->straddles = true;
    if (kept > 0) {
      layout->firstDay = s.days[s.days.size() - kept].date;
      layout->lastDay = s.days.back().date;
    }
  }
  Bytes ef;
  ByteWriter w(ef);
  w.writeU16BE(static_cast<std::uint16_t>(oldest));
  w.writeU16BE(static_cast<std::uint16_t>(newest));
  w.writeBytes(buffer);
  return ef;
}

Bytes buildCardFile(const CardSpec& s) {
  Bytes file;
  if (s.iccAndIc) {
    Bytes icc;  // CardIccIdentification (2.23): 25 bytes
    ByteWriter w(icc);
    w.writeU8(0x00);  // clockStop
    w.writeBytes(pattern(8, 0x10));
    writeIa5(w, "TEST0001", 8);  // cardApprovalNumber
    w.writeU8(0x01);             // cardPersonaliserID
    w.writeZeros(5 + 2);         // embedderIcAssemblerId, icIdentifier
    const Bytes a = cardBlock(0x0002, kData1, icc), b = cardBlock(0x0005, kData1, pattern(8, 3));
    file.insert(file.end(), a.begin(), a.end());
    file.insert(file.end(), b.begin(), b.end());
  }
  appendDf(file, s, false);
  if (isGen2(s)) appendDf(file, s, true);
  return file;
}

std::uint32_t dayStart(const std::string& date) {
  const auto t = codecs::parseTimeReal(date + "T00:00:00Z");
  if (!t) throw std::invalid_argument("not a date: " + date);
  return *t;
}

std::vector<ActivityDay> consecutiveDays(const std::string& firstDate, std::size_t count,
                                         std::uint16_t changes) {
  std::vector<ActivityDay> days;
  const std::uint32_t first = dayStart(firstDate);
  for (std::size_t i = 0; i < count; ++i)
    days.push_back({first + static_cast<std::uint32_t>(i * 86400), changes,
                    static_cast<std::uint16_t>(100 + i)});
  return days;
}

CardSpec sampleDriverCard(CardGeneration generation) {
  CardSpec s;
  s.generation = generation;
  s.days = consecutiveDays("2025-03-01", 10);
  return s;
}

CardSpec sampleWorkshopCard(CardGeneration generation) {
  CardSpec s;
  s.type = CardType::Workshop;
  s.generation = generation;
  s.cardNumber = "D0000WKSTEST0101";  // ownerIdentification 13 + three indexes
  s.surname = "Schrauber";
  s.firstNames = "Erika Werkprobe";
  s.days = consecutiveDays("2025-04-10", 2);
  return s;
}

}  // namespace dcgw::testing
