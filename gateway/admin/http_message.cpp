// HTTP/1.1 responses as bytes, and the little text helpers the front and the handlers share.
#include "gateway/admin/http_message.hpp"

#include <ctime>

#include "codecs/json.hpp"

namespace dcgw::admin {

const std::string* HttpRequest::header(std::string_view lowerName) const {
  for (const auto& [k, v] : headers)
    if (k == lowerName) return &v;
  return nullptr;
}

std::string HttpRequest::get(std::string_view lowerName, const std::string& fallback) const {
  const std::string* v = header(lowerName);
  return v ? *v : fallback;
}

void HttpResponse::set(std::string name, std::string value) {
  for (auto& [k, v] : headers)
    if (lowerAscii(k) == lowerAscii(name)) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string serializeResponse(const HttpResponse& r, int minorVersion, bool keepAlive, bool head) {
  std::string out;
  out.reserve(256 + (head ? 0 : r.body.size()));
  out += "HTTP/1.1 ";  // the server's version, whatever the request's (RFC 9110 section 6.2)
  out += std::to_string(r.status);
  out += ' ';
  out += reasonPhrase(r.status);
  out += "\r\n";
  char date[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  out += "Date: ";
  out += date;
  out += "\r\n";
  if (!r.contentType.empty()) out += "Content-Type: " + r.contentType + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (!keepAlive) out += "Connection: close\r\n";
  if (keepAlive && minorVersion == 0) out += "Connection: keep-alive\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  if (!head) out += r.body;
  return out;
}

HttpResponse errorResponse(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = "{\"error\":";
  codecs::appendJsonString(r.body, message);
  r.body += "}";
  r.set("Cache-Control", "no-store");
  return r;
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool hasToken(std::string_view value, std::string_view token) {
  std::size_t i = 0;
  while (i <= value.size()) {
    std::size_t j = value.find(',', i);
    if (j == std::string_view::npos) j = value.size();
    std::string_view item = value.substr(i, j - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (lowerAscii(item) == lowerAscii(token)) return true;
    i = j + 1;
  }
  return false;
}

}  // namespace dcgw::admin
