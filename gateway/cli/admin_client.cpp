// One keep-alive HTTP(S) session to the admin listener; network failures become values that
// name the URL, so the CLI can tell "not reachable" apart from an API error.
#include "gateway/cli/admin_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <istream>
#include <ostream>

#include "adapters/adapter.hpp"

namespace dcgw::cli {
namespace {

// A page of 500 entries with their decoded packets is a few MB; anything far larger is not
// the admin API.
constexpr std::size_t kBodyLimit = 64u << 20;

std::string describe(const Poco::Exception& e) {
  using namespace Poco::Net;
  if (dynamic_cast<const HostNotFoundException*>(&e) ||
      dynamic_cast<const NoAddressFoundException*>(&e) || dynamic_cast<const DNSException*>(&e))
    return "DNS lookup failed: " + e.displayText();
  if (dynamic_cast<const ConnectionRefusedException*>(&e)) return "connection refused";
  if (dynamic_cast<const ConnectionResetException*>(&e)) return "connection reset by peer";
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) return "timed out";
  if (dynamic_cast<const NoMessageException*>(&e)) return "connection closed before a response";
  const bool certificate = dynamic_cast<const CertificateValidationException*>(&e) ||
                           dynamic_cast<const InvalidCertificateException*>(&e) ||
                           e.displayText().find("certificate verify failed") != std::string::npos;
  if (certificate)
    return "TLS certificate verification failed (" + e.displayText() +
           "); trust its CA with --ca-file F, or turn verification off with --insecure";
  if (dynamic_cast<const SSLException*>(&e)) return "TLS error: " + e.displayText();
  return e.displayText();
}

class HttpTransport : public AdminTransport {
 public:
  explicit HttpTransport(ClientOptions o) : o_(std::move(o)) {}

  Exchange send(std::string_view method, const std::string& target,
                const std::optional<std::string>& body) override {
    // A kept-alive connection the server has since closed fails on first use; one fresh try
    // is safe for the idempotent methods only.
    const bool idempotent = method != "POST";
    for (int attempt = 0;; ++attempt) {
      const bool reused = session_ && session_->connected();
      try {
        return Exchange{exchange(method, target, body), {}};
      } catch (const Poco::Exception& e) {
        if (session_) session_->reset();
        if (reused && idempotent && attempt == 0 && dynamic_cast<const Poco::IOException*>(&e))
          continue;
        return Exchange{std::nullopt, failure(describe(e))};
      } catch (const std::exception& e) {
        if (session_) session_->reset();
        return Exchange{std::nullopt, failure(e.what())};
      }
    }
  }

 private:
  std::string failure(const std::string& why) const {
    return "cannot reach the gateway at " + o_.url.text + ": " + why;
  }

  HttpResponse exchange(std::string_view method, const std::string& target,
                        const std::optional<std::string>& body) {
    ensureSession();
    Poco::Net::HTTPRequest req(std::string(method), o_.url.prefix + target,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.set("Authorization", "Bearer " + o_.token);
    req.set("Accept", "application/json");
    req.set("User-Agent", "dcgw-cli");
    if (body) {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body->size()));
    } else if (method == "POST" || method == "PUT") {
      req.setContentLength(0);
    }
    std::ostream& os = session_->sendRequest(req);
    if (body) os.write(body->data(), static_cast<std::streamsize>(body->size()));
    os.flush();
    Poco::Net::HTTPResponse resp;
    std::istream& is = session_->receiveResponse(resp);
    HttpResponse r;
    r.status = static_cast<int>(resp.getStatus());
    // From the code, not the status line: a server may send "400 OK".
    r.reason = Poco::Net::HTTPResponse::getReasonForStatus(resp.getStatus());
    char buf[16384];
    while (is.read(buf, sizeof buf) || is.gcount() > 0) {
      r.body.append(buf, static_cast<std::size_t>(is.gcount()));
      if (r.body.size() > kBodyLimit)
        throw Poco::DataException("the response is larger than 64 MiB");
    }
    if (!resp.getKeepAlive()) session_->reset();
    return r;
  }

  void ensureSession() {
    if (session_) return;
    if (o_.url.https) {
      adapters::initialiseTls();
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", o_.caFile,
          o_.insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED, 9,
          true);
      if (o_.insecure) {
        ctx->enableExtendedCertificateVerification(false);
      } else {
        // The host name is checked by OpenSSL during the handshake, before the token is sent.
        X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx->sslContext());
        if (X509_VERIFY_PARAM_set1_ip_asc(param, o_.url.host.c_str()) != 1)
          X509_VERIFY_PARAM_set1_host(param, o_.url.host.c_str(), o_.url.host.size());
      }
      session_ = std::make_unique<Poco::Net::HTTPSClientSession>(o_.url.host, o_.url.port, ctx);
    } else {
      session_ = std::make_unique<Poco::Net::HTTPClientSession>(o_.url.host, o_.url.port);
    }
    session_->setKeepAlive(true);
    auto us = [](std::chrono::milliseconds d) { return Poco::Timespan(d.count() * 1000); };
    session_->setTimeout(us(o_.connectTimeout), us(o_.timeout), us(o_.timeout));
  }

  ClientOptions o_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

void writeValue(codecs::JsonWriter& w, const codecs::JsonValue& v) {
  using Kind = codecs::JsonValue::Kind;
  switch (v.kind()) {
    case Kind::Null:
      w.null();
      break;
    case Kind::Bool:
      w.boolean(v.asBool());
      break;
    case Kind::Number:
      if (auto exact = v.asExactInteger())
        w.integer(*exact);
      else
        w.number(v.asDouble());
      break;
    case Kind::String:
      w.string(v.asString());
      break;
    case Kind::Array:
      w.beginArray();
      for (const auto& e : v.asArray()) writeValue(w, e);
      w.endArray();
      break;
    case Kind::Object:
      w.beginObject();
      for (const auto& [k, e] : v.asObject()) {
        w.key(k);
        writeValue(w, e);
      }
      w.endObject();
      break;
  }
}

}  // namespace

codecs::Result<BaseUrl> parseBaseUrl(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return codecs::makeError(
        "--url", 0,
        why + " (expected http://HOST[:PORT] or https://HOST[:PORT]), not '" + text + "'");
  };
  BaseUrl u;
  u.text = text;
  std::string_view rest = text;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    u.https = true;
  } else {
    return bad("the scheme must be http or https");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    if (path.find_first_of("?#") != std::string_view::npos)
      return bad("no query or fragment is allowed");
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    u.prefix = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos)
    return bad("credentials go in --token, not the URL");
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an unclosed '[' in the host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("a ':' must follow ']'");
      portText = after.substr(1);
      if (portText.empty()) return bad("an empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = authority.substr(colon + 1);
      if (portText.empty()) return bad("an empty port");
    }
  }
  if (u.host.empty()) return bad("no host");
  u.port = u.https ? 443 : 80;
  if (!portText.empty()) {
    unsigned p = 0;
    auto r = std::from_chars(portText.data(), portText.data() + portText.size(), p);
    if (r.ec != std::errc{} || r.ptr != portText.data() + portText.size() || p < 1 || p > 65535)
      return bad("the port must be 1-65535");
    u.port = static_cast<std::uint16_t>(p);
  }
  return u;
}

std::unique_ptr<AdminTransport> makeHttpTransport(const ClientOptions& options) {
  return std::make_unique<HttpTransport>(options);
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string toJson(const codecs::JsonValue& value) {
  std::string out;
  codecs::JsonWriter w(out);
  writeValue(w, value);
  return out;
}

}  // namespace dcgw::cli
