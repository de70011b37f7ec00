// REST (seed 004 section 3.1) and SOAP 1.1 (section 3.2) over one keep-alive HTTP(S) session.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <istream>
#include <mutex>
#include <thread>

#include "adapters/adapters_internal.hpp"
#include "adapters/resolver.hpp"
#include "adapters/xml_message.hpp"

namespace dcgw::adapters::detail {
namespace {

// Of a response body we keep this much (a SOAP fault's faultstring must fit) and read no more:
// a longer body drops the connection instead of being drained.
constexpr std::size_t kBodyLimit = 64 * 1024;

std::string bodyStart(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

// Finds <faultstring> (SOAP 1.1) or <Reason><Text> (1.2) in a response body.
std::string soapFaultString(const std::string& body) {
  xmlDocPtr doc = xmlReadMemory(body.data(), static_cast<int>(body.size()), nullptr, nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return {};
  std::string fault;
  bool isFault = false;
  std::vector<xmlNodePtr> stack = {xmlDocGetRootElement(doc)};
  while (!stack.empty()) {
    xmlNodePtr n = stack.back();
    stack.pop_back();
    for (; n; n = n->next) {
      if (n->type != XML_ELEMENT_NODE) continue;
      std::string name = reinterpret_cast<const char*>(n->name);
      if (name == "Fault") isFault = true;
      if ((name == "faultstring" || name == "Text") && fault.empty()) {
        xmlChar* text = xmlNodeGetContent(n);
        if (text) fault = reinterpret_cast<const char*>(text);
        xmlFree(text);
      }
      if (n->children) stack.push_back(n->children);
    }
  }
  xmlFreeDoc(doc);
  return isFault ? (fault.empty() ? std::string("(no faultstring)") : fault) : std::string();
}

class HttpAdapter : public Adapter {
 public:
  HttpAdapter(const DestinationSettings& s, bool soap) : settings_(s), soap_(soap), uri_(s.host) {
    if (!soap_) tags_ = parseRestCustomTags(s.customTags).value();
    path_ = uri_.getPathAndQuery();
    if (path_.empty()) path_ = "/";
    peer_ = uri_.getHost() + ":" + std::to_string(uri_.getPort());
    if (uri_.getScheme() == "https") {
      context_ = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", s.tlsCaFile,
          s.tlsVerify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE, 9,
          true);
      if (s.tlsVerify) {
        // Host name checking by OpenSSL itself, during the handshake: nothing is sent to a
        // server whose certificate names another host.
        X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context_->sslContext());
        const std::string host = uri_.getHost();
        if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
          X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
      } else {
        context_->enableExtendedCertificateVerification(false);
      }
    }
  }

  codecs::Result<std::string> render(const Envelope& e) const override {
    if (codecs::Status s = checkText(e); !s) return s.error();
    std::string data = formatData(e.packet, settings_.format);
    MessageFields m{e.deviceSerialNumber, e.vehicleRegistrationNumber, data};
    return soap_ ? buildSoapEnvelope(m, settings_.customTags) : buildRestBody(m, tags_);
  }

  ~HttpAdapter() override {
    watchdogStop_ = true;
    if (watchdog_.joinable()) watchdog_.join();
  }

  DeliveryResult deliver(const Envelope& e) override {
    Stopwatch watch;
    auto rendered = render(e);
    if (!rendered) return result(Outcome::Never, rendered.error().message(), watch);
    const std::string& body = *rendered;
    const auto deadline =
        std::chrono::steady_clock::now() + settings_.connectTimeout + settings_.timeout;
    armWatchdog(deadline);
    replyBound_ = false;
    struct Disarm {
      std::atomic<std::int64_t>& d;
      ~Disarm() { d = 0; }
    } disarm{deadlineNs_};
    // A keep-alive connection the server has since closed fails on first use; one fresh attempt
    // then is not a retry of the destination (delivery is at-least-once anyway).
    for (int attempt = 0;; ++attempt) {
      const bool reused = session_ && session_->connected();
      try {
        ensureSession();
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path_,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
        req.setKeepAlive(true);
        req.setHost(uri_.getHost(), uri_.getPort());
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        if (soap_) {
          req.setContentType("text/xml; charset=utf-8");
          req.set("SOAPAction", "\"" + std::string(kSoapAction) + "\"");
        } else {
          req.setContentType("application/json; charset=utf-8");
        }
        std::ostream& os = session_->sendRequest(req);
        os.write(body.data(), static_cast<std::streamsize>(body.size()));
        os.flush();
        // replyTimeoutMs: the whole response within that time of the request being written
        // (and within the message's overall time, whichever ends first).
        const auto replyBy =
            std::min(deadline, std::chrono::steady_clock::now() + settings_.replyTimeout);
        replyBound_ = replyBy < deadline;
        deadlineNs_ = replyBy.time_since_epoch().count();  // the watchdog watches it too
        awaitReadable(session_->socket());
        setTimeLeft(replyBy);
        Poco::Net::HTTPResponse resp;
        std::istream& is = session_->receiveResponse(resp);
        std::string respBody;
        const bool whole = readBody(is, respBody, replyBy);
        // The watchdog's shutdown can end the body as a clean end of stream rather than an
        // error: the response was cut by the overall timeout all the same.
        if (fired_.exchange(false)) {
          session_->reset();
          return result(Outcome::Retry, overallTimeoutReason(), watch);
        }
        if (!whole || !resp.getKeepAlive()) session_->reset();
        return classify(resp, respBody, watch);
      } catch (const Poco::Exception& ex) {
        if (session_) session_->reset();
        // NetException (reset, no message, ...) derives from IOException; timeouts do not.
        if (reused && attempt == 0 && dynamic_cast<const Poco::IOException*>(&ex)) continue;
        if (fired_.exchange(false)) return result(Outcome::Retry, overallTimeoutReason(), watch);
        return result(Outcome::Retry, describeNetworkError(ex, peer_), watch);
      } catch (const std::exception& ex) {
        if (session_) session_->reset();
        if (fired_.exchange(false)) return result(Outcome::Retry, overallTimeoutReason(), watch);
        return result(Outcome::Retry, describeNetworkError(ex, peer_), watch);
      }
    }
  }

 private:
  void ensureSession() {
    if (session_ && session_->connected()) return;
    // A new connection resolves the name again (DNS changes are followed), within the connect
    // timeout (resolver.hpp), and POCO is given the address: it would look the name up itself,
    // without a limit. The Host header names the URL's host (set on each request).
    const Poco::Net::SocketAddress address =
        resolveWithin(uri_.getHost(), uri_.getPort(), settings_.connectTimeout);
    std::lock_guard lock(sessionMu_);
    if (context_) {
      auto https = std::make_unique<Poco::Net::HTTPSClientSession>(address.host().toString(),
                                                                   address.port(), context_);
      // SNI and POCO's certificate check name the URL's host, not the address.
      Poco::Net::SecureStreamSocket(https->socket()).setPeerHostName(uri_.getHost());
      session_ = std::move(https);
    } else {
      session_ =
          std::make_unique<Poco::Net::HTTPClientSession>(address.host().toString(), address.port());
    }
    session_->setKeepAlive(true);
    auto ms = [](std::chrono::milliseconds d) { return Poco::Timespan(d.count() * 1000); };
    session_->setTimeout(ms(settings_.connectTimeout), ms(settings_.timeout),
                         ms(settings_.timeout));
  }

  // Spins briefly until the response starts to arrive, so the thread usually does not sleep
  // and need waking for it, while that pays (see socket_wait.hpp); then receiveResponse reads
  // as usual.
  void awaitReadable(Poco::Net::StreamSocket& socket) {
    const int fd = socket.impl()->sockfd();
    char c;
    spin_.spin([&] {
      return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 || (errno != EAGAIN && errno != EINTR);
    });
  }

  std::string overallTimeoutReason() const {
    if (replyBound_)
      return "timed out: no complete response within " +
             std::to_string(settings_.replyTimeout.count()) +
             " ms of the request (replyTimeoutMs) (" + peer_ + ")";
    return "timed out: no complete response within " +
           std::to_string((settings_.connectTimeout + settings_.timeout).count()) + " ms (" +
           peer_ + ")";
  }

  // The overall timeout: POCO's streams read until they have what they asked for, one socket
  // call at a time, so a server dripping bytes would pass every per-call timeout. A watchdog
  // (checking every 50 ms, so arming it costs an atomic store) shuts the socket down instead.
  void armWatchdog(std::chrono::steady_clock::time_point deadline) {
    fired_ = false;
    deadlineNs_ = deadline.time_since_epoch().count();
    if (!watchdog_.joinable())
      watchdog_ = std::thread([this] {
        while (!watchdogStop_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          const std::int64_t d = deadlineNs_;
          if (d != 0 && std::chrono::steady_clock::now().time_since_epoch().count() > d) {
            std::lock_guard lock(sessionMu_);
            if (deadlineNs_ == d && session_) {
              fired_ = true;
              try {
                session_->socket().shutdown();
              } catch (...) {
              }
            }
          }
        }
      });
  }

  // Bounds the next reads by what is left of the message's time (an overall timeout, not one
  // per socket call: a server dripping bytes cannot hold the worker).
  void setTimeLeft(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Poco::TimeoutException("the message's overall timeout passed");
    session_->socket().setReceiveTimeout(Poco::Timespan(left.count()));
  }

  // Reads the body (so the connection can be reused) up to kBodyLimit; false when it was
  // longer and the rest was left unread (the caller drops the connection).
  bool readBody(std::istream& is, std::string& kept,
                std::chrono::steady_clock::time_point deadline) {
    char buf[4096];
    for (bool first = true;; first = false) {
      if (!first) setTimeLeft(deadline);
      if (!is.read(buf, sizeof buf) && is.gcount() == 0) return true;
      kept.append(buf, static_cast<std::size_t>(is.gcount()));
      if (kept.size() >= kBodyLimit) return false;
    }
  }

  DeliveryResult classify(const Poco::Net::HTTPResponse& resp, const std::string& body,
                          const Stopwatch& watch) {
    const int status = resp.getStatus();
    const std::string statusText = "HTTP " + std::to_string(status) + " " + resp.getReason();
    if (soap_) {
      std::string fault = soapFaultString(body);
      if (!fault.empty())
        return result(Outcome::Retry, statusText + ": SOAP Fault: " + fault, watch);
      if (status == 200) return result(Outcome::Delivered, {}, watch);
    } else if (status == 200 || status == 204) {
      return result(Outcome::Delivered, {}, watch);
    }
    return result(Outcome::Retry, statusText + (body.empty() ? "" : ": " + bodyStart(body)), watch);
  }

  DestinationSettings settings_;
  bool replyBound_{false};  // this attempt's time ends with replyTimeoutMs, not the overall
  bool soap_;
  Poco::URI uri_;
  std::string path_;
  std::string peer_;
  JsonTags tags_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  std::mutex sessionMu_;  // the watchdog vs. replacing session_
  std::atomic<std::int64_t> deadlineNs_{0};
  std::atomic<bool> fired_{false};
  std::atomic<bool> watchdogStop_{false};
  std::thread watchdog_;
  AdaptiveSpin spin_;  // for the start of each response
};

}  // namespace

std::unique_ptr<Adapter> makeRestAdapter(const DestinationSettings& s) {
  return std::make_unique<HttpAdapter>(s, false);
}
std::unique_ptr<Adapter> makeSoapAdapter(const DestinationSettings& s) {
  return std::make_unique<HttpAdapter>(s, true);
}

}  // namespace dcgw::adapters::detail
