// Every forwarding method against real servers on 127.0.0.1 (port 0): what goes on the wire, and
// how each outcome is classified (seed 004 section 3).
#include <Poco/Net/Context.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/adapter.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/json.hpp"

namespace dcgw::adapters {
namespace {

using namespace std::chrono_literals;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

Envelope sampleEnvelope() {
  // Tracking suppression ON (seed 004 section 12.2).
  return Envelope{"12345678", "AB12CDE", {0x47, 0x02, 0x6A, 0x00, 0x00, 0x00, 0x01}};
}

struct HttpExchange {
  std::string method, uri, contentType, soapAction, body;
  std::uint16_t clientPort;
};

// A real HTTP(S) server whose answers the test scripts.
class TestHttpServer {
 public:
  using Responder = std::function<void(const HttpExchange&, HTTPServerResponse&)>;

  explicit TestHttpServer(Responder r, Poco::Net::Context::Ptr tls = nullptr)
      : responder_(std::move(r)) {
    Poco::Net::SocketAddress addr("127.0.0.1", 0);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls) {
      socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, tls);
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>(addr);
    }
    port_ = socket->address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), *socket, params);
    server_->start();
  }
  ~TestHttpServer() { server_->stopAll(true); }

  std::uint16_t port() const { return port_; }
  std::vector<HttpExchange> exchanges() {
    std::lock_guard lock(mu_);
    return exchanges_;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(TestHttpServer* s) : s_(s) {}
    void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
      HttpExchange x{req.getMethod(),           req.getURI(), req.getContentType(),
                     req.get("SOAPAction", ""), "",           req.clientAddress().port()};
      Poco::StreamCopier::copyToString(req.stream(), x.body);
      {
        std::lock_guard lock(s_->mu_);
        s_->exchanges_.push_back(x);
      }
      s_->responder_(x, resp);
    }
    TestHttpServer* s_;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(TestHttpServer* s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
      return new Handler(s_);
    }
    TestHttpServer* s_;
  };

  Responder responder_;
  std::uint16_t port_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::vector<HttpExchange> exchanges_;
};

void reply(HTTPServerResponse& resp, int status, const std::string& body,
           const std::string& type = "text/plain") {
  resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType(type);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

std::unique_ptr<Adapter> adapter(DestinationSettings s) {
  auto a = makeAdapter(s);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message());
  return a.ok() ? std::move(*a) : nullptr;
}

DestinationSettings httpSettings(Method m, std::uint16_t port, std::string scheme = "http",
                                 std::string host = "127.0.0.1") {
  DestinationSettings s;
  s.name = "test";
  s.method = m;
  s.host = scheme + "://" + host + ":" + std::to_string(port) + "/api/datapacket";
  s.connectTimeout = 2s;
  s.timeout = 5s;
  return s;
}

std::uint16_t closedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::uint16_t p = s.address().port();
  s.close();
  return p;
}

// ---- REST (section 3.1) ----

TEST(RestAdapter, PostsTheSection31BodyOnOneKeptAliveConnection) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 204, ""); });
  auto s = httpSettings(Method::Rest, server.port());
  s.customTags = R"(accountID:"123456")";
  auto a = adapter(s);
  for (int i = 0; i < 3; ++i) {
    DeliveryResult r = a->deliver(sampleEnvelope());
    EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
  }
  auto xs = server.exchanges();
  ASSERT_EQ(xs.size(), 3u);
  EXPECT_EQ(xs[0].method, "POST");
  EXPECT_EQ(xs[0].uri, "/api/datapacket");
  EXPECT_EQ(xs[0].contentType, "application/json; charset=utf-8");
  EXPECT_EQ(xs[0].body, R"({"deviceSerialNumber":"12345678","vehicleRegistrationNumber":"AB12CDE",)"
                        R"("data":"RwJqAAAAAQ==","accountID":"123456"})");
  EXPECT_EQ(xs[0].clientPort, xs[2].clientPort) << "keep-alive connection not reused";
}

TEST(RestAdapter, SendsAsciiHexWhenSoConfigured) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 200, "ok"); });
  auto s = httpSettings(Method::Rest, server.port());
  s.format = DataFormat::AsciiHex;
  EXPECT_EQ(adapter(s)->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  auto body = codecs::parseJson(server.exchanges().at(0).body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->find("data")->asString(), "47026A00000001");
}

