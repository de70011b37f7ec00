// Binary mode (seed 004 section 3.4): one frame at a time on a kept-open TCP connection, each
// answered by a positive (0x55 0xA0) or negative (0x55 0xAE) reply within the reply timeout.
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/socket.h>

#include <cerrno>

#include "adapters/adapters_internal.hpp"
#include "codecs/forwarding/binary_frame.hpp"

namespace dcgw::adapters::detail {
namespace {

class BinaryAdapter : public Adapter {
 public:
  explicit BinaryAdapter(const DestinationSettings& s)
      : settings_(s), peer_(s.host + ":" + std::to_string(s.port)) {}

  codecs::Result<std::string> render(const Envelope& e) const override {
    auto frame = codecs::encodeBinaryDataFrame(
        {e.deviceSerialNumber, e.vehicleRegistrationNumber, e.packet, settings_.customTags});
    if (!frame) return frame.error();
    return std::string(frame->begin(), frame->end());
  }

  DeliveryResult deliver(const Envelope& e) override {
    Stopwatch watch;
    auto frame = codecs::encodeBinaryDataFrame(
        {e.deviceSerialNumber, e.vehicleRegistrationNumber, e.packet, settings_.customTags});
    if (!frame)
      return result(Outcome::Never, "cannot be framed in binary mode: " + frame.error().message(),
                    watch);
    try {
      if (socket_ && !stillUsable()) socket_.reset();
      if (!socket_) connect();
      sendAll(*frame);
      return awaitReply(watch);
    } catch (const std::exception& ex) {  // Poco::Exception included: described by its class
      socket_.reset();
      return result(Outcome::Retry, describeNetworkError(ex, peer_), watch);
    }
  }

 private:
  static Poco::Timespan span(std::chrono::milliseconds d) {
    return Poco::Timespan(d.count() * 1000);
  }

  // A kept-open connection the receiver closed while idle (EOF waiting), or one with bytes
  // nobody asked for, is replaced before the next frame rather than failing it.
  bool stillUsable() {
    if (!buffer_.empty()) return false;
    char c;
    ssize_t n = ::recv(socket_->impl()->sockfd(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void connect() {
    auto s = std::make_unique<Poco::Net::StreamSocket>();
    s->connect(resolve(settings_.host, settings_.port, settings_.connectTimeout),
               span(settings_.connectTimeout));
    s->setNoDelay(true);
    s->setSendTimeout(span(settings_.timeout));
    s->setReceiveTimeout(span(settings_.replyTimeout));
    currentTimeout_ = settings_.replyTimeout;
    socket_ = std::move(s);
    buffer_.clear();
  }

  void sendAll(const codecs::Bytes& b) {
    std::size_t sent = 0;
    while (sent < b.size()) {
      int n = socket_->sendBytes(b.data() + sent, static_cast<int>(b.size() - sent));
      if (n <= 0) throw Poco::Net::ConnectionResetException("closed while writing");
      sent += static_cast<std::size_t>(n);
    }
  }

  DeliveryResult awaitReply(const Stopwatch& watch) {
    const auto deadline = std::chrono::steady_clock::now() + settings_.replyTimeout;
    for (;;) {
      auto reply = codecs::decodeBinaryReply(buffer_);
      if (!reply) {
        socket_.reset();
        return result(Outcome::Retry, "malformed reply: " + reply.error().message(), watch);
      }
      if (reply->complete) {
        buffer_.erase(buffer_.begin(),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(reply->consumed));
        if (reply->frame.positive) return result(Outcome::Delivered, {}, watch);
        return result(
            Outcome::Retry,
            "negative reply: error code " + std::to_string(reply->frame.errorCode) +
                (reply->frame.errorMessage.empty() ? "" : ": " + reply->frame.errorMessage),
            watch);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        socket_.reset();
        return result(Outcome::Retry,
                      "no reply within " + std::to_string(settings_.replyTimeout.count()) +
                          " ms (" + peer_ + ")",
                      watch);
      }
      // The first read of a reply waits the whole reply timeout (set at connect); a later one
      // only what is left. setsockopt only when that changes: it is a syscall per message.
      const auto want = buffer_.empty() ? settings_.replyTimeout : left;
      if (want != currentTimeout_) {
        socket_->setReceiveTimeout(span(want));
        currentTimeout_ = want;
      }
      std::uint8_t chunk[512];
      int n = 0;
      try {
        n = spin_.receive(*socket_, chunk, sizeof chunk);
      } catch (const Poco::TimeoutException&) {
        continue;  // the deadline check above reports it
      }
      if (n <= 0) {
        socket_.reset();
        return result(Outcome::Retry, "connection closed before the reply (" + peer_ + ")", watch);
      }
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }

  DestinationSettings settings_;
  std::string peer_;
  std::unique_ptr<Poco::Net::StreamSocket> socket_;
  codecs::Bytes buffer_;
  std::chrono::milliseconds currentTimeout_{0};
  AdaptiveSpin spin_;  // for the replies (see socket_wait.hpp)
};

}  // namespace

std::unique_ptr<Adapter> makeBinaryAdapter(const DestinationSettings& s) {
  return std::make_unique<BinaryAdapter>(s);
}

}  // namespace dcgw::adapters::detail
