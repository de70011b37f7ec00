// The reference receiver: one listener per forwarding method of seed 004 section 3, a strict
// check of every message against that section, and the replies a conforming receiver sends.
#include "gateway/receive/receiver.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>

#include "adapters/socket_wait.hpp"
#include "codecs/bytes.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::receive {

namespace {

using codecs::Bytes;
using codecs::ByteView;

constexpr std::string_view kSoap11Ns = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kSoap12Ns = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view kPacketNs = "digicentral.Website";
constexpr std::string_view kSoapAction = "digicentral.Website/digicentralDataPacket";
constexpr std::string_view kRefused = "refused by --refuse-first";
constexpr std::string_view kSoapResponse =
    R"(<?xml version="1.0" encoding="utf-8"?>)"
    R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/")"
    R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance")"
    R"( xmlns:xsd="http://www.w3.org/2001/XMLSchema">)"
    R"(<soap:Body><digicentralDataPacketResponse xmlns="digicentral.Website"/></soap:Body>)"
    R"(</soap:Envelope>)";
// Messages are small (a packet is at most a few hundred bytes); the cap only stops a runaway
// sender from exhausting memory.
constexpr std::size_t kMaxDocument = 1 << 20;
// Short enough that stop() is prompt, long enough not to spin.
const Poco::Timespan kPollInterval(0, 200 * 1000);
// A TCP XML sender closes the socket to end its document; one that goes silent without
// closing would otherwise hold a thread forever.
constexpr std::chrono::seconds kXmlTcpIdleLimit{30};
constexpr int kMaxConnectionsPerListener = 64;

constexpr std::size_t kSerialSize = 8;         // seed 004 section 3, deviceSerialNumber
constexpr std::size_t kRegistrationSize = 13;  // seed 004 section 3, vehicleRegistrationNumber

// One received message, as it will be reported.
struct Message {
  explicit Message(Method m) : method(m) {}
  Method method;
  std::string serial;
  std::string registration;
  std::string customTags;
  std::optional<Bytes> data;  // absent when the message carried no decodable data
  std::vector<std::string> errors;
  bool refused{false};
};

// The three placeholders of the text methods, as found in the message (before any check).
struct TextFields {
  std::optional<std::string> serial, registration, data;
};

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The checks every method shares once its placeholders are extracted.
void checkFields(const TextFields& f, adapters::DataFormat format, Message& m) {
  if (f.serial) {
    m.serial = *f.serial;
    if (m.serial.empty()) m.errors.push_back("deviceSerialNumber is empty");
    if (m.serial.size() > kSerialSize)
      m.errors.push_back("deviceSerialNumber is " + std::to_string(m.serial.size()) +
                         " characters, section 3 allows at most 8");
  }
  if (f.registration) {
    m.registration = *f.registration;
    if (m.registration.size() > kRegistrationSize)
      m.errors.push_back("vehicleRegistrationNumber is " + std::to_string(m.registration.size()) +
                         " characters, section 3 allows at most 13");
  }
  if (!f.data) return;
  Bytes bytes;
  std::size_t bad = std::string::npos;
  if (format == adapters::DataFormat::Base64Binary) {
    if (!codecs::fromBase64(*f.data, bytes, &bad)) {
      m.errors.push_back(bad < f.data->size()
                             ? "data is not base64binary (character " + std::to_string(bad) + ")"
                             : std::string("data is not base64binary (bad length or padding)"));
      return;
    }
  } else if (!codecs::fromHex(*f.data, bytes, &bad)) {
    m.errors.push_back(bad < f.data->size()
                           ? "data is not ASCII hex (character " + std::to_string(bad) + ")"
                           : std::string("data is not ASCII hex (an odd number of digits)"));
    return;
  }
  m.data = std::move(bytes);
}

// Decodes the payload and renders the report line.
std::string renderMessage(Message& m) {
  std::string packetJson;
  if (m.data) {
    auto p = codecs::decodePacket(ByteView(*m.data));
    if (p)
      packetJson = codecs::renderPacketJson(*p);
    else
      m.errors.push_back("packet rejected by the codecs: " + p.error().message());
  }
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("method");
  w.string(methodName(m.method));
  w.key("deviceSerialNumber");
  w.string(m.serial);
  w.key("vehicleRegistrationNumber");
  w.string(m.registration);
  w.key("customTags");
  w.string(m.customTags);
  w.key("data");
  w.string(m.data ? codecs::toHex(*m.data) : std::string());
  w.key("packet");
  if (packetJson.empty())
    w.null();
  else
    w.raw(packetJson);
  w.key("errors");
  w.beginArray();
  for (const auto& e : m.errors) w.string(e);
  w.endArray();
  w.key("refused");
  w.boolean(m.refused);
  w.endObject();
  return out;
}

// ---- JSON (section 3.1) ----

void writeJsonValue(codecs::JsonWriter& w, const codecs::JsonValue& v) {
  using K = codecs::JsonValue::Kind;
  switch (v.kind()) {
    case K::Null:
      w.null();
      break;
    case K::Bool:
      w.boolean(v.asBool());
      break;
    case K::Number:
      if (auto i = v.asExactInteger())
        w.integer(*i);
      else
        w.number(v.asDouble());
      break;
    case K::String:
      w.string(v.asString());
      break;
    case K::Array:
      w.beginArray();
      for (const auto& e : v.asArray()) writeJsonValue(w, e);
      w.endArray();
      break;
    case K::Object:
      w.beginObject();
      for (const auto& [k, e] : v.asObject()) {
        w.key(k);
        writeJsonValue(w, e);
      }
      w.endObject();
      break;
  }
}

const char* jsonKindName(codecs::JsonValue::Kind k) {
  using K = codecs::JsonValue::Kind;
  switch (k) {
    case K::Null:
      return "null";
    case K::Bool:
      return "a boolean";
    case K::Number:
      return "a number";
    case K::String:
      return "a string";
    case K::Array:
      return "an array";
    case K::Object:
      return "an object";
  }
  return "?";
}

void parseRestBody(std::string_view body, adapters::DataFormat format, Message& m) {
  auto doc = codecs::parseJson(body);
  if (!doc) {
    m.errors.push_back("malformed JSON body: " + doc.error().message());
    return;
  }
  if (!doc->isObject()) {
    m.errors.push_back(std::string("the body must be a JSON object (section 3.1), got ") +
                       jsonKindName(doc->kind()));
    return;
  }
  TextFields f;
  std::string tags;
  std::map<std::string, int> seen;
  for (const auto& [key, value] : doc->asObject()) {
    std::optional<std::string>* slot = nullptr;
    if (key == "deviceSerialNumber") slot = &f.serial;
    if (key == "vehicleRegistrationNumber") slot = &f.registration;
    if (key == "data") slot = &f.data;
    if (!slot) {
      // Custom tags are configured as `key:"value"` pairs (section 3.5, as the REST adapter
      // takes them): report them in that form so they compare with the configuration.
      if (!tags.empty()) tags.push_back(',');
      tags += key;
      tags.push_back(':');
      std::string rendered;
      codecs::JsonWriter w(rendered);
      writeJsonValue(w, value);
      tags += rendered;
      continue;
    }
    if (++seen[key] > 1) {
      m.errors.push_back("member \"" + key + "\" appears more than once");
      continue;
    }
    if (!value.isString()) {
      m.errors.push_back("member \"" + key + "\" must be a JSON string, got " +
                         jsonKindName(value.kind()));
      continue;
    }
    *slot = value.asString();
  }
  for (const char* k : {"deviceSerialNumber", "vehicleRegistrationNumber", "data"})
    if (!seen.count(k)) m.errors.push_back(std::string("missing member \"") + k + "\"");
  m.customTags = std::move(tags);
  checkFields(f, format, m);
}

// ---- XML (sections 3.2, 3.3) ----

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct XmlCtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

void ignoreXmlError(void*, const char*, ...) {}
void ignoreStructuredXmlError(void*, xmlErrorPtr) {}

std::string xmlErrorText(const xmlError* e) {
  if (!e || !e->message) return ": unknown error";
  std::string s = e->line > 0 ? " at line " + std::to_string(e->line) + ": " : ": ";
  return s + std::string(trim(e->message));
}

// Parses without network access, DTD loading or entity substitution; a document with a DTD is
// refused outright, so no entity can ever be expanded.
XmlDocPtr parseXml(std::string_view text, std::vector<std::string>& errors) {
  // libxml2 would otherwise print its diagnostics on stderr; they are reported as values.
  xmlSetGenericErrorFunc(nullptr, ignoreXmlError);
  xmlSetStructuredErrorFunc(nullptr, ignoreStructuredXmlError);
  if (text.empty()) {
    errors.push_back("malformed XML: the document is empty");
    return nullptr;
  }
  std::unique_ptr<xmlParserCtxt, XmlCtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) throw std::bad_alloc();
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                  "message.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc || !ctxt->wellFormed) {
    errors.push_back("malformed XML" + xmlErrorText(xmlCtxtGetLastError(ctxt.get())));
    return nullptr;
  }
  if (!ctxt->nsWellFormed) {
    errors.push_back("malformed XML namespaces" + xmlErrorText(xmlCtxtGetLastError(ctxt.get())));
    return nullptr;
  }
  if (doc->intSubset || doc->extSubset) {
    errors.push_back("the document has a DTD, which section 3 messages never carry");
    return nullptr;
  }
  if (!xmlDocGetRootElement(doc.get())) {
    errors.push_back("malformed XML: no root element");
    return nullptr;
  }
  return doc;
}