TEST(RestAdapter, OtherStatusIsAFailureWithStatusAndBodyStart) {
  TestHttpServer server(
      [](const HttpExchange&, HTTPServerResponse& r) { reply(r, 500, "database down\nretry"); });
  DeliveryResult r = adapter(httpSettings(Method::Rest, server.port()))->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.reason, "HTTP 500 Internal Server Error: database down retry");
}

TEST(RestAdapter, RefusedConnectionIsAFailureNotACrash) {
  DeliveryResult r = adapter(httpSettings(Method::Rest, closedPort()))->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_NE(r.reason.find("connection refused"), std::string::npos) << r.reason;
}

// Answers one request per connection with a keep-alive 204, then closes it anyway, as servers
// do with idle keep-alive connections.
TEST(RestAdapter, ReconnectsOnceWhenTheServerDroppedTheKeptAliveConnection) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<int> served{0};
  std::thread t([&] {
    for (int i = 0; i < 2; ++i) {
      Poco::Net::StreamSocket c = listener.acceptConnection();
      std::string req;
      char buf[4096];
      int n;
      while (req.find("\r\n\r\n") == std::string::npos && (n = c.receiveBytes(buf, sizeof buf)) > 0)
        req.append(buf, static_cast<std::size_t>(n));
      std::string ok = "HTTP/1.1 204 No Content\r\nConnection: Keep-Alive\r\n\r\n";
      c.sendBytes(ok.data(), static_cast<int>(ok.size()));
      ++served;
      c.shutdown();
      c.close();
    }
  });
  auto a = adapter(httpSettings(Method::Rest, listener.address().port()));
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  std::this_thread::sleep_for(50ms);  // the server has closed its end by now
  DeliveryResult r = a->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
  t.join();
  EXPECT_EQ(served, 2);
}

TEST(RestAdapter, RegistrationThatIsNotUtf8CanNeverBeCarried) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 204, ""); });
  Envelope e = sampleEnvelope();
  e.vehicleRegistrationNumber = "K\xF6ln 1";  // Latin-1, as a code-page registration may be
  DeliveryResult r = adapter(httpSettings(Method::Rest, server.port()))->deliver(e);
  EXPECT_EQ(r.outcome, Outcome::Never);
  EXPECT_NE(r.reason.find("vehicleRegistrationNumber"), std::string::npos) << r.reason;
  EXPECT_TRUE(server.exchanges().empty());
}

// A server that sends its headers and then one body byte at a time, slowly.
TEST(RestAdapter, OverallTimeoutBoundsADrippingServer) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<bool> stop{false};
  std::thread t([&] {
    Poco::Net::StreamSocket c = listener.acceptConnection();
    char buf[4096];
    c.receiveBytes(buf, sizeof buf);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    c.sendBytes(head.data(), static_cast<int>(head.size()));
    for (int i = 0; i < 100 && !stop; ++i) {
      std::this_thread::sleep_for(100ms);
      try {
        c.sendBytes("x", 1);
      } catch (...) {
        break;
      }
    }
  });
  auto s = httpSettings(Method::Rest, listener.address().port());
  s.connectTimeout = 200ms;
  s.timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  DeliveryResult r = adapter(s)->deliver(sampleEnvelope());
  auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  t.join();
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_NE(r.reason.find("timed out"), std::string::npos) << r.reason;
  EXPECT_LT(took, 5s);  // the server would drip for 10 s
}

// ---- SOAP (section 3.2) ----

