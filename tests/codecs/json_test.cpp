// The JSON writer and parser used for packet rendering and `dcgw encode`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

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

// Edge cases found by a differential run (1 million generated and mutated documents) of the
// nlohmann-json based parser against the hand-written one it replaced: same values, same
// offsets and wording, except that invalid UTF-8 inside a string is now refused.
TEST(JsonParser, KeepsTheHandWrittenParsersEdgeCases) {
  struct Case {
    std::string text;
    std::size_t offset;
    const char* expected;
  };
  const Case cases[] = {
      {"\xEF\xBB\xBF{}", 0, "a value"},                 // nlohmann would skip a byte order mark
      {std::string("{}\0x", 4), 2, "end of document"},  // ...and stop at a NUL byte
      {std::string("[\0]", 3), 1, "a value"},
      {"\"a\xFF\"", 2, "valid UTF-8"},
      {"\"\xC0\xAF\"", 1, "valid UTF-8"},             // overlong '/'
      {"\"\xED\xA0\x80\"", 2, "valid UTF-8"},         // an encoded surrogate
      {"\"\xF4\x90\x80\x80\"", 2, "valid UTF-8"},     // above U+10FFFF
      {"[1e-400]", 1, "a number a double can hold"},  // underflow, as std::from_chars
      {"{\"a\" 12}", 5, "':' after a member name"},
      {"[1 \"x]", 3, "',' or ']' in an array"},  // the grammar's error before the lexer's
      {"true1", 4, "end of document"},
      {"[-01]", 3, "no leading zero in a number"},
      {"[-]", 1, "a value"},
      {"{\"a\":1,}", 7, "a member name in quotes"},
      {"\"\\u12g4\"", 6, "four hex digits after \\u"},
      {"\"\\ud800\\u0041\"", 13, "a low surrogate after a high surrogate"},
      {"\"\\udc00\"", 7, "no lone low surrogate"},
      {"{\"a\\u", 5, "four hex digits after \\u"},  // found by fuzz_json_encode
      {std::string(65, '[') + "1" + std::string(65, ']'), 65, "nesting of at most 64 levels"},
  };
  for (const Case& c : cases) {
    auto v = parseJson(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().offset, c.offset) << c.text << ": " << v.error().message();
    EXPECT_EQ(v.error().expected, c.expected) << c.text;
  }
  EXPECT_TRUE(parseJson(std::string(65, '[') + std::string(65, ']')).ok());
  EXPECT_TRUE(parseJson("\"\xC3\xA9\xF0\x9F\x98\x80\"").ok());
}

TEST(JsonParser, KeepsNumbersDuplicatesAndOrder) {
  auto v = parseJson(
      R"({"z":-0,"a":9223372036854775807,"b":9223372036854775808,"c":-9223372036854775809,)"
      R"("d":1.0,"e":1E2,"a":2,"s":"\u0000"})");
  ASSERT_TRUE(v.ok()) << v.error().message();
  const auto& members = v->asObject();
  ASSERT_EQ(members.size(), 8u);
  EXPECT_EQ(members[0].first, "z");
  EXPECT_EQ(members[0].second.asExactInteger(), 0);
  EXPECT_TRUE(std::signbit(members[0].second.asDouble()));
  EXPECT_EQ(members[1].second.asExactInteger(), INT64_MAX);
  EXPECT_FALSE(members[2].second.asExactInteger().has_value());
  EXPECT_DOUBLE_EQ(members[2].second.asDouble(), 9223372036854775808.0);
  EXPECT_FALSE(members[3].second.asExactInteger().has_value());
  EXPECT_FALSE(members[4].second.asExactInteger().has_value());
  EXPECT_FALSE(members[5].second.asExactInteger().has_value());
  EXPECT_DOUBLE_EQ(members[5].second.asDouble(), 100.0);
  EXPECT_EQ(members[6].first, "a");  // a duplicate is kept; find() returns the first
  EXPECT_EQ(v->find("a")->asExactInteger(), INT64_MAX);
  EXPECT_EQ(members[7].second.asString(), std::string(1, '\0'));
}

}  // namespace
}  // namespace dcgw::codecs
