// REST (section 3.1) and SOAP (section 3.2) over HTTP: the request checks and the replies a
// conforming receiver sends, refusals and faults included.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <array>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "codecs/json.hpp"
#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

namespace {

constexpr std::string_view kSoapAction = "digicentral.Website/digicentralDataPacket";
constexpr std::string_view kSoapResponse =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/")"
    R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance")"
    R"( xmlns:xsd="http://www.w3.org/2001/XMLSchema">)"
    R"(<soap:Body><digicentralDataPacketResponse xmlns="digicentral.Website"/></soap:Body>)"
    R"(</soap:Envelope>)";

std::string xmlEscape(std::string_view s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '<':
        r += "&lt;";
        break;
      case '>':
        r += "&gt;";
        break;
      case '&':
        r += "&amp;";
        break;
      default:
        r.push_back(c);
    }
  }
  return r;
}

std::string soapFault(std::string_view code, std::string_view text) {
  return R"(<?xml version="1.0" encoding="utf-8"?>)"
         R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
         R"(<soap:Body><soap:Fault><faultcode>)" +
         std::string(code) + "</faultcode><faultstring>" + xmlEscape(text) +
         "</faultstring></soap:Fault></soap:Body></soap:Envelope>";
}

// The media type of a Content-Type value, without parameters, lowercased.
std::string mediaType(std::string_view contentType) {
  return lower(trim(contentType.substr(0, contentType.find(';'))));
}

class HttpHandler : public Poco::Net::HTTPRequestHandler {
 public:
  HttpHandler(Receiver::Impl& impl, Method m) : impl_(impl), method_(m) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    impl_.handleHttp(method_, req, resp);
  }

 private:
  Receiver::Impl& impl_;
  Method method_;
};

class HttpFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HttpFactory(Receiver::Impl& impl, Method m) : impl_(impl), method_(m) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new HttpHandler(impl_, method_);
  }

 private:
  Receiver::Impl& impl_;
  Method method_;
};

void sendBody(Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& contentType, std::string_view body) {
  resp.setStatusAndReason(status);
  resp.setContentType(contentType);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  // Headers and body leave in one write: two small writes would meet Nagle and delayed ACK
  // and cost a keep-alive client 40 ms per request.
  std::ostream& o = resp.send();
  o.write(body.data(), static_cast<std::streamsize>(body.size()));
  o.flush();
}

}  // namespace

Poco::Net::HTTPRequestHandlerFactory* newHttpFactory(Receiver::Impl& impl, Method m) {
  return new HttpFactory(impl, m);
}

void Receiver::Impl::handleHttp(Method method, Poco::Net::HTTPServerRequest& req,
                                Poco::Net::HTTPServerResponse& resp) {
  using Poco::Net::HTTPResponse;
  Message m{method};
  m.refused = takeRefusal();
  const bool rest = method == Method::Rest;
  const std::string section = rest ? "section 3.1" : "section 3.2";

  std::string body;
  bool complete = true;
  try {
    std::istream& in = req.stream();
    std::array<char, 8192> chunk;
    while (in) {
      in.read(chunk.data(), chunk.size());
      body.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
      if (body.size() > kMaxDocument) {
        complete = false;
        break;
      }
    }
  } catch (const Poco::Exception& e) {
    m.errors.push_back("reading the request body failed: " + e.displayText());
    complete = false;
  }
  if (body.size() > kMaxDocument)
    m.errors.push_back("the body exceeds " + std::to_string(kMaxDocument) + " bytes");

  if (req.getMethod() != Poco::Net::HTTPRequest::HTTP_POST)
    m.errors.push_back("HTTP method must be POST (" + section + "), got " + req.getMethod());
  // Section 3.1 names no Content-Type for REST; SOAP 1.1 requires text/xml.
  if (!rest) {
    if (!req.has("Content-Type"))
      m.errors.push_back("missing Content-Type header, expected text/xml");
    else if (mediaType(req.getContentType()) != "text/xml")
      m.errors.push_back("Content-Type must be text/xml (" + section + "), got " +
                         quoted(req.getContentType()));
  }
  if (!rest) {
    if (!req.has("SOAPAction")) {
      m.errors.push_back("missing SOAPAction header, expected " + std::string(kSoapAction) +
                         " (section 3.2)");
    } else {
      std::string_view action = trim(req.get("SOAPAction"));
      if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
        action = action.substr(1, action.size() - 2);
      if (action != kSoapAction)
        m.errors.push_back("SOAPAction must be " + std::string(kSoapAction) +
                           " (section 3.2), got " + quoted(req.get("SOAPAction")));
    }
  }
  if (complete) {
    if (rest)
      parseRestBody(body, options.format, m);
    else
      parseSoapEnvelope(body, options.format, m);
  }
  emit(m);

  // An unread rest of a body would be taken for the next request.
  if (!complete) resp.setKeepAlive(false);
  if (m.refused) {
    if (rest)
      sendBody(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "application/json",
               R"({"error":"refused by --refuse-first"})");
    else
      sendBody(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/xml; charset=utf-8",
               soapFault("soap:Server", kRefused));
  } else if (!m.errors.empty()) {
    if (rest) {
      std::string json;
      codecs::JsonWriter w(json);
      w.beginObject();
      w.key("errors");
      w.beginArray();
      for (const auto& e : m.errors) w.string(e);
      w.endArray();
      w.endObject();
      sendBody(resp, HTTPResponse::HTTP_BAD_REQUEST, "application/json", json);
    } else {
      // SOAP 1.1 HTTP binding: a fault travels with status 500.
      sendBody(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/xml; charset=utf-8",
               soapFault("soap:Client", m.errors.front()));
    }
  } else if (rest) {
    resp.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
    resp.send().flush();
  } else {
    sendBody(resp, HTTPResponse::HTTP_OK, "text/xml; charset=utf-8", kSoapResponse);
  }
}

}  // namespace dcgw::receive