TEST(SoapAdapter, PostsTheEnvelopeWithSoapAction) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) {
    reply(r, 200,
          "<?xml version=\"1.0\"?><soap:Envelope "
          "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
          "<digicentralDataPacketResponse xmlns=\"digicentral.Website\"/></soap:Body>"
          "</soap:Envelope>",
          "text/xml; charset=utf-8");
  });
  auto s = httpSettings(Method::Soap, server.port());
  s.customTags = "<accountID>123456</accountID>";
  auto a = adapter(s);
  DeliveryResult r = a->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
  auto x = server.exchanges().at(0);
  EXPECT_EQ(x.contentType, "text/xml; charset=utf-8");
  EXPECT_EQ(x.soapAction, "\"digicentral.Website/digicentralDataPacket\"");
  EXPECT_EQ(x.body, a->render(sampleEnvelope()).value());
  EXPECT_EQ(x.body,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
            "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n"
            "  <soap:Body>\n"
            "    <digicentralDataPacket xmlns=\"digicentral.Website\">\n"
            "      <deviceSerialNumber>12345678</deviceSerialNumber>\n"
            "      <vehicleRegistrationNumber>AB12CDE</vehicleRegistrationNumber>\n"
            "      <data>RwJqAAAAAQ==</data>\n"
            "      <accountID>123456</accountID>\n"
            "    </digicentralDataPacket>\n"
            "  </soap:Body>\n"
            "</soap:Envelope>\n");
}

TEST(SoapAdapter, FaultIsAFailureCarryingTheFaultstring) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) {
    reply(r, 500,
          "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
          "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Unknown device "
          "12345678</faultstring></soap:Fault></soap:Body></soap:Envelope>",
          "text/xml");
  });
  DeliveryResult r = adapter(httpSettings(Method::Soap, server.port()))->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.reason, "HTTP 500 Internal Server Error: SOAP Fault: Unknown device 12345678");
}

// ---- XML over TCP and UDP (section 3.3) ----

// Accepts connections and keeps what each sent until it closed.
class TcpSink {
 public:
  TcpSink() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        if (!socket_.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket c = socket_.acceptConnection();
        std::string doc;
        char buf[4096];
        int n;
        while ((n = c.receiveBytes(buf, sizeof buf)) > 0)
          doc.append(buf, static_cast<std::size_t>(n));
        std::lock_guard lock(mu_);
        docs_.push_back(doc);
      }
    });
  }
  ~TcpSink() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return socket_.address().port(); }
  std::vector<std::string> docs() {
    std::lock_guard lock(mu_);
    return docs_;
  }

 private:
  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> docs_;
};

DestinationSettings socketSettings(Method m, std::uint16_t port) {
  DestinationSettings s;
  s.name = "test";
  s.method = m;
  s.host = "127.0.0.1";
  s.port = port;
  s.connectTimeout = 2s;
  s.timeout = 5s;
  s.replyTimeout = 5s;
  return s;
}

const char kExpectedXml[] =
    "<digiCentralDataPacket>\n"
    "  <deviceSerialNumber>12345678</deviceSerialNumber>\n"
    "  <vehicleRegistrationNumber>AB12CDE</vehicleRegistrationNumber>\n"
    "  <data>RwJqAAAAAQ==</data>\n"
    "  <accountID>123456</accountID>\n"
    "</digiCentralDataPacket>\n";

TEST(XmlTcpAdapter, SendsOneDocumentPerConnection) {
  TcpSink sink;
  auto s = socketSettings(Method::XmlTcp, sink.port());
  s.customTags = "<accountID>123456</accountID>";
  auto a = adapter(s);
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  for (int i = 0; i < 1000 && sink.docs().size() < 2; ++i) std::this_thread::sleep_for(10ms);
  auto docs = sink.docs();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], kExpectedXml);
  EXPECT_EQ(docs[1], kExpectedXml);
}

TEST(XmlTcpAdapter, RefusedConnectionIsAFailure) {
  DeliveryResult r =
      adapter(socketSettings(Method::XmlTcp, closedPort()))->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_NE(r.reason.find("connection refused"), std::string::npos) << r.reason;
}

TEST(XmlUdpAdapter, SendsOneDatagramPerDocument) {
  Poco::Net::DatagramSocket rx(Poco::Net::SocketAddress("127.0.0.1", 0));
  rx.setReceiveTimeout(Poco::Timespan(5, 0));
  auto s = socketSettings(Method::XmlUdp, rx.address().port());
  s.customTags = "<accountID>123456</accountID>";
  EXPECT_EQ(adapter(s)->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  char buf[70000];
  int n = rx.receiveBytes(buf, sizeof buf);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), kExpectedXml);
}

