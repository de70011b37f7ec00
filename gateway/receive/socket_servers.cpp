// XML over TCP and binary mode (an accept loop and a thread per connection) and XML over UDP
// (a datagram per document): reading, framing and the binary replies of section 3.4.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/socket_wait.hpp"
#include "codecs/bytes.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

namespace {

using codecs::Bytes;
using codecs::ByteView;

// A TCP XML sender closes the socket to end its document; one that goes silent without
// closing would otherwise hold a thread forever.
constexpr std::chrono::seconds kXmlTcpIdleLimit{30};

}  // namespace

void Receiver::Impl::handleXml(Method method, std::string_view text,
                               std::vector<std::string> transportErrors, bool parse) {
  Message m{method};
  m.refused = takeRefusal();
  // XML has no reply to refuse with: the refusal can only be reported.
  if (m.refused) m.errors.emplace_back(kRefused);
  for (auto& e : transportErrors) m.errors.push_back(std::move(e));
  if (parse) parseXmlDocument(text, options.format, m);
  emit(m);
}

bool Receiver::Impl::readWholeQuickly(Poco::Net::StreamSocket& s, std::string& doc) {
  const int fd = s.impl()->sockfd();
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
  char chunk[8192];
  while (std::chrono::steady_clock::now() < until) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n > 0) {
      doc.append(chunk, static_cast<std::size_t>(n));
      if (doc.size() > kMaxDocument) return false;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return false;
    }
  }
  return false;
}

void Receiver::Impl::serveXmlTcp(Poco::Net::StreamSocket& s, std::string doc) {
  // Section 3.3: one socket per document, ended by the sender closing it.
  std::vector<std::string> errors;
  bool tooLong = false;
  std::array<char, 8192> chunk;
  auto lastByte = std::chrono::steady_clock::now();
  // A receive timeout rather than Socket::poll: POCO's poll builds and frees an epoll set on
  // every call, which costs more than the message itself.
  s.setReceiveTimeout(kPollInterval);
  for (;;) {
    if (stopping) return;
    try {
      int n = 0;
      try {
        n = s.receiveBytes(chunk.data(), static_cast<int>(chunk.size()));
      } catch (const Poco::TimeoutException&) {
        if (std::chrono::steady_clock::now() - lastByte > kXmlTcpIdleLimit) {
          errors.push_back("the sender went silent for " +
                           std::to_string(kXmlTcpIdleLimit.count()) +
                           " s without closing the socket to end the document");
          break;
        }
        continue;
      }
      if (n <= 0) break;
      lastByte = std::chrono::steady_clock::now();
      doc.append(chunk.data(), static_cast<std::size_t>(n));
      if (doc.size() > kMaxDocument) {
        errors.push_back("the document exceeds " + std::to_string(kMaxDocument) + " bytes");
        tooLong = true;
        break;
      }
    } catch (const Poco::Exception& e) {
      errors.push_back("the connection failed: " + e.displayText());
      break;
    }
  }
  // A connection that closes without a byte (a port probe) is not a message.
  if (doc.empty() && errors.empty()) return;
  handleXml(Method::XmlTcp, doc, std::move(errors), !tooLong);
}

