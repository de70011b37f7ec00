// The admin listener's request parser: the head, then a body framed by Content-Length or by
// chunks. Anything whose length could be read two ways is refused (RFC 9112 section 6.3).
#include "gateway/admin/http_parser.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace dcgw::admin {

namespace {

bool isTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTchar);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The members of a comma-separated list, trimmed, empty ones left out.
std::vector<std::string_view> listMembers(std::string_view v) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t j = v.find(',', i);
    if (j == std::string_view::npos) j = v.size();
    if (std::string_view m = trim(v.substr(i, j - i)); !m.empty()) out.push_back(m);
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string byteSize(std::size_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

void RequestParser::reset() {
  req_ = HttpRequest{};
  phase_ = Phase::Head;
  chunk_ = Chunk::Size;
  scanFrom_ = 0;
  remaining_ = 0;
  trailerBytes_ = 0;
  bodyBytesSeen_ = 0;
  keepAlive_ = true;
  expectContinue_ = false;
  continueSent_ = false;
  errorStatus_ = 0;
  errorMessage_.clear();
}

RequestParser::Status RequestParser::fail(int status, std::string message) {
  phase_ = Phase::Failed;
  errorStatus_ = status;
  errorMessage_ = std::move(message);
  keepAlive_ = false;
  return Status::Error;
}

RequestParser::Status RequestParser::feed(std::string& in) {
  if (phase_ == Phase::Failed) return Status::Error;
  if (phase_ == Phase::Head) {
    // Empty lines before a request line are skipped (RFC 9112 section 2.2).
    std::size_t lead = 0;
    while (lead < in.size() && (in[lead] == '\r' || in[lead] == '\n')) ++lead;
    if (lead > 0) {
      in.erase(0, lead);
      scanFrom_ = 0;
    }
    std::size_t end = std::string::npos, termLen = 0;
    for (std::size_t i = in.find('\n', scanFrom_); i != std::string::npos;
         i = in.find('\n', i + 1)) {
      if (i + 1 < in.size() && in[i + 1] == '\n') {
        end = i, termLen = 2;
        break;
      }
      if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
        end = i, termLen = 3;
        break;
      }
    }
    if (end == std::string::npos) {
      if (in.size() > limits_.maxHeadBytes)
        return fail(431, "the request head (request line and header fields) is over " +
                             byteSize(limits_.maxHeadBytes));
      scanFrom_ = in.size() >= 2 ? in.size() - 2 : 0;
      return Status::NeedMore;
    }
    const std::size_t headLen = end + termLen;
    if (headLen > limits_.maxHeadBytes)
      return fail(431, "the request head (request line and header fields) is over " +
                           byteSize(limits_.maxHeadBytes));
    if (Status s = parseHead(std::string_view(in).substr(0, end)); s == Status::Error) return s;
    in.erase(0, headLen);
    if (Status s = framing(); s != Status::NeedMore) return s;
  }
  if (phase_ == Phase::Length) {
    bodyBytesSeen_ = std::min<std::size_t>(in.size(), remaining_);
    if (in.size() < remaining_) return Status::NeedMore;
    req_.body.assign(in, 0, remaining_);
    in.erase(0, remaining_);
    phase_ = Phase::Done;
    return Status::Complete;
  }
  if (phase_ == Phase::Chunked) return feedChunked(in);
  return phase_ == Phase::Done ? Status::Complete : Status::NeedMore;
}