TEST(XmlUdpAdapter, DocumentLargerThanADatagramCanNeverBeCarried) {
  Poco::Net::DatagramSocket rx(Poco::Net::SocketAddress("127.0.0.1", 0));
  Envelope e = sampleEnvelope();
  e.packet.assign(50000, 0x47);  // base64 grows it past 65507 bytes
  DeliveryResult r = adapter(socketSettings(Method::XmlUdp, rx.address().port()))->deliver(e);
  EXPECT_EQ(r.outcome, Outcome::Never);
  EXPECT_NE(r.reason.find("more than one UDP datagram can carry"), std::string::npos);
}

// ---- Binary mode (section 3.4) ----

enum class Answer { Ack, Nak, Garbage, Silence, Close };

// A binary-mode receiver that answers each frame as scripted (then Ack).
class BinaryServer {
 public:
  explicit BinaryServer(std::deque<Answer> script)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)), script_(std::move(script)) {
    thread_ = std::thread([this] { run(); });
  }
  ~BinaryServer() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return socket_.address().port(); }
  int connections() const { return connections_; }
  std::vector<codecs::BinaryDataFrame> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }

 private:
  void run() {
    while (!stop_) {
      if (!socket_.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket c = socket_.acceptConnection();
      ++connections_;
      c.setReceiveTimeout(Poco::Timespan(0, 50000));
      codecs::Bytes buf;
      bool open = true;
      while (open && !stop_) {
        std::uint8_t chunk[1024];
        int n = 0;
        try {
          n = c.receiveBytes(chunk, sizeof chunk);
        } catch (const Poco::TimeoutException&) {
          continue;
        }
        if (n <= 0) break;
        buf.insert(buf.end(), chunk, chunk + n);
        for (;;) {
          auto f = codecs::decodeBinaryDataFrame(buf);
          if (!f.ok() || !f->complete) break;
          buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(f->consumed));
          Answer a = Answer::Ack;
          {
            std::lock_guard lock(mu_);
            frames_.push_back(f->frame);
            if (!script_.empty()) {
              a = script_.front();
              script_.pop_front();
            }
          }
          codecs::Bytes out;
          if (a == Answer::Ack) out = codecs::encodeBinaryPositiveReply();
          if (a == Answer::Nak) out = codecs::encodeBinaryNegativeReply(42, "vehicle unknown");
          if (a == Answer::Garbage) out = {0x55, 0xA0, 0x00, 0x00, 0x00};
          if (a == Answer::Close) {
            open = false;
            break;
          }
          if (!out.empty()) c.sendBytes(out.data(), static_cast<int>(out.size()));
        }
      }
    }
  }

  Poco::Net::ServerSocket socket_;
  std::deque<Answer> script_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<codecs::BinaryDataFrame> frames_;
};

TEST(BinaryAdapter, FramesPacketsOnOneConnectionAndWaitsForThePositiveReply) {
  BinaryServer server({});
  auto s = socketSettings(Method::Binary, server.port());
  s.customTags = "123456";
  auto a = adapter(s);
  EXPECT_EQ(a->render(sampleEnvelope()).value().size(), 4u + 8 + 13 + 1 + 7 + 1 + 6 + 1);
  for (int i = 0; i < 3; ++i) {
    DeliveryResult r = a->deliver(sampleEnvelope());
    EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
  }
  EXPECT_EQ(server.connections(), 1);
  auto frames = server.frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].deviceSerialNumber, "12345678");
  EXPECT_EQ(frames[0].vehicleRegistrationNumber, "AB12CDE");
  EXPECT_EQ(frames[0].customTags, "123456");
  EXPECT_EQ(frames[0].payload, sampleEnvelope().packet);
}

TEST(BinaryAdapter, NegativeReplyIsAFailureWithCodeAndMessage) {
  BinaryServer server({Answer::Nak});
  auto a = adapter(socketSettings(Method::Binary, server.port()));
  DeliveryResult r = a->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.reason, "negative reply: error code 42: vehicle unknown");
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  EXPECT_EQ(server.connections(), 1) << "a negative reply keeps the connection";
}

