// Lookups on a thread of their own, waited for with a deadline.
#include "adapters/resolver.hpp"

#include <Poco/Net/IPAddress.h>
#include <netdb.h>
#include <sys/socket.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace dcgw::adapters {
namespace {

std::mutex gLookupMu;
Lookup gLookup;  // empty: systemLookup

std::vector<Poco::Net::SocketAddress> systemLookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0)
    throw ResolveError(rc == EAI_SYSTEM ? std::string("the system's resolver failed")
                                        : std::string(::gai_strerror(rc)));
  std::vector<Poco::Net::SocketAddress> out;
  for (const addrinfo* a = found; a; a = a->ai_next)
    if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
      out.emplace_back(
          Poco::Net::SocketAddress(a->ai_addr, static_cast<poco_socklen_t>(a->ai_addrlen)).host(),
          port);
  ::freeaddrinfo(found);
  return out;
}

}  // namespace

void setLookupForTesting(Lookup lookup) {
  std::lock_guard lock(gLookupMu);
  gLookup = std::move(lookup);
}

Poco::Net::SocketAddress resolveWithin(const std::string& host, std::uint16_t port,
                                       std::chrono::milliseconds limit) {
  Poco::Net::IPAddress ip;
  if (Poco::Net::IPAddress::tryParse(host, ip)) return Poco::Net::SocketAddress(ip, port);
  const std::string what = "cannot resolve '" + host + "': ";
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool done{false};
    std::vector<Poco::Net::SocketAddress> addresses;
    std::string error;
  };
  auto shared = std::make_shared<Shared>();
  Lookup lookup;
  {
    std::lock_guard lock(gLookupMu);
    lookup = gLookup ? gLookup : Lookup(systemLookup);
  }
  // Detached: a lookup that outlives its caller finishes on its own and is dropped.
  std::thread([shared, lookup, host, port] {
    std::vector<Poco::Net::SocketAddress> found;
    std::string error;
    try {
      found = lookup(host, port);
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard lock(shared->mu);
      shared->addresses = std::move(found);
      shared->error = std::move(error);
      shared->done = true;
    }
    shared->cv.notify_all();
  }).detach();
  std::unique_lock lock(shared->mu);
  if (!shared->cv.wait_for(lock, limit, [&] { return shared->done; }))
    throw ResolveError(what + "no answer within " + std::to_string(limit.count()) +
                       " ms (the connect timeout)");
  if (!shared->error.empty()) throw ResolveError(what + shared->error);
  if (shared->addresses.empty()) throw ResolveError(what + "no address");
  // IPv4 first when a name has both, as POCO chooses (a receiver on 127.0.0.1 is reached by
  // "localhost" though ::1 is listed first).
  for (const auto& a : shared->addresses)
    if (a.family() == Poco::Net::SocketAddress::IPv4) return a;
  return shared->addresses.front();
}

}  // namespace dcgw::adapters
