// Settings validation, the adapter factory and process-wide TLS set-up.
#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <mutex>

#include "adapters/adapters_internal.hpp"
#include "adapters/custom_tags.hpp"
#include "adapters/methods.hpp"
#include "adapters/resolver.hpp"
#include "codecs/json.hpp"

#include <libxml/parser.h>

namespace dcgw::adapters {

int AdaptiveSpin::receive(Poco::Net::StreamSocket& socket, void* buffer, int length) {
  const int fd = socket.impl()->sockfd();
  ssize_t n = -1;
  spin([&] {
    n = ::recv(fd, buffer, static_cast<std::size_t>(length), MSG_DONTWAIT);
    // A real error ends the spin too: the blocking receive below lets POCO report it.
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  });
  if (n >= 0) return static_cast<int>(n);
  return socket.receiveBytes(buffer, length);
}

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Delivered:
      return "delivered";
    case Outcome::Retry:
      return "failed";
    case Outcome::Never:
      return "never";
  }
  return "unknown";
}

std::vector<codecs::Error> validateDestinationAll(const DestinationSettings& s) {
  std::vector<codecs::Error> errors;
  auto fail = [&](const char* field, std::string expected) {
    errors.push_back(codecs::makeError(field, 0, std::move(expected)));
  };
  const MethodInfo& m = methodInfo(s.method);
  const std::size_t before = errors.size();
  if (m.addressing == Addressing::Url) {
    if (s.host.rfind("http://", 0) != 0 && s.host.rfind("https://", 0) != 0) {
      fail("host", "a URL starting with http:// or https:// for " + std::string(m.name) +
                       " (seed 004 section 6), e.g. " + std::string(m.hostExample));
    } else {
      try {
        Poco::URI uri(s.host);
        if (uri.getHost().empty()) fail("host", "a URL with a host name");
      } catch (const Poco::Exception& e) {
        fail("host", "a valid URL (" + e.message() + ")");
      }
    }
  } else {
    Poco::Net::IPAddress literal;
    const bool ipv6 = Poco::Net::IPAddress::tryParse(s.host, literal);
    if (s.host.empty() || s.host.find_first_of(" /\t") != std::string::npos ||
        (!ipv6 && s.host.find(':') != std::string::npos))
      fail("host", "a host name or IP address (no scheme, path or port)");
  }
  const bool hostOk = errors.size() == before;
  if (m.takes("port") && s.port == 0) fail("port", "a port number from 1 to 65535");
  if (!s.tlsCaFile.empty()) {
    // A host already refused counts as not https, so the CA file is judged on its own.
    if (!hostOk || m.addressing != Addressing::Url || s.host.rfind("https://", 0) != 0) {
      fail("tlsCaFile", "an https:// destination (TLS is only for https)");
    } else {
      std::ifstream ca(s.tlsCaFile);
      std::string pem((std::istreambuf_iterator<char>(ca)), std::istreambuf_iterator<char>());
      if (!ca && pem.empty())
        fail("tlsCaFile", "a readable PEM file (" + s.tlsCaFile + ")");
      else if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        fail("tlsCaFile", "a PEM file with a certificate (" + s.tlsCaFile + " has none)");
    }
  }
  if (s.connectTimeout.count() <= 0 || s.timeout.count() <= 0 || s.replyTimeout.count() <= 0)
    fail("timeout", "timeouts greater than zero");
  if (codecs::Status tags = m.customTags.check(s.customTags); !tags) errors.push_back(tags.error());
  return errors;
}

codecs::Status validateDestination(const DestinationSettings& s) {
  std::vector<codecs::Error> errors = validateDestinationAll(s);
  if (!errors.empty()) return errors.front();
  return codecs::Ok{};
}

void initialiseTls() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                               Poco::Net::Context::VERIFY_RELAXED, 9, true);
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, ctx);
  });
}

codecs::Result<std::unique_ptr<Adapter>> makeAdapter(const DestinationSettings& s) {
  if (codecs::Status v = validateDestination(s); !v) return v.error();
  static std::once_flag xml;
  std::call_once(xml, [] { xmlInitParser(); });  // before parsers run on several workers
  try {
    if (s.host.rfind("https://", 0) == 0) initialiseTls();
    return methodInfo(s.method).make(s);
  } catch (const Poco::Exception& e) {
    // e.g. a CA file OpenSSL cannot load: the destination is misconfigured, not the process.
    return codecs::makeError("settings", 0,
                             "settings the adapter can use (" + e.displayText() + ")");
  } catch (const std::exception& e) {
    return codecs::makeError("settings", 0,
                             std::string("settings the adapter can use (") + e.what() + ")");
  }
}

namespace detail {

std::string describeNetworkError(const Poco::Exception& e, const std::string& peer) {
  using namespace Poco::Net;
  const std::string at = " (" + peer + ")";
  if (dynamic_cast<const HostNotFoundException*>(&e) ||
      dynamic_cast<const NoAddressFoundException*>(&e) || dynamic_cast<const DNSException*>(&e))
    return "DNS lookup failed" + at + ": " + e.displayText();
  if (dynamic_cast<const ConnectionRefusedException*>(&e)) return "connection refused" + at;
  if (dynamic_cast<const ConnectionResetException*>(&e)) return "connection reset by peer" + at;
  if (dynamic_cast<const ConnectionAbortedException*>(&e)) return "connection aborted" + at;
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) return "timed out" + at;
  if (dynamic_cast<const CertificateValidationException*>(&e) ||
      dynamic_cast<const InvalidCertificateException*>(&e))
    return "TLS certificate verification failed" + at + ": " + e.displayText();
  if (dynamic_cast<const SSLException*>(&e)) {
    if (e.displayText().find("certificate verify failed") != std::string::npos)
      return "TLS certificate verification failed" + at + ": " + e.displayText();
    return "TLS error" + at + ": " + e.displayText();
  }
  if (dynamic_cast<const NoMessageException*>(&e))
    return "connection closed before a response" + at;
  return e.displayText() + at;
}

std::string describeNetworkError(const std::exception& e, const std::string& peer) {
  if (auto* p = dynamic_cast<const Poco::Exception*>(&e)) return describeNetworkError(*p, peer);
  if (dynamic_cast<const ResolveError*>(&e)) return e.what();  // names the host already
  return std::string(e.what()) + " (" + peer + ")";
}

codecs::Status checkText(const Envelope& e) {
  if (!codecs::isValidUtf8(e.deviceSerialNumber))
    return codecs::makeError("deviceSerialNumber", 0, "UTF-8 text for XML and JSON messages");
  if (!codecs::isValidUtf8(e.vehicleRegistrationNumber))
    return codecs::makeError("vehicleRegistrationNumber", 0,
                             "UTF-8 text for XML and JSON messages");
  return codecs::Ok{};
}

Poco::Net::SocketAddress resolve(const std::string& host, std::uint16_t port,
                                 std::chrono::milliseconds limit) {
  return resolveWithin(host, port, limit);
}

}  // namespace detail
}  // namespace dcgw::adapters