std::string_view nameOf(const xmlNode* n) {
  return reinterpret_cast<const char*>(n->name);
}
std::string_view nsOf(const xmlNode* n) {
  return n->ns && n->ns->href ? reinterpret_cast<const char*>(n->ns->href) : "";
}
std::string describe(const xmlNode* n) {
  std::string s = "<" + std::string(nameOf(n)) + ">";
  if (!nsOf(n).empty()) s += " in namespace " + quoted(nsOf(n));
  return s;
}
std::string nsText(std::string_view ns) {
  return ns.empty() ? "no namespace" : quoted(ns);
}

bool isBlankText(const xmlNode* n) {
  if (n->type != XML_TEXT_NODE) return false;
  auto* s = reinterpret_cast<const char*>(n->content);
  return !s || trim(s).empty();
}

std::vector<xmlNode*> elementChildren(xmlNode* parent) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

std::string textOf(xmlNode* n, Message& m) {
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) {
      m.errors.push_back("<" + std::string(nameOf(n)) + "> must contain text only");
      break;
    }
  xmlChar* s = xmlNodeGetContent(n);
  std::string r = s ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  return r;
}

std::string serialize(xmlDoc* doc, xmlNode* n) {
  xmlBuffer* buf = xmlBufferCreate();
  if (!buf) throw std::bad_alloc();
  xmlNodeDump(buf, doc, n, 0, 0);
  std::string r(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                static_cast<std::size_t>(xmlBufferLength(buf)));
  xmlBufferFree(buf);
  return r;
}

