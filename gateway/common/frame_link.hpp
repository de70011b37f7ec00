// A blocking client link that speaks the uplink's framing (schema/uplink.md section 2) over
// TCP or TLS: the card bridge's connection to the gateway and `dcgw simulate --card-session`.
// One thread does all its I/O (OpenSSL objects are not shared between threads); other threads
// wake it through wake(), for instance to have results sent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codecs/bytes.hpp"

namespace dcgw::common {

struct LinkOptions {
  std::string host{"127.0.0.1"};
  std::uint16_t port{0};
  int connectTimeoutMs{10'000};
  bool tls{false};
  std::string caFile;      // TLS: verify against these CAs (else the system's)
  std::string serverName;  // TLS: the name the certificate must carry (default: host)
  bool insecure{false};    // TLS: no verification (tests only)
};

struct LinkFrame {
  std::uint8_t kind{0};
  codecs::Bytes body;
};

class FrameLink {
 public:
  enum class Got { Frame, Timeout, Woken, Closed, Bad };

  // Resolves (within the connect timeout), connects, does the TLS handshake. nullptr and `why`
  // on failure ("cannot resolve 'x': ...", "connection refused", "certificate: ...").
  static std::unique_ptr<FrameLink> open(const LinkOptions& o, std::string& why);
  // A connected plain TCP socket (a test's server side); the link owns and closes it.
  static std::unique_ptr<FrameLink> adopt(int fd);
  ~FrameLink();
  FrameLink(const FrameLink&) = delete;
  FrameLink& operator=(const FrameLink&) = delete;

  // Sends whole frames; false when the link is gone.
  bool send(const codecs::Bytes& frames);
  // Waits up to timeoutMs for the next whole frame of at most maxFrameBytes. Bad: the framing
  // is broken (`why` says how); Closed: the peer closed; Woken: wake() was called.
  Got next(int timeoutMs, LinkFrame& out, std::string& why, std::size_t maxFrameBytes = 65536);
  // From any thread: makes a waiting next() return Woken.
  void wake();

 private:
  FrameLink() = default;
  bool fill(int timeoutMs, Got& got, std::string& why);

  int fd_{-1};
  int wakeFd_{-1};
  struct Tls;
  std::unique_ptr<Tls> tls_;
  codecs::Bytes in_;
};

}  // namespace dcgw::common
