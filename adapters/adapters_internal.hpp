// Pieces the adapter classes share; not part of the adapters' public interface.
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "adapters/adapter.hpp"
#include "adapters/socket_wait.hpp"

namespace dcgw::adapters::detail {

std::unique_ptr<Adapter> makeRestAdapter(const DestinationSettings& s);
std::unique_ptr<Adapter> makeSoapAdapter(const DestinationSettings& s);
std::unique_ptr<Adapter> makeXmlTcpAdapter(const DestinationSettings& s);
std::unique_ptr<Adapter> makeXmlUdpAdapter(const DestinationSettings& s);
std::unique_ptr<Adapter> makeBinaryAdapter(const DestinationSettings& s);

// A reason an operator can act on: DNS failure, refused, reset, timeout, TLS verification...
std::string describeNetworkError(const Poco::Exception& e, const std::string& peer);
std::string describeNetworkError(const std::exception& e, const std::string& peer);

// Resolves host:port within `limit` (resolver.hpp); throws ResolveError.
Poco::Net::SocketAddress resolve(const std::string& host, std::uint16_t port,
                                 std::chrono::milliseconds limit);

// The text methods carry serial and registration as UTF-8 (XML, JSON): anything else could only
// produce a document the receiver must reject, so such a packet is never carriable.
codecs::Status checkText(const Envelope& e);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_);
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

inline DeliveryResult result(Outcome o, std::string reason, const Stopwatch& w) {
  return DeliveryResult{o, std::move(reason), w.elapsed()};
}

}  // namespace dcgw::adapters::detail