// The children of <digiCentralDataPacket> / <digicentralDataPacket>: the three placeholders in
// the seed's order, then the custom tags (section 3.5), kept as the text they were sent as.
void parsePacketElement(xmlDoc* doc, xmlNode* packet, std::string_view section,
                        adapters::DataFormat format, Message& m) {
  static constexpr std::array<std::string_view, 3> kNames = {"deviceSerialNumber",
                                                             "vehicleRegistrationNumber", "data"};
  const std::string_view ns = nsOf(packet);
  TextFields f;
  std::array<std::optional<std::string>*, 3> slots = {&f.serial, &f.registration, &f.data};
  std::size_t next = 0;  // one past the latest placeholder seen
  bool orderReported = false;
  xmlNode* tagsFrom = nullptr;
  for (xmlNode* c = packet->children; c; c = c->next) {
    // Whatever follows <data> is custom tags, even a placeholder sent too late.
    if (*slots[2]) {
      tagsFrom = c;
      break;
    }
    if (c->type == XML_COMMENT_NODE || isBlankText(c)) continue;
    if (c->type != XML_ELEMENT_NODE) {
      m.errors.push_back("unexpected text in " + describe(packet) + " before <data>");
      continue;
    }
    auto it = std::find(kNames.begin(), kNames.end(), nameOf(c));
    if (it == kNames.end()) {
      m.errors.push_back("unexpected element " + describe(c) +
                         " before <data>; custom tags follow <data> (" + std::string(section) +
                         ")");
      continue;
    }
    const std::size_t i = static_cast<std::size_t>(it - kNames.begin());
    if (*slots[i]) {
      m.errors.push_back("<" + std::string(kNames[i]) + "> appears more than once");
      continue;
    }
    if (i + 1 < next && !orderReported) {
      const std::string order = "<deviceSerialNumber>, <vehicleRegistrationNumber>, <data>";
      m.errors.push_back(order + " must come in that order (" + std::string(section) + ")");
      orderReported = true;
    }
    if (nsOf(c) != ns)
      m.errors.push_back("<" + std::string(kNames[i]) + "> is in " + nsText(nsOf(c)) +
                         ", expected " + nsText(ns) + " as its parent");
    *slots[i] = textOf(c, m);
    next = std::max(next, i + 1);
  }
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (!*slots[i])
      m.errors.push_back("missing <" + std::string(kNames[i]) + "> in " + describe(packet));
  std::string tags;
  for (xmlNode* c = tagsFrom; c; c = c->next)
    if (!isBlankText(c)) tags += serialize(doc, c);
  m.customTags = std::move(tags);
  checkFields(f, format, m);
}

