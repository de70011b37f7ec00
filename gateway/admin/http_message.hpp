// The admin listener's own HTTP/1.1 request and response, as the route handlers see them (no
// socket, no stream: the front, http_server.hpp, has read the whole request before a handler
// runs and writes the response after it returns).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dcgw::admin {

struct HttpRequest {
  std::string method;   // as sent: "GET", "POST", ...
  std::string target;   // origin-form: "/api/v1/queues?state=pending"
  int minorVersion{1};  // HTTP/1.<minorVersion>
  // In the order received; names lower-cased, values without surrounding whitespace.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  std::string peer;  // "127.0.0.1:53422", for logs

  // The first field of that name (lower case), or nullptr.
  const std::string* header(std::string_view lowerName) const;
  std::string get(std::string_view lowerName, const std::string& fallback = "") const;
};

struct HttpResponse {
  int status{200};
  std::string contentType{"application/json"};
  std::vector<std::pair<std::string, std::string>> headers;  // besides the framing ones
  std::string body;

  void set(std::string name, std::string value);
};

// "OK", "Not Found", ...; "Unknown" for a status this server does not send.
const char* reasonPhrase(int status);

// The status line, the headers (Date, Content-Type, Content-Length, Connection when it differs
// from the version's default, then `r.headers`) and, unless `head` (a HEAD request), the body.
std::string serializeResponse(const HttpResponse& r, int minorVersion, bool keepAlive, bool head);

// An Error body ({"error": message}) answered by the front itself (400, 408, 413, 431, 503...).
HttpResponse errorResponse(int status, const std::string& message);

// ASCII lower case.
std::string lowerAscii(std::string_view s);
// Whether the comma-separated list `value` holds `token` (ASCII case-insensitive).
bool hasToken(std::string_view value, std::string_view token);

}  // namespace dcgw::admin
