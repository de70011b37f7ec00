// Properties every layout of the registry must have: round trip, truncation errors at every field
// boundary, extra bytes kept, registry consistency. Per-layout vectors are in layouts_test.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "codecs/packets/packet.hpp"
#include "codecs/packets/registry.hpp"

namespace dcgw::codecs {
namespace {

// A valid packet of this kind with every byte set to something distinctive.
Bytes samplePacket(const PacketKind& k) {
  const Layout& l = *k.layout;
  Bytes b(l.fullLength, 0);
  b[0] = k.type;
  b[1] = k.subLo;
  std::uint8_t counter = 0x11;
  for (const FieldSpec& f : l.fields) {
    if (f.offset == 1) continue;
    switch (f.kind) {
      case FieldKind::Reserved:
        break;
      case FieldKind::Datef:
        b[f.offset] = 0x19, b[f.offset + 1] = 0x84, b[f.offset + 2] = 0x02, b[f.offset + 3] = 0x29;
        break;
      case FieldKind::Ascii:
        for (std::size_t i = 0; i < f.size; ++i)
          b[f.offset + i] = static_cast<std::uint8_t>('A' + i % 26);
        break;
      case FieldKind::FmsVersion:
        b[f.offset] = '0', b[f.offset + 1] = '4', b[f.offset + 2] = '1', b[f.offset + 3] = '2';
        break;
      case FieldKind::Utf16LE:
        for (std::size_t i = 0; i + 1 < f.size; i += 2)
          b[f.offset + i] = static_cast<std::uint8_t>('a' + i / 2 % 26);
        break;
      case FieldKind::InfoStrings: {
        const char info[] =
            "Speeding\0Over the limit\0"
            "92\0"
            "80";
        b.insert(b.end(), info, info + sizeof(info) - 1);
        break;
      }
      default:
        for (std::size_t i = 0; i < f.size; ++i) b[f.offset + i] = counter += 0x17;
    }
  }
  return b;
}

std::string describe(const PacketKind& k) {
  return std::string(k.name) + " (section " + k.layout->section + ")";
}

Bytes roundTrip(const Bytes& in) {
  auto p = decodePacket(in);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
  if (!p.ok()) return {};
  auto json = parseJson(renderPacketJson(*p));
  EXPECT_TRUE(json.ok());
  auto out = encodePacket(*json);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
  return out.ok() ? *out : Bytes{};
}

TEST(PacketRegistry, EveryLayoutRoundTripsThroughJson) {
  for (const PacketKind& k : packetKinds()) {
    if (!k.layout) continue;
    Bytes in = samplePacket(k);
    EXPECT_EQ(toHex(roundTrip(in)), toHex(in)) << describe(k);
  }
}

TEST(PacketRegistry, NullValuesRoundTrip) {
  for (const PacketKind& k : packetKinds()) {
    if (!k.layout) continue;
    Bytes in = samplePacket(k);
    for (const FieldSpec& f : k.layout->fields)
      if (f.flags & kNullable) std::fill_n(in.begin() + f.offset, f.size, 0xFF);
    EXPECT_EQ(toHex(roundTrip(in)), toHex(in)) << describe(k);
  }
}

TEST(PacketRegistry, LongerPacketsKeepTheirExtraBytes) {
  for (const PacketKind& k : packetKinds()) {
    if (!k.layout || k.type == 0x61) continue;  // Alerts' info runs to the end of the packet
    Bytes in = samplePacket(k);
    in.push_back(0xAB);
    in.push_back(0x01);
    auto p = decodePacket(in);
    ASSERT_TRUE(p.ok()) << describe(k);
    EXPECT_EQ(toHex(p->extra()), "ab01") << describe(k);
    EXPECT_NE(renderPacketJson(*p).find("\"extraBytes\":\"ab01\""), std::string::npos);
    EXPECT_EQ(toHex(roundTrip(in)), toHex(in)) << describe(k);
  }
}

TEST(PacketRegistry, TruncationAtEveryFieldNamesThatField) {
  for (const PacketKind& k : packetKinds()) {
    if (!k.layout) continue;
    const Bytes full = samplePacket(k);
    for (const FieldSpec& f : k.layout->fields) {
      if (f.kind == FieldKind::InfoStrings) continue;
      // Cut at the field's start (a field boundary) and one byte before its end.
      for (std::size_t cut : {std::size_t{f.offset}, std::size_t{f.offset} + f.size - 1}) {
        Bytes in(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
        auto p = decodePacket(in);
        const bool optionalBoundary = (f.flags & kOptional) && cut == f.offset;
        if (optionalBoundary) {
          EXPECT_TRUE(p.ok()) << describe(k) << " cut at " << cut;
          continue;
        }
        ASSERT_FALSE(p.ok()) << describe(k) << " cut at " << cut;
        EXPECT_EQ(p.error().field, f.key) << describe(k) << " cut at " << cut;
        EXPECT_EQ(p.error().offset, f.offset) << describe(k) << " cut at " << cut;
      }
    }
  }
}

TEST(PacketRegistry, MinimumLengthMatchesLayout) {
  for (const PacketKind& k : packetKinds()) {
    if (!k.layout) continue;
    EXPECT_EQ(k.minLength, k.layout->minLength) << describe(k);
    Bytes in = samplePacket(k);
    in.resize(k.minLength);
    EXPECT_TRUE(decodePacket(in).ok()) << describe(k);
    in.pop_back();
    EXPECT_FALSE(decodePacket(in).ok()) << describe(k);
  }
}

TEST(PacketRegistry, EveryKindHasAKnownFilterKey) {
  std::set<std::string> keys;
  for (const char* key : filterKeys()) keys.insert(key);
  EXPECT_EQ(keys.size(), filterKeys().size());
  for (const PacketKind& k : packetKinds()) {
    ASSERT_NE(k.filterKey, nullptr) << k.name;
    EXPECT_TRUE(keys.count(k.filterKey)) << k.name;
    EXPECT_TRUE(isFilterKey(k.filterKey, std::string(k.filterKey).size()));
  }
  // Seed 004 figure 5 lists twenty.
  EXPECT_TRUE(isFilterKey("Vehicle CAN data - Engine On", 28));
  EXPECT_FALSE(isFilterKey("Tracking ", 9));
}

TEST(PacketRegistry, SixDLooksUpAsFourD) {
  EXPECT_EQ(findPacketKind(0x6D, 0x03), findPacketKind(0x4D, 0x03));
  EXPECT_STREQ(findPacketKind(0x6D, 0x04)->name, "Intellic iCounter");
}

TEST(PacketDecode, RejectsAnEmptyPacket) {
  const Bytes empty;
  auto p = decodePacket(empty);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, "type");
  EXPECT_EQ(p.error().offset, 0u);
}

TEST(PacketDecode, RejectsAKnownTypeWithoutItsSubtype) {
  const Bytes type47{0x47}, type53{0x53};
  auto p = decodePacket(type47);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, "subtype");
  EXPECT_EQ(p.error().offset, 1u);
  auto s = decodePacket(type53);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "sensorNumber");
}

