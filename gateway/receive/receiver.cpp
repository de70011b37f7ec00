// The reference receiver's lifecycle: one listener per forwarding method of seed 004 section 3,
// bound, started and stopped in order (the checks and servers live beside it).
#include "gateway/receive/receiver.hpp"

#include <libxml/parser.h>

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/receive/receiver_internal.hpp"

namespace dcgw::receive {

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
            std::make_unique<Poco::Net::HTTPServer>(newHttpFactory(d, m), pool, socket, params));
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

}  // namespace dcgw::receive
