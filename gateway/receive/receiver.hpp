// `dcgw receive`: a reference receiver for integrators that checks every forwarded message
// against seed 004 section 3, answers as a conforming receiver does and reports one JSON line each.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"
#include "adapters/envelope.hpp"

namespace dcgw::receive {

// The forwarding methods are the adapters' (one list of them, one set of names).
using Method = adapters::Method;
using adapters::methodName;
inline constexpr Method kAllMethods[] = {Method::Rest, Method::Soap, Method::XmlTcp, Method::XmlUdp,
                                         Method::Binary};

// Every message received becomes one JSON object on one line:
//   {"method":"rest","deviceSerialNumber":"...","vehicleRegistrationNumber":"...",
//    "customTags":"...","data":"<lowercase hex>","packet":{...}|null,"errors":[...],
//    "refused":false}
// `errors` is empty exactly when the message conforms to seed 004 section 3. A refused message
// carries "refused":true; only the XML methods, which have no reply to refuse with, also list
// "refused by --refuse-first" in `errors`.
class Receiver {
 public:
  struct Options {
    std::string bindAddress{"127.0.0.1"};
    // A listener per method given; 0 asks the kernel for an ephemeral port.
    std::optional<std::uint16_t> rest, soap, xmlTcp, xmlUdp, binary;
    // How `data` travels in the text methods (REST, SOAP, XML).
    adapters::DataFormat format{adapters::DataFormat::Base64Binary};
    // The first N messages, across all methods, are answered as failures.
    std::uint64_t refuseFirst{0};
  };
  using OnMessage = std::function<void(const std::string& jsonLine)>;

  // onMessage is called once per message, never concurrently (the receiver serialises calls).
  Receiver(Options options, OnMessage onMessage);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Binds and starts every configured listener. Throws Poco::Exception when one cannot bind.
  void start();
  // Stops accepting, closes open connections and joins every thread. Idempotent.
  void stop();
  // REQUIRES: start() returned and the method was configured. The port actually bound.
  std::uint16_t port(Method m) const;
  bool configured(Method m) const;
  const Options& options() const { return options_; }

  struct Impl;

 private:
  Options options_;
  std::unique_ptr<Impl> impl_;
};

// The command: parses args, listens, prints one line per message to out (flushed), one
// "dcgw receive: METHOD listening on ADDR:PORT" line per listener to err, and runs until
// SIGINT or SIGTERM. Returns 0 after a clean stop, 1 when a listener cannot start, 2 on bad
// arguments.
int runReceive(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::receive