bool sameIgnoringCase(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

void parseXmlDocument(std::string_view text, adapters::DataFormat format, Message& m) {
  XmlDocPtr doc = parseXml(text, m.errors);
  if (!doc) return;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  constexpr std::string_view kRoot = "digiCentralDataPacket";
  if (nameOf(root) != kRoot) {
    m.errors.push_back("root element must be <digiCentralDataPacket> (section 3.3), got " +
                       describe(root));
    // A near miss (the SOAP spelling with a small c) is still worth reading for the report.
    if (!sameIgnoringCase(nameOf(root), kRoot)) return;
  } else if (!nsOf(root).empty()) {
    m.errors.push_back(
        "<digiCentralDataPacket> must be in no namespace (section 3.3), got namespace " +
        quoted(nsOf(root)));
  }
  parsePacketElement(doc.get(), root, "section 3.3", format, m);
}

void parseSoapEnvelope(std::string_view text, adapters::DataFormat format, Message& m) {
  XmlDocPtr doc = parseXml(text, m.errors);
  if (!doc) return;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (nameOf(root) != "Envelope" || nsOf(root) != kSoap11Ns) {
    if (nameOf(root) == "Envelope" && nsOf(root) == kSoap12Ns)
      m.errors.push_back("a SOAP 1.2 envelope; section 3.2 uses SOAP 1.1 (namespace " +
                         std::string(kSoap11Ns) + ")");
    else
      m.errors.push_back("root element must be soap:Envelope in namespace " +
                         std::string(kSoap11Ns) + " (section 3.2), got " + describe(root));
    return;
  }
  xmlNode* body = nullptr;
  auto envelopeChildren = elementChildren(root);
  for (std::size_t i = 0; i < envelopeChildren.size(); ++i) {
    xmlNode* c = envelopeChildren[i];
    const bool soapNs = nsOf(c) == kSoap11Ns;
    if (soapNs && nameOf(c) == "Header" && i == 0 && !body) continue;
    if (soapNs && nameOf(c) == "Body" && !body) {
      body = c;
      continue;
    }
    m.errors.push_back("unexpected element " + describe(c) + " in soap:Envelope");
  }
  if (!body) {
    m.errors.push_back("missing soap:Body in the envelope (section 3.2)");
    return;
  }
  auto bodyChildren = elementChildren(body);
  if (bodyChildren.empty()) {
    m.errors.push_back("soap:Body is empty; expected <digicentralDataPacket xmlns=\"" +
                       std::string(kPacketNs) + "\"> (section 3.2)");
    return;
  }
  for (std::size_t i = 1; i < bodyChildren.size(); ++i)
    m.errors.push_back("unexpected element " + describe(bodyChildren[i]) +
                       " after the packet in soap:Body");
  xmlNode* packet = bodyChildren[0];
  constexpr std::string_view kPacket = "digicentralDataPacket";
  if (nameOf(packet) != kPacket) {
    m.errors.push_back("soap:Body must hold <digicentralDataPacket> (section 3.2), got " +
                       describe(packet));
    if (!sameIgnoringCase(nameOf(packet), kPacket)) return;
  }
  if (nsOf(packet) != kPacketNs)
    m.errors.push_back("<" + std::string(nameOf(packet)) + "> must be in namespace " +
                       quoted(kPacketNs) + " (section 3.2), got " + nsText(nsOf(packet)));
  parsePacketElement(doc.get(), packet, "section 3.2", format, m);
}

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

}  // namespace

