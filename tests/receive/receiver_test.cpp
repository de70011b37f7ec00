// dcgw receive: every method of seed 004 section 3 sent by hand over loopback, the reply checked
// on the wire and the reported JSON line read back.
#include <gtest/gtest.h>

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "adapters/adapter.hpp"
#include "codecs/bytes.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/json.hpp"
#include "gateway/receive/receiver.hpp"

namespace dcgw::receive {
namespace {

using codecs::Bytes;
using codecs::JsonValue;

// Seed 004 section 12.2, Tracking suppression ON: 47 02, TimeReal 0x6a000000, activated 1.
constexpr const char* kPacketHex = "47026a00000001";
constexpr const char* kPacketBase64 = "RwJqAAAAAQ==";
// More than the receiver's 1 MiB cap on one document.
constexpr std::size_t kMaxTestDocument = (1 << 20) + 10000;

// Section 3.1 with the custom tag of section 3.5.
std::string restBody(std::string_view data = kPacketBase64) {
  return R"({"deviceSerialNumber":"12345678","vehicleRegistrationNumber":"AB12 CDE","data":")" +
         std::string(data) + R"(","accountID":"123456"})";
}

// Section 3.2, laid out as the seed prints it.
std::string soapBody(std::string_view packetElement = "digicentralDataPacket") {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Body>
    <)" + std::string(packetElement) +
         R"( xmlns="digicentral.Website">
      <deviceSerialNumber>12345678</deviceSerialNumber>
      <vehicleRegistrationNumber>AB12 CDE</vehicleRegistrationNumber>
      <data>RwJqAAAAAQ==</data>
      <accountID>123456</accountID>
    </)" +
         std::string(packetElement) +
         R"(>
  </soap:Body>
</soap:Envelope>)";
}

// Section 3.3.
std::string xmlDocument(std::string_view root = "digiCentralDataPacket") {
  return "<" + std::string(root) + R"(>
  <deviceSerialNumber>12345678</deviceSerialNumber>
  <vehicleRegistrationNumber>AB12 CDE</vehicleRegistrationNumber>
  <data>RwJqAAAAAQ==</data>
  <accountID>123456</accountID>
</)" + std::string(root) +
         ">";
}

// Section 3.4, byte by byte: 55 D7, overall length, serial 8, registration 13, payload length,
// payload, tags length, tags, checksum (sum of all bytes before it, mod 256).
Bytes binaryFrame(std::string_view tags = "<accountID>123456</accountID>") {
  Bytes payload;
  codecs::fromHex(kPacketHex, payload);
  Bytes f = {0x55, 0xD7, 0, 0};
  for (char c : std::string_view("12345678")) f.push_back(static_cast<std::uint8_t>(c));
  std::string reg = "AB12 CDE";
  reg.resize(13, ' ');
  for (char c : reg) f.push_back(static_cast<std::uint8_t>(c));
  f.push_back(static_cast<std::uint8_t>(payload.size()));
  f.insert(f.end(), payload.begin(), payload.end());
  f.push_back(static_cast<std::uint8_t>(tags.size()));
  for (char c : tags) f.push_back(static_cast<std::uint8_t>(c));
  const std::size_t length = f.size() - 4;
  f[2] = static_cast<std::uint8_t>(length >> 8);
  f[3] = static_cast<std::uint8_t>(length);
  unsigned sum = 0;
  for (std::uint8_t b : f) sum += b;
  f.push_back(static_cast<std::uint8_t>(sum));
  return f;
}

struct HttpReply {
  int status;
  std::string contentType;
  std::string body;
};

class ReceiverTest : public ::testing::Test {
 protected:
  void startReceiver(std::uint64_t refuseFirst = 0,
                     adapters::DataFormat format = adapters::DataFormat::Base64Binary) {
    Receiver::Options o;
    o.rest = o.soap = o.xmlTcp = o.xmlUdp = o.binary = 0;
    o.refuseFirst = refuseFirst;
    o.format = format;
    receiver_ = std::make_unique<Receiver>(o, [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
      cv_.notify_all();
    });
    receiver_->start();
  }
  void SetUp() override { startReceiver(); }
  void TearDown() override {
    if (receiver_) receiver_->stop();
  }

  std::uint16_t port(Method m) const { return receiver_->port(m); }

