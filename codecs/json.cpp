// JSON writing and parsing without exceptions on bad input.
#include "codecs/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace dcgw::codecs {

int decodeUtf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto c = static_cast<std::uint8_t>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return 0;
  cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (int k = 1; k < len; ++k) {
    const auto cc = static_cast<std::uint8_t>(s[i + static_cast<std::size_t>(k)]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (cc & 0x3Fu);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool isValidUtf8(std::string_view s) {
  std::uint32_t cp;
  for (std::size_t i = 0; i < s.size();) {
    int n = decodeUtf8(s, i, cp);
    if (n == 0) return false;
    i += static_cast<std::size_t>(n);
  }
  return true;
}

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void JsonWriter::key(std::string_view k) {
  separate();
  appendJsonString(out_, k);
  out_.push_back(':');
  afterKey_ = true;
}

void JsonWriter::string(std::string_view s) {
  separate();
  appendJsonString(out_, s);
}

void JsonWriter::integer(std::int64_t v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::number(double v) {
  separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
}

void JsonWriter::null() {
  separate();
  out_ += "null";
}

void JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
}

JsonValue JsonValue::makeBool(bool b) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}
JsonValue JsonValue::makeNumber(double d, std::optional<std::int64_t> exact) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.number_ = d;
  v.exact_ = exact;
  return v;
}
JsonValue JsonValue::makeString(std::string s) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}
JsonValue JsonValue::makeArray(Array a) {
  JsonValue v;
  v.kind_ = Kind::Array;
  v.array_ = std::make_shared<Array>(std::move(a));
  return v;
}
JsonValue JsonValue::makeObject(Object o) {
  JsonValue v;
  v.kind_ = Kind::Object;
  v.object_ = std::make_shared<Object>(std::move(o));
  return v;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (kind_ != Kind::Object) return nullptr;
  for (const auto& [k, v] : *object_)
    if (k == key) return &v;
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  Result<JsonValue> document() {
    JsonValue v;
    if (!value(v, 0)) return err_;
    ws();
    if (p_ != t_.size()) return fail("end of document");
    return v;
  }

 private:
  Error fail(const char* expected) {
    err_ = makeError("json", p_, expected);
    return err_;
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r'))
      ++p_;
  }
  bool literal(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool value(JsonValue& out, int depth) {
    if (depth > 64) {
      fail("nesting of at most 64 levels");
      return false;
    }
    ws();
    if (p_ >= t_.size()) {
      fail("a value");
      return false;
    }
    char c = t_[p_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(s)) return false;
      out = JsonValue::makeString(std::move(s));
      return true;
    }
    if (literal("true")) {
      out = JsonValue::makeBool(true);
      return true;
    }
    if (literal("false")) {
      out = JsonValue::makeBool(false);
      return true;
    }
    if (literal("null")) {
      out = JsonValue();
      return true;
    }
    return number(out);
  }

  bool object(JsonValue& out, int depth) {
    ++p_;
    JsonValue::Object members;
    ws();
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      out = JsonValue::makeObject(std::move(members));
      return true;
    }
    for (;;) {
      ws();
      if (p_ >= t_.size() || t_[p_] != '"') {
        fail("a member name in quotes");
        return false;
      }
      std::string k;
      if (!string(k)) return false;
      ws();
      if (p_ >= t_.size() || t_[p_] != ':') {
        fail("':' after a member name");
        return false;
      }
      ++p_;
      JsonValue v;
      if (!value(v, depth + 1)) return false;
      members.emplace_back(std::move(k), std::move(v));
      ws();
      if (p_ < t_.size() && t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (p_ < t_.size() && t_[p_] == '}') {
        ++p_;
        out = JsonValue::makeObject(std::move(members));
        return true;
      }
      fail("',' or '}' in an object");
      return false;
    }
  }

  bool array(JsonValue& out, int depth) {
    ++p_;
    JsonValue::Array items;
    ws();
    if (p_ < t_.size() && t_[p_] == ']') {
      ++p_;
      out = JsonValue::makeArray(std::move(items));
      return true;
    }
    for (;;) {
      JsonValue v;
      if (!value(v, depth + 1)) return false;
      items.push_back(std::move(v));
      ws();
      if (p_ < t_.size() && t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (p_ < t_.size() && t_[p_] == ']') {
        ++p_;
        out = JsonValue::makeArray(std::move(items));
        return true;
      }
      fail("',' or ']' in an array");
      return false;
    }
  }

  static void appendUtf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | cp >> 6));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | cp >> 12));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | cp >> 18));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool hex4(std::uint32_t& out) {
    if (p_ + 4 > t_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[p_++];
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        out |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        out |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  bool string(std::string& s) {
    ++p_;  // opening quote
    for (;;) {
      if (p_ >= t_.size()) {
        fail("a closing '\"'");
        return false;
      }
      char c = t_[p_];
      if (c == '"') {
        ++p_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("no control character inside a string");
        return false;
      }
      if (c != '\\') {
        s.push_back(c);
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= t_.size()) {
        fail("an escape character");
        return false;
      }
      char e = t_[p_++];
      switch (e) {
        case '"':
          s.push_back('"');
          break;
        case '\\':
          s.push_back('\\');
          break;
        case '/':
          s.push_back('/');
          break;
        case 'b':
          s.push_back('\b');
          break;
        case 'f':
          s.push_back('\f');
          break;
        case 'n':
          s.push_back('\n');
          break;
        case 'r':
          s.push_back('\r');
          break;
        case 't':
          s.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp;
          if (!hex4(cp)) {
            fail("four hex digits after \\u");
            return false;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo;
            if (t_.substr(p_, 2) != "\\u" || (p_ += 2, !hex4(lo)) || lo < 0xDC00 || lo > 0xDFFF) {
              fail("a low surrogate after a high surrogate");
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("no lone low surrogate");
            return false;
          }
          appendUtf8(s, cp);
          break;
        }
        default:
          --p_;
          fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
          return false;
      }
    }
  }

  bool number(JsonValue& out) {
    std::size_t start = p_;
    bool integral = true;
    if (p_ < t_.size() && t_[p_] == '-') ++p_;
    auto digitsRun = [&] {
      std::size_t s = p_;
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
      return p_ > s;
    };
    const std::size_t intStart = p_;
    if (!digitsRun()) {
      p_ = start;
      fail("a value");
      return false;
    }
    if (t_[intStart] == '0' && p_ - intStart > 1) {
      p_ = intStart + 1;
      fail("no leading zero in a number");
      return false;
    }
    if (p_ < t_.size() && t_[p_] == '.') {
      integral = false;
      ++p_;
      if (!digitsRun()) {
        fail("digits after '.'");
        return false;
      }
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      integral = false;
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (!digitsRun()) {
        fail("digits in the exponent");
        return false;
      }
    }
    std::string_view lit = t_.substr(start, p_ - start);
    double d = 0;
    if (std::from_chars(lit.data(), lit.data() + lit.size(), d).ec != std::errc{}) {
      p_ = start;
      fail("a number a double can hold");
      return false;
    }
    std::optional<std::int64_t> exact;
    if (integral) {
      std::int64_t i = 0;
      auto r = std::from_chars(lit.data(), lit.data() + lit.size(), i);
      if (r.ec == std::errc{}) exact = i;
    }
    out = JsonValue::makeNumber(d, exact);
    return true;
  }

  std::string_view t_;
  std::size_t p_{0};
  Error err_;
};

}  // namespace

Result<JsonValue> parseJson(std::string_view text) {
  return Parser(text).document();
}

}  // namespace dcgw::codecs