RequestParser::Status RequestParser::parseHead(std::string_view head) {
  std::vector<std::string_view> lines;
  for (std::size_t i = 0; i <= head.size();) {
    std::size_t j = head.find('\n', i);
    if (j == std::string_view::npos) j = head.size();
    std::string_view line = head.substr(i, j - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    i = j + 1;
  }
  // The request line: method SP request-target SP HTTP-version.
  const std::string_view rl = lines[0];
  const std::size_t s1 = rl.find(' ');
  const std::size_t s2 = s1 == std::string_view::npos ? s1 : rl.find(' ', s1 + 1);
  if (s1 == std::string_view::npos || s2 == std::string_view::npos ||
      rl.find(' ', s2 + 1) != std::string_view::npos)
    return fail(400, "not an HTTP request line (METHOD /path HTTP/1.1)");
  const std::string_view method = rl.substr(0, s1), target = rl.substr(s1 + 1, s2 - s1 - 1),
                         version = rl.substr(s2 + 1);
  if (!isToken(method)) return fail(400, "not an HTTP method: the request line's first word");
  if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.' &&
      std::isdigit(static_cast<unsigned char>(version[5])) &&
      std::isdigit(static_cast<unsigned char>(version[7]))) {
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
      return fail(505, "HTTP/1.1 or HTTP/1.0, not " + std::string(version));
    req_.minorVersion = version[7] - '0';
  } else {
    return fail(400, "not an HTTP version: " + std::string(version.substr(0, 16)));
  }
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail(400, "a control character in the request target");
  std::string_view path = target;
  // The absolute form (a proxy's) is taken as its path (RFC 9112 section 3.2.2).
  const std::string lower = lowerAscii(target.substr(0, 8));
  if (lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0) {
    const std::size_t authority = target.find("//") + 2;
    const std::size_t slash = target.find_first_of("/?", authority);
    path = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (path.empty() || (path[0] != '/' && path != "*"))
    return fail(400, "the request target must be a path starting with '/'");
  req_.method = std::string(method);
  req_.target = path[0] == '?' ? "/" + std::string(path) : std::string(path);
  // Header fields: name ":" OWS value OWS.
  if (lines.size() - 1 > limits_.maxHeaderFields)
    return fail(431, "more than " + std::to_string(limits_.maxHeaderFields) + " header fields");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    if (line[0] == ' ' || line[0] == '\t')
      return fail(400, "a header field continued on the next line (obsolete line folding)");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
      return fail(400, "not a header field (name: value): " +
                           std::string(line.substr(0, std::min<std::size_t>(line.size(), 40))));
    const std::string name = lowerAscii(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return fail(400, "a control character in the header field " + name);
    req_.headers.emplace_back(name, std::string(value));
  }
  return Status::NeedMore;
}

RequestParser::Status RequestParser::framing() {
  std::string te, cl, connection;
  bool hasTe = false, hasCl = false;
  for (const auto& [k, v] : req_.headers) {
    if (k == "transfer-encoding") te += (hasTe ? "," : "") + v, hasTe = true;
    if (k == "content-length") cl += (hasCl ? "," : "") + v, hasCl = true;
    if (k == "connection") connection += "," + v;
  }
  keepAlive_ =
      req_.minorVersion >= 1 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
  phase_ = Phase::Done;
  if (hasTe) {
    if (req_.minorVersion == 0)
      return fail(400, "Transfer-Encoding in an HTTP/1.0 request: its body cannot be framed");
    if (hasCl)
      return fail(400,
                  "both Content-Length and Transfer-Encoding: the body's length is ambiguous "
                  "(RFC 9112 section 6.3)");
    const auto codings = listMembers(te);
    if (codings.empty() || lowerAscii(codings.back()) != "chunked")
      return fail(400, "Transfer-Encoding must end with chunked");
    if (codings.size() != 1)
      return fail(501, "the only transfer coding taken is chunked, not " + te);
    phase_ = Phase::Chunked;
  } else if (hasCl) {
    const auto lengths = listMembers(cl);
    if (lengths.empty()) return fail(400, "an empty Content-Length");
    for (std::string_view m : lengths) {
      if (m.size() > 18 ||
          !std::all_of(m.begin(), m.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(400, "Content-Length must be a decimal number, not " + std::string(m));
      if (m != lengths[0])
        return fail(400, "different Content-Length values (" + cl +
                             "): the body's length is ambiguous (RFC 9112 section 6.3)");
    }
    remaining_ = std::stoull(std::string(lengths[0]));
    if (remaining_ > limits_.maxBodyBytes)
      return fail(413, "a body of at most " + byteSize(limits_.maxBodyBytes));
    if (remaining_ > 0) phase_ = Phase::Length;
  }
  if (const std::string* expect = req_.header("expect")) {
    if (lowerAscii(*expect) != "100-continue")
      return fail(417, "the only expectation taken is Expect: 100-continue");
    expectContinue_ = req_.minorVersion >= 1 && phase_ != Phase::Done;
  }
  return phase_ == Phase::Done ? Status::Complete : Status::NeedMore;
}

RequestParser::Status RequestParser::feedChunked(std::string& in) {
  std::size_t p = 0;
  auto more = [&] {
    in.erase(0, p);
    return Status::NeedMore;
  };
  for (;;) {
    switch (chunk_) {
      case Chunk::Size: {
        const std::size_t nl = in.find('\n', p);
        if (nl == std::string::npos) {
          if (in.size() - p > 1024) return fail(400, "a chunk size line over 1 KiB");
          return more();
        }
        if (nl - p > 1024) return fail(400, "a chunk size line over 1 KiB");
        std::string_view line = std::string_view(in).substr(p, nl - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
        if (line.empty() || line.size() > 8 || !std::all_of(line.begin(), line.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c)) != 0;
            }))
          return fail(400, "a chunk size (hexadecimal digits) was expected");
        const std::uint64_t size = std::stoull(std::string(line), nullptr, 16);
        p = nl + 1;
        ++bodyBytesSeen_;
        if (size == 0) {
          chunk_ = Chunk::Trailer;
          break;
        }
        if (req_.body.size() + size > limits_.maxBodyBytes)
          return fail(413, "a body of at most " + byteSize(limits_.maxBodyBytes));
        remaining_ = size;
        chunk_ = Chunk::Data;
        break;
      }
      case Chunk::Data: {
        const std::size_t take = std::min<std::size_t>(remaining_, in.size() - p);
        req_.body.append(in, p, take);
        p += take;
        remaining_ -= take;
        if (remaining_ > 0) return more();
        chunk_ = Chunk::DataEnd;
        break;
      }
      case Chunk::DataEnd: {
        if (p >= in.size()) return more();
        if (in[p] == '\n') {
          p += 1;
        } else if (in[p] == '\r') {
          if (p + 1 >= in.size()) return more();
          if (in[p + 1] != '\n') return fail(400, "a CRLF after a chunk's data was expected");
          p += 2;
        } else {
          return fail(400, "a CRLF after a chunk's data was expected");
        }
        chunk_ = Chunk::Size;
        break;
      }
      case Chunk::Trailer: {
        const std::size_t nl = in.find('\n', p);
        if (nl == std::string::npos) {
          if (trailerBytes_ + in.size() - p > limits_.maxHeadBytes)
            return fail(431, "the trailer fields are over " + byteSize(limits_.maxHeadBytes));
          return more();
        }
        std::string_view line = std::string_view(in).substr(p, nl - p);
        trailerBytes_ += nl + 1 - p;
        p = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (trailerBytes_ > limits_.maxHeadBytes)
          return fail(431, "the trailer fields are over " + byteSize(limits_.maxHeadBytes));
        if (line.empty()) {  // trailer fields are read and dropped
          in.erase(0, p);
          phase_ = Phase::Done;
          return Status::Complete;
        }
        break;
      }
    }
  }
}

}  // namespace dcgw::admin