  // The next reported line, parsed; fails the test after 5 s without one.
  JsonValue nextLine() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return !lines_.empty(); })) {
      ADD_FAILURE() << "no line reported";
      return {};
    }
    std::string line = lines_.front();
    lines_.pop_front();
    auto v = codecs::parseJson(line);
    EXPECT_TRUE(v.ok()) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
    return v ? *v : JsonValue{};
  }

  std::size_t pendingLines() {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }

  HttpReply post(Poco::Net::HTTPClientSession& s, const std::string& body,
                 const std::string& contentType, const std::string& soapAction = "",
                 const std::string& method = Poco::Net::HTTPRequest::HTTP_POST) {
    Poco::Net::HTTPRequest req(method, "/", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType(contentType);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setKeepAlive(true);
    if (!soapAction.empty()) req.set("SOAPAction", soapAction);
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    HttpReply r{static_cast<int>(resp.getStatus()), resp.getContentType(), {}};
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  }
  HttpReply post(Method m, const std::string& body, const std::string& contentType,
                 const std::string& soapAction = "",
                 const std::string& method = Poco::Net::HTTPRequest::HTTP_POST) {
    Poco::Net::HTTPClientSession s("127.0.0.1", port(m));
    return post(s, body, contentType, soapAction, method);
  }
  HttpReply postRest(const std::string& body) {
    return post(Method::Rest, body, "application/json");
  }
  HttpReply postSoap(const std::string& body,
                     const std::string& action = "\"digicentral.Website/digicentralDataPacket\"") {
    return post(Method::Soap, body, "text/xml; charset=utf-8", action);
  }

  // Sends a whole document on a fresh socket and closes it, as section 3.3 says.
  std::string sendXmlTcp(const std::string& doc) {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port(Method::XmlTcp)));
    s.sendBytes(doc.data(), static_cast<int>(doc.size()));
    s.shutdownSend();
    std::string reply;
    char buf[256];
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) reply.append(buf, n);
    return reply;
  }

  void sendXmlUdp(const std::string& doc) {
    Poco::Net::DatagramSocket s;
    s.sendTo(doc.data(), static_cast<int>(doc.size()),
             Poco::Net::SocketAddress("127.0.0.1", port(Method::XmlUdp)));
  }

  Poco::Net::StreamSocket connectBinary() {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port(Method::Binary)));
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    return s;
  }
  static void send(Poco::Net::StreamSocket& s, const Bytes& b) {
    s.sendBytes(b.data(), static_cast<int>(b.size()));
  }
  // Reads one whole reply frame (positive or negative) off the socket.
  static Bytes readReply(Poco::Net::StreamSocket& s) {
    Bytes buf;
    std::uint8_t c;
    while (true) {
      auto r = codecs::decodeBinaryReply(buf);
      if (!r.ok()) {
        ADD_FAILURE() << "bad reply " << codecs::toHex(buf) << ": " << r.error().message();
        return buf;
      }
      if (r->complete) return buf;
      if (s.receiveBytes(&c, 1) <= 0) {
        ADD_FAILURE() << "connection closed after " << codecs::toHex(buf);
        return buf;
      }
      buf.push_back(c);
    }
  }

  std::unique_ptr<Receiver> receiver_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
};

std::vector<std::string> errorsOf(const JsonValue& line) {
  std::vector<std::string> out;
  const JsonValue* e = line.find("errors");
  if (!e || !e->isArray()) {
    ADD_FAILURE() << "no errors array";
    return out;
  }
  for (const auto& v : e->asArray()) out.push_back(v.asString());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += e + "\n";
  return s;
}

