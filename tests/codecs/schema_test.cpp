// schema/packets/*.schema.json are generated from the codec tables; they must be current, and
// every rendered packet must use only the members its schema declares, with all required ones.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/packets/schema_gen.hpp"

namespace dcgw::codecs {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(PacketSchema, CommittedFilesMatchTheCodecTables) {
  for (const std::string& family : packetFamilies()) {
    std::string path = std::string(DCGW_SOURCE_DIR) + "/schema/packets/" + family + ".schema.json";
    EXPECT_EQ(readFile(path), packetFamilySchema(family))
        << path << " is stale: run `dcgw schema packets schema/packets`";
  }
}

TEST(PacketSchema, EverySchemaIsValidJson) {
  for (const std::string& family : packetFamilies()) {
    auto j = parseJson(packetFamilySchema(family));
    ASSERT_TRUE(j.ok()) << family;
    EXPECT_TRUE(j->find("oneOf")->isArray());
  }
}

// The members a rendered packet has must be exactly declared and include every required one.
TEST(PacketSchema, RenderedPacketsConformToTheirSchema) {
  for (const PacketKind& k : packetKinds()) {
    auto schema = parseJson(packetFamilySchema(k.family));
    ASSERT_TRUE(schema.ok());
    const JsonValue* kindSchema = nullptr;
    for (const JsonValue& s : schema->find("oneOf")->asArray())
      if (s.find("title")->asString() == kindTitle(k)) kindSchema = &s;
    ASSERT_NE(kindSchema, nullptr) << k.name;
    Bytes b(k.layout ? k.layout->fullLength : 4, 0);
    b[0] = k.type;
    b[1] = k.subLo;
    while (findPacketKind(k.type, b[1]) != &k && b[1] < k.subHi) ++b[1];  // fallback entries
    auto p = decodePacket(b);
    ASSERT_TRUE(p.ok()) << k.name << ": " << p.error().message();
    auto rendered = parseJson(renderPacketJson(*p));
    ASSERT_TRUE(rendered.ok());
    const JsonValue* props = kindSchema->find("properties");
    for (const auto& [key, value] : rendered->asObject())
      EXPECT_NE(props->find(key), nullptr) << k.name << " renders undeclared " << key;
    for (const JsonValue& r : kindSchema->find("required")->asArray())
      EXPECT_NE(rendered->find(r.asString()), nullptr) << k.name << " lacks " << r.asString();
  }
}

}  // namespace
}  // namespace dcgw::codecs
