// JSON writing (hand-written, see json.hpp) and parsing (nlohmann-json's SAX parser) without
// exceptions on bad input.
#include "codecs/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

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

constexpr int kMaxDepth = 64;

bool isWs(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The input as nlohmann's iterator adapter reads it, publishing how far it has read: the SAX
// callbacks carry no position, and errors found there (nesting, number range) name an offset.
class TrackedChars {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackedChars(const char* p, const char** read) : p_(p), read_(read) {}
  reference operator*() const { return *p_; }
  TrackedChars& operator++() {
    *read_ = ++p_;
    return *this;
  }
  TrackedChars operator++(int) {
    TrackedChars old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackedChars& o) const { return p_ == o.p_; }
  bool operator!=(const TrackedChars& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** read_;
};

// Builds JsonValue straight from nlohmann's SAX events (no intermediate nlohmann::json): member
// order and duplicate members are kept as they come, the first one wins in find().
class Builder {
 public:
  explicit Builder(std::string_view text) : t_(text), read_(text.data()) {}

  Result<JsonValue> parse() {
    // nlohmann skips a UTF-8 byte order mark; RFC 8259 lets a parser refuse one, and we do.
    if (!t_.empty() && static_cast<unsigned char>(t_[0]) == 0xEF)
      return makeError("json", 0, "a value");
    bool ok = false;
    try {
      ok = nlohmann::json::sax_parse(TrackedChars(t_.data(), &read_),
                                     TrackedChars(t_.data() + t_.size(), &read_), this);
    } catch (const nlohmann::json::exception&) {
      // Not expected (sax_parse hands its errors to parse_error): refuse, never throw.
      if (!err_) err_ = makeError("json", consumed(), "valid JSON");
      ok = false;
    }
    if (!ok) return err_ ? *err_ : makeError("json", consumed(), "valid JSON");
    // nlohmann's lexer takes a NUL byte between tokens for the end of the input.
    if (auto nul = t_.find('\0'); nul != std::string_view::npos)
      return makeError("json", nul, "end of document");
    return std::move(root_);
  }

  // nlohmann's SAX interface.
  bool null() { return put(JsonValue(), 4); }
  bool boolean(bool b) { return put(JsonValue::makeBool(b), b ? 4 : 5); }
  bool number_integer(std::int64_t i) {
    const std::size_t start = numberStart(digitsBefore(numberEnd()));
    // "-0": the integer is 0 but the double keeps its sign, as the literal says.
    const double d = i == 0 && t_[start] == '-' ? -0.0 : static_cast<double>(i);
    return putAt(JsonValue::makeNumber(d, i), start);
  }
  bool number_unsigned(std::uint64_t u) {
    const std::size_t start = numberStart(digitsBefore(numberEnd()));
    std::optional<std::int64_t> exact;
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) exact = static_cast<std::int64_t>(u);
    return putAt(JsonValue::makeNumber(static_cast<double>(u), exact), start);
  }
  bool number_float(double, const std::string& literal) {
    const std::size_t start = numberEnd() - literal.size();
    // from_chars, not nlohmann's strtod: it also refuses a literal that underflows to zero.
    double d = 0;
    if (std::from_chars(literal.data(), literal.data() + literal.size(), d).ec != std::errc{}) {
      err_ = makeError("json", start, "a number a double can hold");
      return false;
    }
    return putAt(JsonValue::makeNumber(d, std::nullopt), start);
  }
  bool string(std::string& s) {
    return putAt(JsonValue::makeString(std::move(s)), stringStart(consumed() - 1));
  }
  bool binary(std::vector<std::uint8_t>&) { return false; }  // only the binary formats send it
  bool start_object(std::size_t) { return open(true); }
  bool key(std::string& k) {
    stack_.back().key = std::move(k);
    stack_.back().keyPending = true;
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(false); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& e) {
    err_ = translate(position, e);
    return false;
  }

 private:
  struct Frame {
    bool object;
    JsonValue::Object members;
    JsonValue::Array items;
    std::string key;
    bool keyPending{false};  // a member name read, its value not yet
  };

  std::size_t consumed() const { return static_cast<std::size_t>(read_ - t_.data()); }

  // One past a number's last character: the lexer reads one character beyond a number (unless
  // the input ended) before it hands the number over.
  std::size_t numberEnd() const {
    const std::size_t n = consumed();
    if (n == t_.size() && n > 0 && t_[n - 1] >= '0' && t_[n - 1] <= '9') return n;
    return n - 1;
  }
  std::size_t digitsBefore(std::size_t end) const {
    while (end > 0 && t_[end - 1] >= '0' && t_[end - 1] <= '9') --end;
    return end;
  }
  std::size_t numberStart(std::size_t digits) const {
    return digits > 0 && t_[digits - 1] == '-' ? digits - 1 : digits;
  }
  // A value starting at `start` at the current depth: at most 64 containers around it.
  bool checkDepth(std::size_t start) {
    if (static_cast<int>(stack_.size()) <= kMaxDepth) return true;
    // Named right after the ':' or ',' before it, or at the value itself when first in an array.
    std::size_t due = start;
    while (due > 0 && isWs(t_[due - 1])) --due;
    err_ = makeError("json", due > 0 && t_[due - 1] == '[' ? start : due,
                     "nesting of at most 64 levels");
    return false;
  }
  bool put(JsonValue v, std::size_t literalLength) {
    return putAt(std::move(v), consumed() - literalLength);
  }
  bool putAt(JsonValue v, std::size_t start) {
    if (!checkDepth(start)) return false;
    place(std::move(v));
    return true;
  }
  void place(JsonValue v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      rootDone_ = true;
    } else if (Frame& f = stack_.back(); f.object) {
      f.members.emplace_back(std::move(f.key), std::move(v));
      f.keyPending = false;
    } else {
      f.items.push_back(std::move(v));
    }
  }
  bool open(bool object) {
    if (!checkDepth(consumed() - 1)) return false;
    stack_.push_back(Frame{object, {}, {}, {}});
    return true;
  }
  bool close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    place(f.object ? JsonValue::makeObject(std::move(f.members))
                   : JsonValue::makeArray(std::move(f.items)));
    return true;
  }

  // nlohmann's error -> our offset and wording. `position` counts the characters read, the end
  // of the input included. The lexer reads a whole token before the grammar looks at it, so a
  // malformed token where no token of its kind may stand is named as the grammar error at the
  // token's start (as a recursive descent parser finds it); otherwise the lexer's error stands,
  // at the offending character (or the token's start for a malformed literal or a lone '-').
  Error translate(std::size_t position, const nlohmann::json::exception& e) const {
    const std::string_view what = e.what();
    const std::size_t last = std::min(position, t_.size() + 1) - 1;  // t_.size(): the end
    auto has = [&](std::string_view s) { return what.find(s) != std::string_view::npos; };
    auto fail = [](std::size_t at, const char* expected) {
      return makeError("json", at, expected);
    };
    if (e.id == 406)
      return fail(numberStartBefore(std::min(position, t_.size())), "a number a double can hold");
    if (has("invalid string: ")) {
      const std::size_t start = openingQuoteBefore(last);
      if (auto g = grammarError(start, true)) return *g;
      const bool end = last == t_.size();
      if (has("missing closing quote")) return fail(last, "a closing '\"'");
      if (has("control character")) return fail(last, "no control character inside a string");
      if (has("forbidden character after backslash"))
        return fail(last, end ? "an escape character"
                              : "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
      if (has("must be followed by 4 hex digits") || has("must follow U+D800")) {
        // The \u escape being read starts at b. Named, as before: the character after the bad
        // one (after the 4 digits for a lone low surrogate), or right after "\u" when the input
        // ends within 4 characters.
        std::size_t b = std::min(last, t_.size() - 1);  // the input may have ended
        while (b > 0 && !(t_[b] == 'u' && t_[b - 1] == '\\')) --b;
        b = b > 0 ? b - 1 : 0;
        const std::size_t at = b + 6 > t_.size() ? b + 2 : last + 1;
        if (has("must follow U+D800")) return fail(at, "no lone low surrogate");
        return fail(at, followsHighSurrogate(b) ? "a low surrogate after a high surrogate"
                                                : "four hex digits after \\u");
      }
      if (has("must be followed by U+DC00")) {
        // Either no "\u" came after the high surrogate (named where it was due) or its value is
        // not a low surrogate (named after its 4 digits).
        if (last >= 5 && t_[last - 5] == '\\' && t_[last - 4] == 'u')
          return fail(last + 1, "a low surrogate after a high surrogate");
        const std::size_t due = last > 0 && t_[last - 1] == '\\' ? last - 1 : last;
        return fail(due, "a low surrogate after a high surrogate");
      }
      if (end) return fail(last, "a closing '\"'");
      if (static_cast<unsigned char>(t_[last]) < 0x20)  // a control where UTF-8 continued
        return fail(last, "no control character inside a string");
      return fail(last, "valid UTF-8");  // "ill-formed UTF-8 byte"
    }
    if (has("invalid literal")) {
      const std::size_t start = literalStart(last);
      if (auto g = grammarError(start, false)) return *g;
      return fail(start, "a value");
    }
    if (has("invalid number")) {
      const std::size_t start = numberStartBefore(last);
      if (auto g = grammarError(start, false)) return *g;
      if (has("expected digit after '-'")) return fail(start, "a value");
      if (has("expected digit after '.'")) return fail(last, "digits after '.'");
      return fail(last, "digits in the exponent");
    }
    // The lexer's token was fine but not what the grammar wanted there: name its first character.
    const std::size_t at = tokenStart(last);
    if (at > 0 && at < t_.size() && t_[at - 1] == '0' && t_[at] >= '0' && t_[at] <= '9')
      return fail(at, "no leading zero in a number");  // "01": the lexer's "0", then "1"
    if (has("; expected end of input")) return fail(at, "end of document");
    if (has("while parsing object key")) return fail(at, "a member name in quotes");
    if (has("while parsing object separator")) return fail(at, "':' after a member name");
    if (has("while parsing object")) return fail(at, "',' or '}' in an object");
    if (has("while parsing array")) return fail(at, "',' or ']' in an array");
    return fail(at, "a value");
  }

  // Whether the \u escape at b is the second of a pair: one for a high surrogate before it.
  bool followsHighSurrogate(std::size_t b) const {
    if (b < 6 || t_[b - 6] != '\\' || (t_[b - 5] != 'u')) return false;
    std::size_t slashes = 0;
    while (b - 6 > slashes && t_[b - 7 - slashes] == '\\') ++slashes;
    if (slashes % 2 != 0) return false;
    unsigned v = 0;
    if (std::from_chars(t_.data() + b - 4, t_.data() + b, v, 16).ec != std::errc{}) return false;
    return v >= 0xD800 && v <= 0xDBFF;
  }

  // The grammar's error when a token (a string when `isString`) may not start at `start`.
  std::optional<Error> grammarError(std::size_t start, bool isString) const {
    std::size_t p = start;
    while (p > 0 && isWs(t_[p - 1])) --p;
    const char before = p > 0 ? t_[p - 1] : '\0';
    auto fail = [&](const char* expected) { return makeError("json", start, expected); };
    if (start > 0 && start < t_.size() && t_[start - 1] == '0' && t_[start] >= '0' &&
        t_[start] <= '9')
      return fail("no leading zero in a number");  // "01": the lexer's "0", then "1"
    if (stack_.empty()) {
      if (rootDone_) return fail("end of document");
      return std::nullopt;
    }
    const Frame& f = stack_.back();
    if (!f.object) {
      if (before == '[' || before == ',') return std::nullopt;
      return fail("',' or ']' in an array");
    }
    if (f.keyPending) {
      if (before == ':') return std::nullopt;
      return fail("':' after a member name");
    }
    if (before != '{' && before != ',') return fail("',' or '}' in an object");
    if (!isString) return fail("a member name in quotes");
    return std::nullopt;
  }

  // The opening quote of the string the lexer was reading when it stopped at `stop`: the first
  // quote before it that no backslash escapes (what the lexer took in had none unescaped).
  std::size_t openingQuoteBefore(std::size_t stop) const {
    std::size_t q = stop;
    while (q > 0) {
      --q;
      if (t_[q] != '"') continue;
      std::size_t slashes = 0;
      while (q > slashes && t_[q - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) return q;
    }
    return 0;
  }
  std::size_t stringStart(std::size_t close) const { return openingQuoteBefore(close); }

  // Where the lexer's number (or number prefix) that runs up to `end` starts: the leftmost
  // start from which the number grammar, read greedily, reaches exactly `end`.
  std::size_t numberStartBefore(std::size_t end) const {
    std::size_t s = end;
    while (s > 0 && std::string_view("0123456789+-.eE").find(t_[s - 1]) != std::string_view::npos)
      --s;
    for (; s < end; ++s)
      if ((t_[s] == '-' || (t_[s] >= '0' && t_[s] <= '9')) && numberPrefixEnd(s) == end) return s;
    return end;
  }
  // Reads the number grammar greedily from s; returns where it stops.
  std::size_t numberPrefixEnd(std::size_t s) const {
    std::size_t p = s;
    const std::size_t n = t_.size();
    auto digit = [&] { return p < n && t_[p] >= '0' && t_[p] <= '9'; };
    auto digits = [&] {
      const std::size_t from = p;
      while (digit()) ++p;
      return p > from;
    };
    if (p < n && t_[p] == '-') ++p;
    if (p < n && t_[p] == '0')
      ++p;
    else if (!digits())
      return p;
    if (p < n && t_[p] == '.' && (++p, !digits())) return p;
    if (p < n && (t_[p] == 'e' || t_[p] == 'E')) {
      ++p;
      if (p < n && (t_[p] == '+' || t_[p] == '-')) ++p;
      digits();
    }
    return p;
  }

  // The first character of the well-formed token whose last character is at `last`.
  std::size_t tokenStart(std::size_t last) const {
    if (last >= t_.size()) return last;
    const char c = t_[last];
    if (c == '"') return stringStart(last);
    if (c == 'e' && last >= 3 && t_.substr(last - 3, 4) == "true") return last - 3;
    if (c == 'e' && last >= 4) return last - 4;  // false
    if (c == 'l' && last >= 3) return last - 3;  // null
    if (c < '0' || c > '9') return last;  // structural, or the NUL nlohmann takes for the end
    return numberStartBefore(last + 1);
  }

  // A malformed true/false/null: the lexer stopped at `bad`; the literal starts where the
  // characters before it are a proper prefix of one (a literal's first letter occurs once in
  // it). A character that starts no token at all is its own start.
  std::size_t literalStart(std::size_t bad) const {
    for (std::size_t len = 1; len <= 4 && len <= bad; ++len) {
      std::string_view prefix = t_.substr(bad - len, len);
      for (std::string_view lit : {"true", "false", "null"})
        if (len < lit.size() && lit.substr(0, len) == prefix) return bad - len;
    }
    return bad;
  }

  std::string_view t_;
  const char* read_;
  std::vector<Frame> stack_;
  JsonValue root_;
  bool rootDone_{false};
  std::optional<Error> err_;
};

}  // namespace

Result<JsonValue> parseJson(std::string_view text) {
  return Builder(text).parse();
}

}  // namespace dcgw::codecs
