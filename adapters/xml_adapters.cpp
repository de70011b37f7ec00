// XML over TCP and UDP (seed 004 section 3.3): one connection, or one datagram, per document.
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include <cerrno>

#include "adapters/adapters_internal.hpp"
#include "adapters/xml_message.hpp"

namespace dcgw::adapters::detail {
namespace {

// The largest UDP payload over IPv4 (65535 - 8 UDP - 20 IP header bytes).
constexpr std::size_t kMaxDatagram = 65507;

class XmlAdapterBase : public Adapter {
 public:
  explicit XmlAdapterBase(const DestinationSettings& s)
      : settings_(s), peer_(s.host + ":" + std::to_string(s.port)) {}

  codecs::Result<std::string> render(const Envelope& e) const override {
    if (codecs::Status s = checkText(e); !s) return s.error();
    std::string data = formatData(e.packet, settings_.format);
    return buildXmlDocument({e.deviceSerialNumber, e.vehicleRegistrationNumber, data},
                            settings_.customTags);
  }

 protected:
  static Poco::Timespan span(std::chrono::milliseconds d) {
    return Poco::Timespan(d.count() * 1000);
  }
  DestinationSettings settings_;
  std::string peer_;
};

class XmlTcpAdapter : public XmlAdapterBase {
 public:
  using XmlAdapterBase::XmlAdapterBase;

  DeliveryResult deliver(const Envelope& e) override {
    Stopwatch watch;
    auto rendered = render(e);
    if (!rendered) return result(Outcome::Never, rendered.error().message(), watch);
    const std::string& doc = *rendered;
    try {
      const Poco::Net::SocketAddress address =
          resolve(settings_.host, settings_.port, settings_.connectTimeout);
      // A blocking connect bounded by SO_SNDTIMEO (Linux applies it to connect): POCO's
      // connect-with-timeout adds a non-blocking round and an epoll set per connection, which
      // is most of the cost of a connection per document.
      Poco::Net::StreamSocket socket(address.family());
      socket.setSendTimeout(span(settings_.connectTimeout));
      try {
        socket.connect(address);
      } catch (const Poco::Exception& ex) {
        if (ex.code() == EINPROGRESS || ex.code() == EAGAIN)
          return result(Outcome::Retry,
                        "timed out connecting after " +
                            std::to_string(settings_.connectTimeout.count()) + " ms (" + peer_ +
                            ")",
                        watch);
        throw;
      }
      socket.setSendTimeout(span(settings_.timeout));
      std::size_t sent = 0;
      while (sent < doc.size()) {
        int n = socket.sendBytes(doc.data() + sent, static_cast<int>(doc.size() - sent));
        if (n <= 0)
          return result(Outcome::Retry, "connection closed while writing (" + peer_ + ")", watch);
        sent += static_cast<std::size_t>(n);
      }
      // The end of the document is the end of the connection (no reply is defined).
      socket.shutdownSend();
      socket.close();
      return result(Outcome::Delivered, {}, watch);
    } catch (const std::exception& ex) {  // Poco::Exception included: described by its class
      return result(Outcome::Retry, describeNetworkError(ex, peer_), watch);
    }
  }
};

class XmlUdpAdapter : public XmlAdapterBase {
 public:
  using XmlAdapterBase::XmlAdapterBase;

  DeliveryResult deliver(const Envelope& e) override {
    Stopwatch watch;
    auto rendered = render(e);
    if (!rendered) return result(Outcome::Never, rendered.error().message(), watch);
    const std::string& doc = *rendered;
    if (doc.size() > kMaxDatagram)
      return result(Outcome::Never,
                    "the XML document is " + std::to_string(doc.size()) +
                        " bytes, more than one UDP datagram can carry (65507)",
                    watch);
    try {
      if (!socket_) {
        // Resolved once per socket: a failure drops both, so DNS changes are picked up.
        address_ = resolve(settings_.host, settings_.port, settings_.connectTimeout);
        socket_ = std::make_unique<Poco::Net::DatagramSocket>(address_.family());
        socket_->setSendTimeout(span(settings_.timeout));
      }
      int n = socket_->sendTo(doc.data(), static_cast<int>(doc.size()), address_);
      if (n != static_cast<int>(doc.size())) {
        socket_.reset();
        return result(Outcome::Retry, "datagram truncated while sending (" + peer_ + ")", watch);
      }
      return result(Outcome::Delivered, {}, watch);
    } catch (const std::exception& ex) {  // Poco::Exception included: described by its class
      socket_.reset();
      return result(Outcome::Retry, describeNetworkError(ex, peer_), watch);
    }
  }

 private:
  std::unique_ptr<Poco::Net::DatagramSocket> socket_;
  Poco::Net::SocketAddress address_;
};

}  // namespace

std::unique_ptr<Adapter> makeXmlTcpAdapter(const DestinationSettings& s) {
  return std::make_unique<XmlTcpAdapter>(s);
}
std::unique_ptr<Adapter> makeXmlUdpAdapter(const DestinationSettings& s) {
  return std::make_unique<XmlUdpAdapter>(s);
}

}  // namespace dcgw::adapters::detail