struct Receiver::Impl {
  Impl(const Options& o, OnMessage cb) : options(o), onMessage(std::move(cb)) {
    refuseLeft = o.refuseFirst;
  }

  const Options& options;
  OnMessage onMessage;
  std::mutex printMutex;
  std::atomic<std::uint64_t> refuseLeft{0};
  std::atomic<bool> stopping{false};
  std::array<std::uint16_t, 5> ports{};
  bool started{false};

  // Pools outlive the servers that run connections on them (destroyed in reverse order).
  std::vector<std::unique_ptr<Poco::ThreadPool>> pools;
  std::vector<std::unique_ptr<Poco::Net::HTTPServer>> httpServers;
  // XML over TCP and binary: an accept loop of our own and a thread per connection. POCO's
  // TCPServer dropped connections from its accept queue under a steady stream of short
  // connections (ListenOverflows, then 1 s SYN retransmits), capping XML over TCP near 100/s.
  struct TcpListener {
    Poco::Net::ServerSocket socket;
    Method method;
    std::thread acceptThread;
  };
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<std::unique_ptr<TcpListener>> tcpListeners;
  std::mutex connectionsMutex;
  std::list<Connection> connections;

  void acceptLoop(TcpListener& l);
  void reapConnections(bool all);
  std::unique_ptr<Poco::Net::DatagramSocket> udpSocket;
  std::thread udpThread;

  // Every message takes one turn of --refuse-first, whatever its method or content.
  bool takeRefusal() {
    std::uint64_t n = refuseLeft.load();
    while (n > 0 && !refuseLeft.compare_exchange_weak(n, n - 1)) {
    }
    return n > 0;
  }

  // Completes the report (packet decoding may add an error) and hands it over.
  void emit(Message& m) {
    std::string line = renderMessage(m);
    std::lock_guard lock(printMutex);
    try {
      onMessage(line);
    } catch (...) {
      // The observer's failure must not take the connection down with it.
    }
  }

  void handleHttp(Method method, Poco::Net::HTTPServerRequest& req,
                  Poco::Net::HTTPServerResponse& resp);
  // parse: false when the document was cut off and parsing would only repeat that.
  void handleXml(Method method, std::string_view text, std::vector<std::string> transportErrors,
                 bool parse = true);
  // `doc` holds what was already read from the socket.
  void serveXmlTcp(Poco::Net::StreamSocket& s, std::string doc = {});
  // Reads a short document to its end without blocking: true when the sender closed within the
  // spin budget (the usual case), so the accept loop can finish it without a thread.
  bool readWholeQuickly(Poco::Net::StreamSocket& s, std::string& doc);
  void serveBinary(Poco::Net::StreamSocket& s);
  void serveUdp();
};