TEST(PacketDecode, UnknownSubtypeOfAKnownTypeIsKeptRaw) {
  const Bytes b{0x46, 0x99, 0x01};
  auto p = decodePacket(b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(renderPacketJson(*p), R"({"type":70,"subtype":153,"name":"unknown","raw":"469901"})");
}

TEST(PacketDecode, ErrorMessageNamesFieldOffsetAndExpectation) {
  const Bytes b{0x47, 0x00, 0x6A, 0x00};
  auto p = decodePacket(b);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "dateTime at offset 2: 4 bytes, but the packet is 4 bytes long");
}

TEST(PacketEncode, ReportsTheMissingMember) {
  auto j = parseJson(R"({"type":71,"subtype":2,"dateTime":"2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(j.ok());
  auto b = encodePacket(*j);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().field, "activated");
  EXPECT_EQ(b.error().offset, 6u);
}

TEST(PacketEncode, RejectsOutOfRangeValues) {
  auto j =
      parseJson(R"({"type":71,"subtype":2,"dateTime":"2026-01-01T00:00:00Z","activated":256})");
  ASSERT_TRUE(j.ok());
  auto b = encodePacket(*j);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().field, "activated");
  auto t = parseJson(R"({"type":71,"subtype":2,"dateTime":"2026-13-01T00:00:00Z","activated":1})");
  ASSERT_FALSE(encodePacket(*t).ok());
  auto n = parseJson(R"({"type":71,"subtype":2,"dateTime":null,"activated":1})");
  ASSERT_FALSE(encodePacket(*n).ok()) << "dateTime is not nullable in section 12.2";
}

TEST(PacketEncode, RawFormEncodesKindsWithoutLayout) {
  auto j = parseJson(R"({"type":100,"subtype":0,"name":"Device configuration","raw":"6400aa"})");
  auto b = encodePacket(*j);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(toHex(*b), "6400aa");
  auto missing = parseJson(R"({"type":100,"subtype":0})");
  ASSERT_FALSE(encodePacket(*missing).ok());
}

TEST(PacketEncode, AlertsWithTwelveItemsAndExtraBytesRoundTrip) {
  // Seed 004 section 7: Title, Alert, P1..P10, then bytes a later version may add.
  Bytes in = {0x61, 0x00};
  in.resize(23, 0x20);
  for (int i = 0; i < 12; ++i) {
    in.push_back(static_cast<std::uint8_t>('A' + i));
    in.push_back(0);
  }
  in.push_back(0xEF);
  auto p = decodePacket(in);
  ASSERT_TRUE(p.ok());
  auto json = parseJson(renderPacketJson(*p));
  EXPECT_EQ(json->find("p10")->asString(), "L");
  EXPECT_EQ(json->find("extraBytes")->asString(), "ef");
  auto out = encodePacket(*json);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(toHex(*out), toHex(in));
}

TEST(PacketRender, InvalidUtf8InAlertTextBecomesReplacementCharacters) {
  Bytes in = {0x61, 0x00};
  in.resize(23, 0x20);
  for (int b : {0xC0, 0x80, 0x6F, 0x6B, 0xED, 0xA0, 0x80})
    in.push_back(static_cast<std::uint8_t>(b));
  auto p = decodePacket(in);
  ASSERT_TRUE(p.ok());
  auto json = parseJson(renderPacketJson(*p));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->find("title")->asString(),
            "\xEF\xBF\xBD\xEF\xBF\xBDok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(PacketEncode, TooLongTextIsRefused) {
  auto j = parseJson(
      R"({"type":68,"subtype":0,"cardNumber":"123456789012345","surname":"A","firstNames":"B"})");
  auto b = encodePacket(*j);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().field, "cardNumber");
  EXPECT_EQ(b.error().expected, "at most 14 characters");
}

}  // namespace
}  // namespace dcgw::codecs
