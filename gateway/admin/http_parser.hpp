// An incremental HTTP/1.1 request parser (RFC 9112) for the admin listener's event loop: fed the
// bytes of one connection as they come, it says when a whole request (head and body) is there,
// and refuses what cannot be framed without doubt with the status to answer before closing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/admin/http_message.hpp"

namespace dcgw::admin {

struct HttpLimits {
  std::size_t maxHeadBytes{16 * 1024};  // request line and header fields: else 431
  std::size_t maxHeaderFields{100};     // else 431
  std::size_t maxBodyBytes{1 << 20};    // Content-Length or the chunks' sum: else 413
};

class RequestParser {
 public:
  enum class Status { NeedMore, Complete, Error };

  explicit RequestParser(HttpLimits limits) : limits_(limits) {}

  // Parses the request at the front of `in`. Complete: request() holds it and its bytes are
  // removed from `in` (what is left is the next, pipelined, request). Error: errorStatus()
  // and errorMessage() say what to answer; the connection must close after it (the framing of
  // what follows is unknown). NeedMore: the bytes seen so far are kept (in `in` or here).
  Status feed(std::string& in);

  // The head asked for "Expect: 100-continue" and none of the body has come yet: the caller
  // sends "100 Continue" once and calls continueSent().
  bool wantsContinue() const { return expectContinue_ && !continueSent_ && bodyBytesSeen_ == 0; }
  void continueSent() { continueSent_ = true; }

  // Nothing of a request seen yet (empty lines before one are dropped as they come).
  bool atStart() const { return phase_ == Phase::Head; }

  // Between a Complete and the next feed().
  HttpRequest& request() { return req_; }
  // Whether the connection stays open after the answer (the version and Connection header).
  bool keepAlive() const { return keepAlive_; }
  int errorStatus() const { return errorStatus_; }
  const std::string& errorMessage() const { return errorMessage_; }

  // Ready for the next request of the connection.
  void reset();

 private:
  enum class Phase : std::uint8_t { Head, Length, Chunked, Done, Failed };
  enum class Chunk : std::uint8_t { Size, Data, DataEnd, Trailer };

  Status fail(int status, std::string message);
  Status parseHead(std::string_view head);
  Status framing();
  Status feedChunked(std::string& in);

  HttpLimits limits_;
  HttpRequest req_;
  Phase phase_{Phase::Head};
  Chunk chunk_{Chunk::Size};
  std::size_t scanFrom_{0};      // where the search for the head's end resumes
  std::uint64_t remaining_{0};   // Length: the body's size; Chunked: what is left of the chunk
  std::size_t trailerBytes_{0};  // the chunked trailer section's size so far
  std::size_t bodyBytesSeen_{0};
  bool keepAlive_{true};
  bool expectContinue_{false};
  bool continueSent_{false};
  int errorStatus_{0};
  std::string errorMessage_;
};

// "1 MiB", "16 KiB", or "N bytes": how the limits are named in errors.
std::string byteSize(std::size_t n);

}  // namespace dcgw::admin
