// The Teltonika listener: the transport with TeltonikaSessions, the UDP socket, AvlIngest, and the
// order they start and stop in.
#include "gateway/uplink/teltonika_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "codecs/teltonika/udp.hpp"
#include "gateway/uplink/outbox.hpp"
#include "gateway/uplink/teltonika_ingest.hpp"
#include "gateway/uplink/teltonika_sessions.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

namespace tk = codecs::teltonika;

std::string teltonikaOptionsError(const TeltonikaOptions& o) {
  if (o.maxFrameBytes < tk::kMinDataBytes || o.maxFrameBytes > tk::kMaxDataBytes)
    return "teltonika.maxFrameBytes must be from " + std::to_string(tk::kMinDataBytes) + " to " +
           std::to_string(tk::kMaxDataBytes) + ", not " + std::to_string(o.maxFrameBytes);
  if (o.maxConnections < 1) return "teltonika.maxConnections must be at least 1";
  if (o.tlsCertificateFile.empty() != o.tlsPrivateKeyFile.empty())
    return "teltonika.tls needs both certificateFile and privateKeyFile";
  return {};
}

namespace {

ListenerOptions transportOptions(const TeltonikaOptions& t) {
  ListenerOptions o;
  o.bind = t.bind;
  o.port = t.port;
  o.maxConnections = t.maxConnections;
  o.maxFrameBytes = t.maxFrameBytes + tk::kFrameOverheadBytes;
  o.idleTimeout = t.idleTimeout;
  o.loginTimeout = t.loginTimeout;
  o.tlsCertificateFile = t.tlsCertificateFile;
  o.tlsPrivateKeyFile = t.tlsPrivateKeyFile;
  o.label = "teltonika";
  return o;
}

// The UDP socket, shared with the acknowledgements still in the Ingestor after stop().
struct UdpSocket {
  int fd{-1};
  ~UdpSocket() {
    if (fd >= 0) ::close(fd);
  }
};

std::string addressOf(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    port = ntohs(in->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

class TeltonikaListener::Impl {
 public:
  Impl(ListenerStats& stats, store::DeviceDirectory& store, ingest::Ingestor& ingestor,
       common::Clock& clock, TeltonikaOptions options, common::ChangeFeed* changes)
      : t_(std::move(options)),
        o_(transportOptions(t_)),
        stats_(stats),
        store_(store),
        clock_(clock),
        changes_(changes),
        outbox_(std::make_shared<Outbox>()),
        refused_(store),
        ingest_(ingestor),
        sessions_(store, ingest_, clock, t_.maxFrameBytes, stats, outbox_, refused_),
        transport_(sessions_, o_, stats, outbox_->fd()) {}

  ~Impl() { stop(); }

  void start() {
    if (std::string e = teltonikaOptionsError(t_); !e.empty()) throw std::runtime_error(e);
    sessions_.start(transport_);
    transport_.start();
    if (t_.udp) startUdp();
    if (changes_) {
      subscription_ = changes_->subscribe(
          [outbox = outbox_, sessions = &sessions_](const std::vector<common::Change>& changes) {
            std::vector<std::string> serials;
            for (const common::Change& c : changes)
              if (c.kind == common::Change::Kind::DeviceChanged) serials.push_back(c.serial);
            if (serials.empty()) return;
            outbox->post(
                [sessions, serials = std::move(serials)] { sessions->devicesChanged(serials); });
          });
    }
  }

  void stop() {
    subscription_.reset();
    stopUdp_ = true;
    if (udpThread_.joinable()) udpThread_.join();
    transport_.stop();
  }

  std::uint16_t port() const { return transport_.port(); }
  std::uint16_t udpPort() const { return udpPort_; }

 private:
  void startUdp() {
    udp_ = std::make_shared<UdpSocket>();
    sockaddr_storage addr{};
    socklen_t len = 0;
    const std::uint16_t port = t_.port == 0 ? 0 : transport_.port();
    if (auto* in = reinterpret_cast<sockaddr_in*>(&addr);
        inet_pton(AF_INET, t_.bind.c_str(), &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      len = sizeof(sockaddr_in);
    } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
               inet_pton(AF_INET6, t_.bind.c_str(), &in6->sin6_addr) == 1) {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
    } else {
      throw std::runtime_error("teltonika.bind: not an IP address: " + t_.bind);
    }
    udp_->fd = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (udp_->fd < 0 || ::bind(udp_->fd, reinterpret_cast<sockaddr*>(&addr), len) != 0)
      throw std::runtime_error("teltonika: cannot bind UDP " + t_.bind + ":" +
                               std::to_string(port) + ": " + std::strerror(errno));
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(udp_->fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    udpPort_ =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    udpThread_ = std::thread([this] { runUdp(); });
  }

  void runUdp() {
    std::vector<std::uint8_t> buf(65536);
    while (!stopUdp_) {
      pollfd p{udp_->fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      sockaddr_storage from{};
      socklen_t fromLen = sizeof from;
      const ssize_t n = ::recvfrom(udp_->fd, buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &fromLen);
      if (n <= 0) continue;
      onDatagram(codecs::ByteView(buf.data(), static_cast<std::size_t>(n)), from, fromLen);
    }
  }

  void onDatagram(codecs::ByteView bytes, const sockaddr_storage& from, socklen_t fromLen) {
    auto d = tk::decodeUdp(bytes);
    if (!d) {
      // No answer: without a sound header there is no packet id to acknowledge.
      ++stats_.rejected;
      spdlog::warn("teltonika udp {}: datagram refused: {}", addressOf(from), d.error().message());
      return;
    }
    AvlLookup found = lookUpAvlDevice(store_, d->imei);
    if (!found.device) {
      // Anyone can put any IMEI in a datagram: an unknown one is never answered or stored.
      ++stats_.refusedLogins;
      spdlog::warn("teltonika udp {} {}: refused: {}", d->imei, addressOf(from), found.refusal);
      refused_.add(store::RefusedIdent{d->imei, addressOf(from), "teltonika udp: " + found.refusal,
                                       clock_.nowMs(), 0, 0});
      return;
    }
    stats_.packets += d->avl.records.size();
    ingest_.submit(*found.device, 0, std::move(d->avl), clock_.nowMs(),
                   [udp = udp_, stats = &stats_, from, fromLen, packetId = d->packetId,
                    avlId = d->avlPacketId, imei = d->imei](const AvlVerdict& v) {
                     if (v.kind != AvlVerdict::Kind::Ack) {
                       spdlog::warn("teltonika udp {}: not acknowledged: {}", imei, v.reason);
                       return;
                     }
                     stats->stored += v.records;
                     if (v.resend) stats->duplicates += v.records;
                     const codecs::Bytes ack =
                         tk::encodeUdpAck(packetId, avlId, static_cast<std::uint8_t>(v.records));
                     ::sendto(udp->fd, ack.data(), ack.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                              reinterpret_cast<const sockaddr*>(&from), fromLen);
                   });
  }

  TeltonikaOptions t_;
  ListenerOptions o_;
  ListenerStats& stats_;
  store::DeviceDirectory& store_;
  common::Clock& clock_;
  common::ChangeFeed* changes_;
  std::shared_ptr<Outbox> outbox_;
  RefusedLog refused_;
  AvlIngest ingest_;
  TeltonikaSessions sessions_;
  Transport transport_;  // after what its thread calls: destroyed (and joined) first
  std::shared_ptr<UdpSocket> udp_;
  std::atomic<bool> stopUdp_{false};
  std::thread udpThread_;
  std::uint16_t udpPort_{0};
  common::ChangeFeed::Subscription subscription_;
};

TeltonikaListener::TeltonikaListener(store::DeviceDirectory& store, ingest::Ingestor& ingestor,
                                     common::Clock& clock, TeltonikaOptions options,
                                     common::ChangeFeed* changes)
    : impl_(std::make_unique<Impl>(stats_, store, ingestor, clock, std::move(options), changes)) {}

TeltonikaListener::~TeltonikaListener() = default;

void TeltonikaListener::start() {
  impl_->start();
}
void TeltonikaListener::stop() {
  impl_->stop();
}
std::uint16_t TeltonikaListener::port() const {
  return impl_->port();
}
std::uint16_t TeltonikaListener::udpPort() const {
  return impl_->udpPort();
}

}  // namespace dcgw::uplink