bool anyContains(const std::vector<std::string>& v, std::string_view needle) {
  for (const auto& e : v)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

// The members every conforming message of this file reports.
void expectConforming(const JsonValue& line, std::string_view method, std::string_view tags) {
  ASSERT_TRUE(line.isObject());
  EXPECT_EQ(line.find("method")->asString(), method);
  EXPECT_EQ(line.find("deviceSerialNumber")->asString(), "12345678");
  EXPECT_EQ(line.find("vehicleRegistrationNumber")->asString(), "AB12 CDE");
  EXPECT_EQ(line.find("customTags")->asString(), tags);
  EXPECT_EQ(line.find("data")->asString(), kPacketHex);
  const JsonValue* packet = line.find("packet");
  ASSERT_TRUE(packet && packet->isObject());
  EXPECT_EQ(packet->find("type")->asExactInteger(), 0x47);
  EXPECT_EQ(packet->find("subtype")->asExactInteger(), 2);
  EXPECT_EQ(packet->find("name")->asString(), "Tracking suppression");
  EXPECT_EQ(packet->find("activated")->asExactInteger(), 1);
  EXPECT_TRUE(errorsOf(line).empty()) << joined(errorsOf(line));
  EXPECT_FALSE(line.find("refused")->asBool());
}

TEST_F(ReceiverTest, RestConformingMessageGets204AndIsReported) {
  HttpReply r = postRest(restBody());
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  expectConforming(nextLine(), "rest", R"(accountID:"123456")");
}

TEST_F(ReceiverTest, RestKeepAliveClientIsServedQuickly) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port(Method::Rest));
  s.setKeepAlive(true);
  constexpr int kRequests = 300;
  std::vector<std::chrono::steady_clock::duration> took;
  for (int i = 0; i < kRequests; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(post(s, restBody(), "application/json").status, 204);
    took.push_back(std::chrono::steady_clock::now() - start);
  }
  // A Nagle/delayed-ACK stall costs each request 40 ms; the median is not moved by the few
  // requests a loaded (sanitizer) machine holds up.
  std::nth_element(took.begin(), took.begin() + kRequests / 2, took.end());
  EXPECT_LT(took[kRequests / 2], std::chrono::milliseconds(20));
  for (int i = 0; i < kRequests; ++i) nextLine();
}

TEST_F(ReceiverTest, RestBodyNotJsonGets400WithTheParseError) {
  HttpReply r = postRest("deviceSerialNumber=12345678");
  EXPECT_EQ(r.status, 400);
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(anyContains(errors, "malformed JSON")) << joined(errors);
  EXPECT_TRUE(line.find("packet")->isNull());
  auto body = codecs::parseJson(r.body);
  ASSERT_TRUE(body.ok()) << r.body;
  EXPECT_EQ(body->find("errors")->asArray().at(0).asString(), errors[0]);
}

TEST_F(ReceiverTest, RestWrongHttpMethodIsReportedButAnyContentTypeIsAccepted) {
  HttpReply r = post(Method::Rest, restBody(), "text/plain", "", "PUT");
  EXPECT_EQ(r.status, 400);
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "HTTP method must be POST")) << joined(errors);
  EXPECT_EQ(errors.size(), 1u) << "section 3.1 names no Content-Type: " << joined(errors);
}

TEST_F(ReceiverTest, RestMissingMemberAndBadBase64AreReported) {
  HttpReply r = postRest(R"({"deviceSerialNumber":"12345678","data":"R*Jq"})");
  EXPECT_EQ(r.status, 400);
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  EXPECT_TRUE(anyContains(errors, R"(missing member "vehicleRegistrationNumber")"))
      << joined(errors);
  EXPECT_TRUE(anyContains(errors, "data is not base64binary")) << joined(errors);
  EXPECT_EQ(line.find("data")->asString(), "");
}

TEST_F(ReceiverTest, RestPacketTheCodecsRejectIsReportedWithTheCodecMessage) {
  // 47 02 with its DateTime cut short: seed 004 section 12.2 needs 7 bytes.
  HttpReply r = postRest(restBody("RwJqAA=="));
  EXPECT_EQ(r.status, 400);
  JsonValue line = nextLine();
  EXPECT_EQ(line.find("data")->asString(), "47026a00");
  EXPECT_TRUE(line.find("packet")->isNull());
  auto errors = errorsOf(line);
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_NE(errors[0].find("packet rejected by the codecs: dateTime at offset 2"),
            std::string::npos)
      << errors[0];
}

