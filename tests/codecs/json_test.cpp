// The JSON writer and parser used for packet rendering and `dcgw encode`.
#include <gtest/gtest.h>

#include "codecs/json.hpp"

namespace dcgw::codecs {
namespace {

TEST(JsonWriter, EscapesStringsAndSeparatesMembers) {
  std::string s;
  JsonWriter w(s);
  w.beginObject();
  w.key("a");
  w.string("q\"b\\\n\x01");
  w.key("n");
  w.number(51.5);
  w.key("list");
  w.beginArray();
  w.integer(-3);
  w.null();
  w.boolean(true);
  w.endArray();
  w.endObject();
  EXPECT_EQ(s, R"({"a":"q\"b\\\n\u0001","n":51.5,"list":[-3,null,true]})");
}

TEST(JsonWriter, RendersShortestRoundTripDecimals) {
  std::string s;
  JsonWriter w(s);
  w.number(246913.0 / 200);
  EXPECT_EQ(s, "1234.565");
}

TEST(JsonParser, ParsesNestedValues) {
  auto v = parseJson(R"( {"a": [1, 2.5, "x\u00e9\ud83d\ude00"], "b": {"c": null, "d": false}} )");
  ASSERT_TRUE(v.ok());
  const JsonValue* a = v->find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->asArray().size(), 3u);
  EXPECT_EQ(a->asArray()[0].asExactInteger().value(), 1);
  EXPECT_FALSE(a->asArray()[1].asExactInteger().has_value());
  EXPECT_DOUBLE_EQ(a->asArray()[1].asDouble(), 2.5);
  EXPECT_EQ(a->asArray()[2].asString(), "x\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_TRUE(v->find("b")->find("c")->isNull());
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(JsonParser, ReportsTheOffsetOfTheError) {
  struct Case {
    const char* text;
    std::size_t offset;
  };
  const Case cases[] = {{"1e400", 0},        {"{\"a\" 1}", 5}, {"[1,]", 3},
                        {"{\"a\":tru}", 5},  {"\"abc", 4},     {"{} x", 3},
                        {"\"\\ud800x\"", 7}, {"01x", 1},       {"\"\\q\"", 2}};
  for (const Case& c : cases) {
    auto v = parseJson(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().offset, c.offset) << c.text << ": " << v.error().message();
  }
}

TEST(JsonParser, LimitsNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(parseJson(deep).ok());
  std::string ok(60, '[');
  ok += std::string(60, ']');
  EXPECT_TRUE(parseJson(ok).ok());
}

}  // namespace
}  // namespace dcgw::codecs