void Receiver::Impl::serveBinary(Poco::Net::StreamSocket& s) {
  s.setNoDelay(true);
  // A sender that never reads our replies must not hold this thread (and stop()) forever.
  s.setSendTimeout(Poco::Timespan(30, 0));
  s.setReceiveTimeout(kPollInterval);  // see serveXmlTcp
  Bytes buf;
  std::array<std::uint8_t, 4096> chunk;
  adapters::AdaptiveSpin spin;
  auto reply = [&s](const Bytes& r) { s.sendBytes(r.data(), static_cast<int>(r.size())); };
  for (;;) {
    if (stopping) return;
    int n = 0;
    try {
      // The sender's next frame follows our reply within microseconds (see socket_wait.hpp).
      n = spin.receive(s, chunk.data(), static_cast<int>(chunk.size()));
    } catch (const Poco::TimeoutException&) {
      continue;  // only to look at `stopping` again
    } catch (const Poco::Exception& e) {
      if (!buf.empty()) {
        Message m{Method::Binary};
        m.refused = takeRefusal();
        m.errors.push_back("the connection failed inside a binary frame (" +
                           std::to_string(buf.size()) + " bytes received): " + e.displayText());
        emit(m);
      }
      return;
    }
    if (n <= 0) {
      if (!buf.empty()) {
        Message m{Method::Binary};
        m.refused = takeRefusal();
        m.errors.push_back("the sender closed the connection inside a binary frame (" +
                           std::to_string(buf.size()) + " bytes received)");
        emit(m);
      }
      return;
    }
    buf.insert(buf.end(), chunk.begin(), chunk.begin() + n);

    std::size_t used = 0;
    while (used < buf.size()) {
      const ByteView rest = ByteView(buf).subspan(used);
      auto r = codecs::decodeBinaryDataFrame(rest);
      Message m{Method::Binary};
      std::size_t consumed = 0;
      bool resynchronised = true;
      if (!r) {
        m.errors.push_back("binary frame " + r.error().message());
        const auto& field = r.error().field;
        // Past the length the frame's end is known, so the next frame can still be found;
        // a bad header, identifier or length leaves nothing to count on.
        if (field == "header" || field == "identifier" || field == "length" || rest.size() < 4) {
          resynchronised = false;
        } else {
          consumed = (std::size_t{rest[2]} << 8 | rest[3]) + 5;
          if (consumed > rest.size()) resynchronised = false;
        }
      } else if (!r->complete) {
        break;
      } else {
        consumed = r->consumed;
        auto& f = r->frame;
        TextFields tf;
        tf.serial = f.deviceSerialNumber;
        tf.registration = f.vehicleRegistrationNumber;
        checkFields(tf, options.format, m);
        m.customTags = f.customTags;
        m.data = std::move(f.payload);
      }
      m.refused = takeRefusal();
      emit(m);
      if (m.refused)
        reply(codecs::encodeBinaryNegativeReply(503, kRefused));
      else if (!m.errors.empty())
        reply(codecs::encodeBinaryNegativeReply(1, m.errors.front()));
      else
        reply(codecs::encodeBinaryPositiveReply());
      if (!resynchronised) return;
      used += consumed;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

void Receiver::Impl::reapConnections(bool all) {
  std::list<Connection> finished;
  {
    std::lock_guard lock(connectionsMutex);
    for (auto it = connections.begin(); it != connections.end();) {
      if (all || *it->done) {
        finished.splice(finished.end(), connections, it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c.thread.join();
}

void Receiver::Impl::acceptLoop(TcpListener& l) {
  const int fd = l.socket.impl()->sockfd();
  while (!stopping) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPollInterval.totalMilliseconds())) <= 0) continue;
    Poco::Net::StreamSocket s;
    try {
      s = l.socket.acceptConnection();
    } catch (...) {
      continue;
    }
    // Most documents are whole, and their sender gone, by the time they are accepted: finish
    // those here, a thread per connection costs more than the document.
    std::string doc;
    if (l.method == Method::XmlTcp) {
      bool whole = false;
      try {
        whole = readWholeQuickly(s, doc);
      } catch (...) {
      }
      // The rest of a document is read here too, before the next connection is taken: the
      // order of the printed documents is the order they were sent in (a sender of XML over
      // TCP opens one connection per document, one after the other).
      try {
        if (whole) {
          if (!doc.empty()) handleXml(Method::XmlTcp, doc, {});
        } else {
          serveXmlTcp(s, std::move(doc));
        }
      } catch (...) {
      }
      s.close();
      continue;
    }
    reapConnections(false);
    std::lock_guard lock(connectionsMutex);
    if (connections.size() >= 2u * kMaxConnectionsPerListener) continue;  // closes s
    auto done = std::make_shared<std::atomic<bool>>(false);
    const Method m = l.method;
    connections.push_back(Connection{std::thread([this, s, m, done, doc]() mutable {
                                       // One edge per connection: nothing a peer sends may
                                       // take the receiver down.
                                       try {
                                         if (m == Method::Binary)
                                           serveBinary(s);
                                         else
                                           serveXmlTcp(s, std::move(doc));
                                       } catch (...) {
                                       }
                                       s.close();
                                       *done = true;
                                     }),
                                     done});
  }
}

void Receiver::Impl::serveUdp() {
  // Section 3.3 over UDP: one datagram is one whole document.
  std::vector<char> buf(65536);
  udpSocket->setReceiveTimeout(kPollInterval);  // see serveXmlTcp
  while (!stopping) {
    try {
      Poco::Net::SocketAddress from;
      const int n = udpSocket->receiveFrom(buf.data(), static_cast<int>(buf.size()), from);
      if (n < 0) continue;
      handleXml(Method::XmlUdp, std::string_view(buf.data(), static_cast<std::size_t>(n)), {});
    } catch (...) {
      // An ICMP error or a bad datagram must not end the listener.
    }
  }
}

}  // namespace dcgw::receive