TEST_F(ReceiverTest, SoapConformingMessageGets200WithTheResponseEnvelope) {
  HttpReply r = postSoap(soapBody());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.contentType.find("text/xml"), std::string::npos);
  EXPECT_NE(r.body.find(R"(<digicentralDataPacketResponse xmlns="digicentral.Website"/>)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"(xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/")"),
            std::string::npos);
  expectConforming(nextLine(), "soap", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, SoapActionMayComeUnquoted) {
  EXPECT_EQ(postSoap(soapBody(), "digicentral.Website/digicentralDataPacket").status, 200);
  expectConforming(nextLine(), "soap", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, SoapWrongSoapActionGets500WithAFault) {
  HttpReply r = postSoap(soapBody(), "\"digicentral.Website/SomethingElse\"");
  EXPECT_EQ(r.status, 500);  // SOAP 1.1: faults travel with 500
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_NE(errors[0].find("SOAPAction must be digicentral.Website/digicentralDataPacket"),
            std::string::npos);
  EXPECT_NE(r.body.find("<soap:Fault>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<faultstring>SOAPAction must be"), std::string::npos) << r.body;
  // The message is still fully read and reported.
  EXPECT_EQ(line.find("data")->asString(), kPacketHex);
}

TEST_F(ReceiverTest, SoapMissingSoapActionAndWrongNamespaceAreReported) {
  std::string body = soapBody();
  body.replace(body.find("digicentral.Website"), 19, "urn:other");
  HttpReply r = post(Method::Soap, body, "text/xml");
  EXPECT_EQ(r.status, 500);  // SOAP 1.1: faults travel with 500
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "missing SOAPAction header")) << joined(errors);
  EXPECT_TRUE(anyContains(errors, "must be in namespace 'digicentral.Website'")) << joined(errors);
}

TEST_F(ReceiverTest, SoapWithTheXmlSpellingOfThePacketElementIsRejected) {
  HttpReply r = postSoap(soapBody("digiCentralDataPacket"));
  EXPECT_EQ(r.status, 500);  // SOAP 1.1: faults travel with 500
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "soap:Body must hold <digicentralDataPacket>")) << joined(errors);
}

TEST_F(ReceiverTest, SoapMalformedXmlGets500WithAFault) {
  HttpReply r =
      postSoap("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">");
  EXPECT_EQ(r.status, 500);  // SOAP 1.1: faults travel with 500
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "malformed XML")) << joined(errors);
}

TEST_F(ReceiverTest, XmlTcpConformingDocumentIsReportedAndGetsNoReply) {
  EXPECT_EQ(sendXmlTcp(xmlDocument()), "");
  expectConforming(nextLine(), "xml-tcp", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, XmlTcpWrongRootIsReported) {
  sendXmlTcp(xmlDocument("digicentralDataPacket"));
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_NE(errors[0].find("root element must be <digiCentralDataPacket>"), std::string::npos);
  EXPECT_EQ(line.find("data")->asString(), kPacketHex);
}

TEST_F(ReceiverTest, XmlTcpDocumentWithADtdIsRefusedWithoutExpandingIt) {
  sendXmlTcp(R"(<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>)" + xmlDocument());
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "DTD")) << joined(errors);
}