TEST(BinaryAdapter, MalformedReplyTimeoutAndCloseDropTheConnection) {
  BinaryServer server({Answer::Garbage, Answer::Silence, Answer::Close});
  auto s = socketSettings(Method::Binary, server.port());
  s.replyTimeout = 300ms;
  auto a = adapter(s);
  DeliveryResult garbage = a->deliver(sampleEnvelope());
  EXPECT_EQ(garbage.outcome, Outcome::Retry);
  EXPECT_NE(garbage.reason.find("malformed reply: checksum"), std::string::npos) << garbage.reason;
  DeliveryResult silence = a->deliver(sampleEnvelope());
  EXPECT_EQ(silence.outcome, Outcome::Retry);
  EXPECT_NE(silence.reason.find("no reply within 300 ms"), std::string::npos) << silence.reason;
  DeliveryResult closed = a->deliver(sampleEnvelope());
  EXPECT_EQ(closed.outcome, Outcome::Retry);
  EXPECT_NE(closed.reason.find("connection closed"), std::string::npos) << closed.reason;
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  EXPECT_EQ(server.connections(), 4);
}

TEST(BinaryAdapter, ReconnectsWhenTheReceiverClosedTheIdleConnection) {
  BinaryServer server({Answer::Ack, Answer::Close});
  auto a = adapter(socketSettings(Method::Binary, server.port()));
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  // The server closes after the second frame without answering: that one fails...
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Retry);
  // ...and the next goes out on a new connection.
  EXPECT_EQ(a->deliver(sampleEnvelope()).outcome, Outcome::Delivered);
  EXPECT_EQ(server.connections(), 2);
}

TEST(BinaryAdapter, WhatCannotBeFramedIsNeverCarriable) {
  BinaryServer server({});
  auto a = adapter(socketSettings(Method::Binary, server.port()));
  Envelope e = sampleEnvelope();
  e.packet.assign(256, 0x47);
  DeliveryResult r = a->deliver(e);
  EXPECT_EQ(r.outcome, Outcome::Never);
  EXPECT_NE(r.reason.find("at most 255 bytes"), std::string::npos) << r.reason;
  e = sampleEnvelope();
  e.vehicleRegistrationNumber = "K\xC3\xB6ln 123";
  EXPECT_EQ(a->deliver(e).outcome, Outcome::Never);
}

// ---- TLS ----

class Certificates : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("dcgw-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : {"localhost", "wrong.example"}) {
      std::string cmd =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + std::string(name) +
          " -addext subjectAltName=DNS:" + name + " -keyout " +
          (dir_ / (std::string(name) + ".key")).string() + " -out " +
          (dir_ / (std::string(name) + ".pem")).string() + " 2>/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static std::string file(const std::string& name) { return (dir_ / name).string(); }
  static Poco::Net::Context::Ptr serverContext(const std::string& name) {
    return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, file(name + ".key"),
                                  file(name + ".pem"), "", Poco::Net::Context::VERIFY_NONE);
  }
  static inline std::filesystem::path dir_;
};

TEST_F(Certificates, HttpsWithTheTrustedCaDelivers) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 204, ""); },
                        serverContext("localhost"));
  auto s = httpSettings(Method::Rest, server.port(), "https", "localhost");
  s.tlsCaFile = file("localhost.pem");
  DeliveryResult r = adapter(s)->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
}

TEST_F(Certificates, UntrustedCertificateIsAVerificationFailure) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 204, ""); },
                        serverContext("localhost"));
  DeliveryResult r = adapter(httpSettings(Method::Soap, server.port(), "https", "localhost"))
                         ->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_NE(r.reason.find("certificate verification failed"), std::string::npos) << r.reason;
  EXPECT_TRUE(server.exchanges().empty());
}

TEST_F(Certificates, HostNameMismatchIsAVerificationFailure) {
  TestHttpServer server([](const HttpExchange&, HTTPServerResponse& r) { reply(r, 204, ""); },
                        serverContext("wrong.example"));
  auto s = httpSettings(Method::Rest, server.port(), "https", "localhost");
  s.tlsCaFile = file("wrong.example.pem");
  DeliveryResult r = adapter(s)->deliver(sampleEnvelope());
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_NE(r.reason.find("certificate verification failed"), std::string::npos) << r.reason;
  EXPECT_TRUE(server.exchanges().empty());
}

}  // namespace
}  // namespace dcgw::adapters
