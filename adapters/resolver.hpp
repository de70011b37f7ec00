// Host names resolved with a deadline. getaddrinfo cannot be given one, and a slow or silent
// DNS server would hold a forwarding worker far past its connect timeout: the lookup runs on a
// thread of its own and the caller stops waiting at its limit (the thread ends by itself later).
// A failed or late lookup is a ResolveError naming the host ("cannot resolve 'host': ..."), a
// failed attempt like any other (the destination backs off).
#pragma once

#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcgw::adapters {

class ResolveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A blocking lookup: the addresses of `host` (a name), for `port`. Throws to say it failed.
using Lookup = std::function<std::vector<Poco::Net::SocketAddress>(const std::string& host,
                                                                   std::uint16_t port)>;

// Replaces the system's lookup (getaddrinfo) for tests, e.g. with one that never answers; an
// empty function restores it.
void setLookupForTesting(Lookup lookup);

// An address of `host` (IPv4 preferred, as POCO does; an IP address is taken as it is, without
// a lookup), within `limit`. Throws ResolveError.
Poco::Net::SocketAddress resolveWithin(const std::string& host, std::uint16_t port,
                                       std::chrono::milliseconds limit);

}  // namespace dcgw::adapters