TEST_F(ReceiverTest, XmlTcpConnectionClosedWithoutABytePrintsNothing) {
  sendXmlTcp("");
  sendXmlTcp(xmlDocument());
  expectConforming(nextLine(), "xml-tcp", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, XmlUdpDatagramIsOneDocument) {
  sendXmlUdp(xmlDocument());
  expectConforming(nextLine(), "xml-udp", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, XmlUdpMissingElementIsReported) {
  sendXmlUdp(
      "<digiCentralDataPacket><deviceSerialNumber>12345678</deviceSerialNumber>"
      "<data>RwJqAAAAAQ==</data></digiCentralDataPacket>");
  auto errors = errorsOf(nextLine());
  EXPECT_TRUE(anyContains(errors, "missing <vehicleRegistrationNumber>")) << joined(errors);
}

TEST_F(ReceiverTest, XmlPlaceholdersOutOfOrderAreReported) {
  sendXmlUdp(
      "<digiCentralDataPacket><vehicleRegistrationNumber>AB12 CDE</vehicleRegistrationNumber>"
      "<deviceSerialNumber>12345678</deviceSerialNumber><data>RwJqAAAAAQ==</data>"
      "</digiCentralDataPacket>");
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_NE(errors[0].find("must come in that order"), std::string::npos) << errors[0];
  EXPECT_EQ(line.find("deviceSerialNumber")->asString(), "12345678");
  EXPECT_EQ(line.find("customTags")->asString(), "");
}

TEST_F(ReceiverTest, XmlTcpOversizedDocumentIsReportedNotParsed) {
  std::string doc(kMaxTestDocument, ' ');
  try {
    sendXmlTcp(doc);
  } catch (const Poco::Exception&) {
    // The receiver may reset the connection while the rest is still in flight.
  }
  auto errors = errorsOf(nextLine());
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_NE(errors[0].find("the document exceeds"), std::string::npos) << errors[0];
}

TEST_F(ReceiverTest, BinaryConformingFrameGetsThePositiveReply) {
  auto s = connectBinary();
  send(s, binaryFrame());
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  expectConforming(nextLine(), "binary", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, BinaryFramesSplitAndBatchedAreEachAnswered) {
  auto s = connectBinary();
  Bytes f = binaryFrame("t");
  Bytes first(f.begin(), f.begin() + 10), second(f.begin() + 10, f.end());
  send(s, first);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(pendingLines(), 0u);  // half a frame waits for the rest
  send(s, second);
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  Bytes two = f;
  two.insert(two.end(), f.begin(), f.end());
  send(s, two);
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  for (int i = 0; i < 3; ++i) expectConforming(nextLine(), "binary", "t");
}

TEST_F(ReceiverTest, BinaryBadChecksumGetsANegativeReplyAndTheStreamGoesOn) {
  auto s = connectBinary();
  Bytes bad = binaryFrame();
  bad.back() ^= 0xFF;
  send(s, bad);
  Bytes reply = readReply(s);
  auto r = codecs::decodeBinaryReply(reply);
  ASSERT_TRUE(r.ok() && r->complete);
  EXPECT_FALSE(r->frame.positive);
  EXPECT_EQ(r->frame.errorCode, 1);
  EXPECT_NE(r->frame.errorMessage.find("checksum"), std::string::npos) << r->frame.errorMessage;
  JsonValue line = nextLine();
  auto errors = errorsOf(line);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0], r->frame.errorMessage);
  EXPECT_TRUE(line.find("packet")->isNull());
  // The frame's length was sound, so the next frame is found and accepted.
  send(s, binaryFrame());
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  expectConforming(nextLine(), "binary", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, BinaryBadHeaderGetsANegativeReplyAndTheConnectionCloses) {
  auto s = connectBinary();
  send(s, Bytes{0x54, 0xD7, 0x00, 0x17});
  auto r = codecs::decodeBinaryReply(readReply(s));
  ASSERT_TRUE(r.ok() && r->complete);
  EXPECT_FALSE(r->frame.positive);
  EXPECT_EQ(r->frame.errorCode, 1);
  std::uint8_t c;
  EXPECT_EQ(s.receiveBytes(&c, 1), 0);  // closed: the stream cannot be resynchronised
  auto errors = errorsOf(nextLine());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("header at offset 0"), std::string::npos) << errors[0];
}

TEST_F(ReceiverTest, HexFormatIsReadWhenConfigured) {
  receiver_->stop();
  startReceiver(0, adapters::DataFormat::AsciiHex);
  EXPECT_EQ(postRest(restBody("47026A00000001")).status, 204);
  expectConforming(nextLine(), "rest", R"(accountID:"123456")");
  EXPECT_EQ(postRest(restBody(kPacketBase64)).status, 400);
  EXPECT_TRUE(anyContains(errorsOf(nextLine()), "data is not ASCII hex"));
}

TEST_F(ReceiverTest, RefuseFirstTwoGives503Then204) {
  receiver_->stop();
  startReceiver(2);
  EXPECT_EQ(postRest(restBody()).status, 503);
  HttpReply soap = postSoap(soapBody());
  EXPECT_EQ(soap.status, 503);
  EXPECT_NE(soap.body.find("<faultstring>refused by --refuse-first</faultstring>"),
            std::string::npos)
      << soap.body;
  EXPECT_EQ(postRest(restBody()).status, 204);
  JsonValue a = nextLine(), b = nextLine(), c = nextLine();
  EXPECT_TRUE(a.find("refused")->asBool());
  EXPECT_TRUE(errorsOf(a).empty());  // the message itself conformed
  EXPECT_TRUE(b.find("refused")->asBool());
  EXPECT_EQ(b.find("method")->asString(), "soap");
  expectConforming(c, "rest", R"(accountID:"123456")");
}

TEST_F(ReceiverTest, RefuseFirstAnswersBinaryWith503AndMarksXml) {
  receiver_->stop();
  startReceiver(2);
  auto s = connectBinary();
  send(s, binaryFrame());
  auto r = codecs::decodeBinaryReply(readReply(s));
  ASSERT_TRUE(r.ok() && r->complete);
  EXPECT_FALSE(r->frame.positive);
  EXPECT_EQ(r->frame.errorCode, 503);
  EXPECT_EQ(r->frame.errorMessage, "refused by --refuse-first");
  EXPECT_TRUE(nextLine().find("refused")->asBool());
  sendXmlTcp(xmlDocument());
  JsonValue x = nextLine();
  EXPECT_TRUE(x.find("refused")->asBool());
  EXPECT_EQ(errorsOf(x), std::vector<std::string>{"refused by --refuse-first"});
  send(s, binaryFrame());
  EXPECT_EQ(codecs::toHex(readReply(s)), "55a00000f5");
  expectConforming(nextLine(), "binary", "<accountID>123456</accountID>");
}

TEST_F(ReceiverTest, StopClosesIdleKeepAliveConnectionsPromptly) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port(Method::Rest));
  EXPECT_EQ(post(s, restBody(), "application/json").status, 204);
  auto b = connectBinary();
  const auto start = std::chrono::steady_clock::now();
  receiver_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// The other side of the wire: what the gateway's own adapters send is what this receiver accepts.