namespace {

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
  auto reply = [&s](const Bytes& r) { s.sendBytes(r.data(), static_cast<int>(r.size())); };
  for (;;) {
    if (stopping) return;
    int n = 0;
    try {
      // The sender's next frame follows our reply within microseconds (see receiveSpinning).
      n = adapters::receiveSpinning(s, chunk.data(), static_cast<int>(chunk.size()),
                                    std::chrono::microseconds(50));
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

Receiver::Receiver(Options options, OnMessage onMessage) : options_(std::move(options)) {
  static std::once_flag xmlInit;
  // libxml2 must be initialised once, on one thread, before parsers run concurrently.
  std::call_once(xmlInit, [] { xmlInitParser(); });
  impl_ = std::make_unique<Impl>(options_, std::move(onMessage));
}

Receiver::~Receiver() {
  stop();
}

bool Receiver::configured(Method m) const {
  switch (m) {
    case Method::Rest:
      return options_.rest.has_value();
    case Method::Soap:
      return options_.soap.has_value();
    case Method::XmlTcp:
      return options_.xmlTcp.has_value();
    case Method::XmlUdp:
      return options_.xmlUdp.has_value();
    case Method::Binary:
      return options_.binary.has_value();
  }
  return false;
}

std::uint16_t Receiver::port(Method m) const {
  return impl_->ports[static_cast<std::size_t>(m)];
}

void Receiver::start() {
  auto& d = *impl_;
  d.stopping = false;
  d.started = true;
  const Poco::Net::IPAddress host(options_.bindAddress);
  auto requested = [this](Method m) -> std::uint16_t {
    switch (m) {
      case Method::Rest:
        return *options_.rest;
      case Method::Soap:
        return *options_.soap;
      case Method::XmlTcp:
        return *options_.xmlTcp;
      case Method::XmlUdp:
        return *options_.xmlUdp;
      case Method::Binary:
        return *options_.binary;
    }
    return 0;
  };
  for (Method m : kAllMethods) {
    if (!configured(m)) continue;
    const Poco::Net::SocketAddress at(host, requested(m));
    try {
      if (m == Method::XmlUdp) {
        d.udpSocket = std::make_unique<Poco::Net::DatagramSocket>(at, false);
        d.ports[static_cast<std::size_t>(m)] = d.udpSocket->address().port();
        d.udpThread = std::thread([&d] { d.serveUdp(); });
        continue;
      }
      Poco::Net::ServerSocket socket;
      // SO_REUSEADDR to restart over TIME_WAIT, but not SO_REUSEPORT (POCO's default with
      // it), which would let a second receiver silently share the port.
      socket.bind(at, true, false);
      // A deep accept queue: with a short one, bursts of short XML-over-TCP connections
      // overflowed it (ListenOverflows, then 1 s SYN retransmits) even from one sender.
      socket.listen(1024);
      d.ports[static_cast<std::size_t>(m)] = socket.address().port();
      auto& pool =
          *d.pools.emplace_back(std::make_unique<Poco::ThreadPool>(2, kMaxConnectionsPerListener));
      if (m == Method::Rest || m == Method::Soap) {
        auto* params = new Poco::Net::HTTPServerParams;
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(0);  // unlimited
        params->setKeepAliveTimeout(Poco::Timespan(15, 0));
        params->setTimeout(Poco::Timespan(30, 0));
        params->setMaxThreads(kMaxConnectionsPerListener);
        params->setMaxQueued(kMaxConnectionsPerListener);
        params->setServerName("dcgw-receive");
        auto& server = d.httpServers.emplace_back(
            std::make_unique<Poco::Net::HTTPServer>(new HttpFactory(d, m), pool, socket, params));
        server->start();
      } else {
        auto& l = *d.tcpListeners.emplace_back(
            std::make_unique<Impl::TcpListener>(Impl::TcpListener{socket, m, {}}));
        l.acceptThread = std::thread([&d, &l] { d.acceptLoop(l); });
      }
    } catch (const Poco::Exception& e) {
      stop();
      throw Poco::IOException("cannot listen for " + std::string(methodName(m)) + " on " +
                              at.toString() + ": " + e.displayText());
    }
  }
}

void Receiver::stop() {
  auto& d = *impl_;
  if (!d.started) return;
  d.started = false;
  d.stopping = true;
  // Each server's accept loop takes up to a poll interval to notice: stop them side by side.
  // abortCurrent: keep-alive connections would otherwise idle out their timeout first.
  std::vector<std::thread> stoppers;
  for (auto& s : d.httpServers)
    stoppers.emplace_back([&s] {
      try {
        s->stopAll(true);
      } catch (...) {
      }
    });
  for (auto& t : stoppers) t.join();
  for (auto& l : d.tcpListeners) l->acceptThread.join();
  d.reapConnections(true);
  for (auto& p : d.pools) p->joinAll();
  if (d.udpThread.joinable()) d.udpThread.join();
  d.httpServers.clear();
  d.tcpListeners.clear();
  d.pools.clear();
  d.udpSocket.reset();
}

// ---- the command ----

namespace {

constexpr const char* kReceiveUsage =
    R"(usage: dcgw receive [--rest PORT] [--soap PORT] [--xml-tcp PORT] [--xml-udp PORT]
                    [--binary PORT] [--bind ADDR] [--refuse-first N]
                    [--format base64binary|hex]
Listens on ADDR (default 127.0.0.1) for each method given (PORT 0: an ephemeral port), checks
every message against seed 004 section 3, replies as a receiver does and prints one JSON line
per message. Runs until SIGINT or SIGTERM.
)";

std::optional<std::uint64_t> parseUnsigned(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

int runReceive(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Receiver::Options o;
  const std::map<std::string, std::optional<std::uint16_t> Receiver::Options::*> portOptions = {
      {"--rest", &Receiver::Options::rest},      {"--soap", &Receiver::Options::soap},
      {"--xml-tcp", &Receiver::Options::xmlTcp}, {"--xml-udp", &Receiver::Options::xmlUdp},
      {"--binary", &Receiver::Options::binary},
  };
  auto fail = [&err](const std::string& message) {
    err << "dcgw receive: " << message << "\n" << kReceiveUsage;
    return 2;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "--help" || name == "-h") {
      out << kReceiveUsage;
      return 0;
    }
    const auto port = portOptions.find(name);
    const bool known = port != portOptions.end() || name == "--bind" || name == "--refuse-first" ||
                       name == "--format";
    if (!known) return fail("unknown option " + quoted(args[i]));
    if (!value) {
      if (i + 1 >= args.size()) return fail(name + " needs a value");
      value = args[++i];
    }
    if (port != portOptions.end()) {
      auto v = parseUnsigned(*value, 65535);
      if (!v) return fail(name + " needs a port number 0-65535, got " + quoted(*value));
      o.*(port->second) = static_cast<std::uint16_t>(*v);
    } else if (name == "--bind") {
      Poco::Net::IPAddress ip;
      if (!Poco::Net::IPAddress::tryParse(*value, ip))
        return fail("--bind needs an IP address, got " + quoted(*value));
      o.bindAddress = *value;
    } else if (name == "--refuse-first") {
      auto v = parseUnsigned(*value, UINT32_MAX);
      if (!v) return fail("--refuse-first needs a count of messages, got " + quoted(*value));
      o.refuseFirst = *v;
    } else {
      auto f = adapters::parseDataFormat(*value);
      if (!f) return fail("--format needs base64binary or hex, got " + quoted(*value));
      o.format = *f;
    }
  }
  if (!o.rest && !o.soap && !o.xmlTcp && !o.xmlUdp && !o.binary)
    return fail("give at least one of --rest, --soap, --xml-tcp, --xml-udp, --binary");

  // Blocked before any listener thread exists, so every thread inherits the mask and the
  // signals wait for sigwait below instead of killing the process mid-line.
  // A peer or a reader of stdout that goes away must end that exchange, not the receiver.
  signal(SIGPIPE, SIG_IGN);
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  int status = 0;
  {
    // Lines go to a writer thread that flushes what has gathered within 2 ms, so printing does
    // not cost a write(2) and a reader wake-up per message.
    std::mutex lineMutex;
    std::condition_variable lineReady, lineSpace;
    constexpr std::size_t kMaxPending = 16 << 20;  // a stuck stdout slows receiving, bounded
    std::string pending;
    bool writerStop = false;
    std::thread writer([&] {
      std::string batch;
      std::unique_lock lock(lineMutex);
      for (;;) {
        lineReady.wait(lock, [&] { return writerStop || !pending.empty(); });
        if (pending.empty() && writerStop) return;
        // Gather for up to 2 ms: under load this writes dozens of lines per write(2).
        lineReady.wait_for(lock, std::chrono::milliseconds(2),
                           [&] { return writerStop || pending.size() >= 16384; });
        batch.swap(pending);
        lineSpace.notify_all();
        lock.unlock();
        out.write(batch.data(), static_cast<std::streamsize>(batch.size()));
        out.flush();
        batch.clear();
        lock.lock();
      }
    });
    Receiver receiver(o, [&](const std::string& line) {
      std::unique_lock lock(lineMutex);
      lineSpace.wait(lock, [&] { return writerStop || pending.size() < kMaxPending; });
      const bool wake = pending.empty() || pending.size() + line.size() >= 16384;
      pending += line;
      pending += '\n';
      if (wake) lineReady.notify_one();
    });
    try {
      receiver.start();
    } catch (const Poco::Exception& e) {
      err << "dcgw receive: " << e.message() << "\n";
      status = 1;
    }
    if (status == 0) {
      for (Method m : kAllMethods)
        if (receiver.configured(m))
          err << "dcgw receive: " << methodName(m) << " listening on "
              << Poco::Net::SocketAddress(o.bindAddress, receiver.port(m)).toString() << "\n";
      err.flush();
      int sig = 0;
      sigwait(&signals, &sig);
      receiver.stop();
    }
    {
      std::lock_guard lock(lineMutex);
      writerStop = true;
    }
    lineReady.notify_one();
    writer.join();
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return status;
}

}  // namespace dcgw::receive
