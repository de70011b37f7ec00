// JSON for the codecs and every caller (API bodies, config files, `dcgw encode` vectors, packet
// rendering), behind types of our own so that no caller sees the library.
//
// Parsing is nlohmann-json's (SAX, building JsonValue directly): strict RFC 8259 and strict
// UTF-8, never throws; an error is an Error value naming the character offset and what was
// expected there, as the hand-written parser it replaced named them. Member order is kept and a
// duplicate member too (find() returns the first). Numbers: asExactInteger() for an integer
// literal that fits an int64; a literal a double cannot hold (overflow or underflow to zero) is
// refused. Nesting is limited to 64 levels; no byte order mark; nothing after the document.
//
// Writing stays hand-written (JsonWriter, appendJsonString): forwarding renders JSON per packet
// and streaming into one string is ~1.7x faster than building and dumping a nlohmann document
// (tests/bench/codec_bench.cpp, BM_RenderTracking*), and its output is pinned byte for byte
// (shortest round-trip decimals, \u007f escaped, no validation cost).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/result.hpp"

namespace dcgw::codecs {

// Appends compact JSON to a string. The caller writes keys and values in a valid order.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  void beginObject() {
    separate();
    out_.push_back('{');
    first_ = true;
  }
  void endObject() {
    out_.push_back('}');
    first_ = false;
  }
  void beginArray() {
    separate();
    out_.push_back('[');
    first_ = true;
  }
  void endArray() {
    out_.push_back(']');
    first_ = false;
  }
  void key(std::string_view k);
  void string(std::string_view utf8);
  void integer(std::int64_t v);
  void number(double v);
  void boolean(bool v);
  void null();
  // Inserts already-rendered JSON as one value.
  void raw(std::string_view json);

 private:
  void separate() {
    if (!first_ && !afterKey_) out_.push_back(',');
    first_ = false;
    afterKey_ = false;
  }
  std::string& out_;
  bool first_{true};
  bool afterKey_{false};
};

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
// Decodes the sequence at s[i] into cp and its length; 0 when it is not valid.
int decodeUtf8(std::string_view s, std::size_t i, std::uint32_t& cp);
bool isValidUtf8(std::string_view s);

// Escapes a UTF-8 string as a JSON string literal (with quotes).
void appendJsonString(std::string& out, std::string_view utf8);

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Object = std::vector<std::pair<std::string, JsonValue>>;
  using Array = std::vector<JsonValue>;

  JsonValue() = default;
  static JsonValue makeBool(bool b);
  static JsonValue makeNumber(double d, std::optional<std::int64_t> exact);
  static JsonValue makeString(std::string s);
  static JsonValue makeArray(Array a);
  static JsonValue makeObject(Object o);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isObject() const { return kind_ == Kind::Object; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool asBool() const { return bool_; }
  double asDouble() const { return number_; }
  // The integer value when the literal had no fraction or exponent and fits an int64.
  std::optional<std::int64_t> asExactInteger() const { return exact_; }
  const std::string& asString() const { return string_; }
  const Array& asArray() const { return *array_; }
  const Object& asObject() const { return *object_; }
  // Member lookup for objects; nullptr when absent or this is not an object.
  const JsonValue* find(std::string_view key) const;

 private:
  Kind kind_{Kind::Null};
  bool bool_{false};
  double number_{0};
  std::optional<std::int64_t> exact_;
  std::string string_;
  std::shared_ptr<Array> array_;
  std::shared_ptr<Object> object_;
};

// Parses one JSON document (RFC 8259). Nesting is limited to 64 levels.
Result<JsonValue> parseJson(std::string_view text);

}  // namespace dcgw::codecs