TEST_F(ReceiverTest, TheGatewayAdaptersDeliverConformingMessagesInEitherFormat) {
  struct Case {
    adapters::Method method;
    Method listener;
    std::string tags;
  };
  const std::vector<Case> cases = {
      {adapters::Method::Rest, Method::Rest, R"(accountID:"123456")"},
      {adapters::Method::Soap, Method::Soap, "<accountID>123456</accountID>"},
      {adapters::Method::XmlTcp, Method::XmlTcp, "<accountID>123456</accountID>"},
      {adapters::Method::XmlUdp, Method::XmlUdp, "<accountID>123456</accountID>"},
      {adapters::Method::Binary, Method::Binary, "<accountID>123456</accountID>"},
  };
  adapters::Envelope envelope{"12345678", "AB12 CDE", {}};
  codecs::fromHex(kPacketHex, envelope.packet);
  for (auto format : {adapters::DataFormat::Base64Binary, adapters::DataFormat::AsciiHex}) {
    receiver_->stop();
    startReceiver(0, format);
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(adapters::methodName(c.method)) + " " +
                   std::string(adapters::dataFormatName(format)));
      adapters::DestinationSettings d;
      d.name = "receiver";
      d.method = c.method;
      d.format = format;
      d.customTags = c.tags;
      if (c.method == adapters::Method::Rest || c.method == adapters::Method::Soap) {
        d.host = "http://127.0.0.1:" + std::to_string(port(c.listener)) + "/";
      } else {
        d.host = "127.0.0.1";
        d.port = port(c.listener);
      }
      auto adapter = adapters::makeAdapter(d);
      ASSERT_TRUE(adapter.ok()) << adapter.error().message();
      auto result = (*adapter)->deliver(envelope);
      EXPECT_EQ(result.outcome, adapters::Outcome::Delivered) << result.reason;
      expectConforming(nextLine(), methodName(c.listener), c.tags);
    }
  }
}

TEST_F(ReceiverTest, StartFailsNamingTheMethodWhenThePortIsTaken) {
  Receiver::Options o;
  o.rest = port(Method::Rest);
  Receiver second(o, [](const std::string&) {});
  try {
    second.start();
    ADD_FAILURE() << "a second receiver bound a port in use";
  } catch (const Poco::Exception& e) {
    EXPECT_NE(e.message().find("cannot listen for rest on 127.0.0.1:"), std::string::npos)
        << e.message();
  }
}

TEST(ReceiveCommand, BadArgumentsExitTwoNamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {{"--rest", "http"}, "--rest needs a port number"},
           {{"--binary", "70000"}, "--binary needs a port number"},
           {{"--soap"}, "--soap needs a value"},
           {{"--rest", "0", "--bind", "localhost:1"}, "--bind needs an IP address"},
           {{"--rest", "0", "--refuse-first", "-1"}, "--refuse-first needs a count"},
           {{"--rest", "0", "--format", "ebcdic"}, "--format needs base64binary or hex"},
           {{"--tcp", "0"}, "unknown option '--tcp'"},
           {{}, "give at least one of --rest"},
       }) {
    std::ostringstream out, err;
    EXPECT_EQ(runReceive(c.args, out, err), 2) << c.needle;
    EXPECT_NE(err.str().find("dcgw receive: " + c.needle), std::string::npos) << err.str();
    EXPECT_EQ(out.str(), "");
  }
}

}  // namespace
}  // namespace dcgw::receive
