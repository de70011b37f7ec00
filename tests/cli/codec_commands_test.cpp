// dcgw decode / encode: line in, line out, errors as JSON on their line, exit status.
#include <gtest/gtest.h>

#include <sstream>

#include "codecs/json.hpp"
#include "gateway/cli/codec_commands.hpp"

namespace dcgw::cli {
namespace {

TEST(DecodeCommand, PrintsOneJsonObjectPerLineAndGoesOnAfterAnError) {
  std::istringstream in(
      "# Tracking suppression, seed 004 section 12.2\n"
      "4702 6a000000 01\n"
      "\n"
      "47006a00\n"
      "zz\n"
      "4100\n");
  std::ostringstream out;
  EXPECT_EQ(runDecode(in, out, TextEncoding::Hex), 1);
  std::istringstream lines(out.str());
  std::string l1, l2, l3, l4, extra;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  std::getline(lines, l4);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(
      l1,
      R"({"type":71,"subtype":2,"name":"Tracking suppression","dateTime":"2026-05-10T03:48:16Z","activated":1})");
  EXPECT_EQ(
      l2,
      R"({"line":4,"error":"dateTime at offset 2: 4 bytes, but the packet is 4 bytes long","field":"dateTime","offset":2})");
  auto err = codecs::parseJson(l3);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->find("line")->asExactInteger(), 5);
  EXPECT_EQ(err->find("field")->asString(), "input");
  EXPECT_EQ(l4, R"({"type":65,"subtype":0,"name":"Alcohol lock","raw":"4100"})");
}

TEST(DecodeCommand, ExitsZeroWhenEveryLineDecodes) {
  std::istringstream in("RwJqAAAAAQ==\n");  // base64 of 47 02 6a 00 00 00 01
  std::ostringstream out;
  EXPECT_EQ(runDecode(in, out, TextEncoding::Base64), 0);
  EXPECT_NE(out.str().find("\"activated\":1"), std::string::npos);
}

TEST(EncodeCommand, IsTheReverseOfDecode) {
  std::istringstream in(
      R"({"type":71,"subtype":2,"name":"Tracking suppression","dateTime":"2026-05-10T03:48:16Z","activated":1})"
      "\n{\"type\":71}\n{not json\n");
  std::ostringstream out;
  EXPECT_EQ(runEncode(in, out, TextEncoding::Hex), 1);
  std::istringstream lines(out.str());
  std::string l1, l2, l3;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  EXPECT_EQ(l1, "47026a00000001");
  EXPECT_NE(l2.find("\"field\":\"subtype\""), std::string::npos) << l2;
  EXPECT_NE(l3.find("\"line\":3"), std::string::npos) << l3;
}

}  // namespace
}  // namespace dcgw::cli
