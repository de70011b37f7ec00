// The admin CLI's HTTP+JSON client for the admin API (schema/openapi.yaml), behind a small
// transport interface so the commands can be tested without a gateway.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/json.hpp"
#include "codecs/result.hpp"

namespace dcgw::cli {

// Where the gateway's admin listener is: "http[s]://HOST[:PORT][/PREFIX]".
struct BaseUrl {
  std::string text;  // as given, for messages
  bool https{false};
  std::string host;
  std::uint16_t port{0};
  std::string prefix;  // a path the API sits under (behind a reverse proxy), no trailing '/'
};

// Error field: "--url".
codecs::Result<BaseUrl> parseBaseUrl(const std::string& text);

struct ClientOptions {
  BaseUrl url;
  std::string token;
  std::string caFile;    // https: a PEM CA trusted besides the system store
  bool insecure{false};  // https: no certificate or host name verification
  std::chrono::milliseconds connectTimeout{10'000};
  std::chrono::milliseconds timeout{60'000};
};

struct HttpResponse {
  int status{0};
  std::string reason;  // the standard reason phrase of the status
  std::string body;
};

// A response of any status, or why none came (the gateway could not be reached).
struct Exchange {
  std::optional<HttpResponse> response;
  std::string failure;  // set when response is empty; names the URL
};

class AdminTransport {
 public:
  virtual ~AdminTransport() = default;
  // method: GET, POST, PUT, DELETE. target: "/api/v1/..." with its query. body: JSON or none.
  // Never throws.
  virtual Exchange send(std::string_view method, const std::string& target,
                        const std::optional<std::string>& body) = 0;
};

// HTTP/1.1 over Poco's HTTPClientSession or HTTPSClientSession, one connection kept alive
// across the calls of one command, with a Bearer token on every request.
std::unique_ptr<AdminTransport> makeHttpTransport(const ClientOptions& options);

// Percent-encodes everything but RFC 3986 unreserved characters (a path segment or a query
// value: serials may hold any printable character).
std::string percentEncode(std::string_view text);

// Compact JSON of a parsed value (integers stay integers), for request bodies built from a
// fetched object.
std::string toJson(const codecs::JsonValue& value);

}  // namespace dcgw::cli
