// What the files of the reference receiver share: the message being reported, the section 3
// checks and Receiver::Impl. Internal to dcgw_receive; integrators include receiver.hpp.
#pragma once

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/receive/receiver.hpp"

namespace dcgw::receive {

inline constexpr std::string_view kRefused = "refused by --refuse-first";
// Messages are small (a packet is at most a few hundred bytes); the cap only stops a runaway
// sender from exhausting memory.
inline constexpr std::size_t kMaxDocument = 1 << 20;
// Short enough that stop() is prompt, long enough not to spin.
inline const Poco::Timespan kPollInterval(0, 200 * 1000);
inline constexpr int kMaxConnectionsPerListener = 64;

// One received message, as it will be reported.
struct Message {
  explicit Message(Method m) : method(m) {}
  Method method;
  std::string serial;
  std::string registration;
  std::string customTags;
  std::optional<codecs::Bytes> data;  // absent when the message carried no decodable data
  std::vector<std::string> errors;
  bool refused{false};
};

// The three placeholders of the text methods, as found in the message (before any check).
struct TextFields {
  std::optional<std::string> serial, registration, data;
};

std::string quoted(std::string_view s);
std::string lower(std::string_view s);
std::string_view trim(std::string_view s);

// The checks every method shares once its placeholders are extracted.
void checkFields(const TextFields& f, adapters::DataFormat format, Message& m);
// Decodes the payload and renders the report line.
std::string renderMessage(Message& m);

// Section 3.1: the JSON body of a REST request.
void parseRestBody(std::string_view body, adapters::DataFormat format, Message& m);
// Section 3.3: the XML document of XML over TCP or UDP.
void parseXmlDocument(std::string_view text, adapters::DataFormat format, Message& m);
// Section 3.2: the SOAP 1.1 envelope.
void parseSoapEnvelope(std::string_view text, adapters::DataFormat format, Message& m);

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

// The REST or SOAP listener's handlers, each calling impl.handleHttp(method, ...).
Poco::Net::HTTPRequestHandlerFactory* newHttpFactory(Receiver::Impl& impl, Method m);

}  // namespace dcgw::receive
