// The one interface every forwarding method implements (seed 004 section 3), and the
// destination settings of seed 004 figures 1-4 that configure it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/envelope.hpp"
#include "codecs/result.hpp"

namespace dcgw::adapters {

enum class Method { Rest, Soap, XmlTcp, XmlUdp, Binary };

// "rest", "soap", "xml-tcp", ... or the figure names "REST", "Binary Mode" (adapters/methods.hpp).
std::optional<Method> parseMethod(std::string_view text);
std::string_view methodName(Method m);

struct DestinationSettings {
  std::string name;
  Method method{Method::Rest};
  // REST and SOAP: a URL with http:// or https:// (figures 1-2). Other methods: a host name or
  // address (figures 3-4).
  std::string host;
  std::uint16_t port{0};  // XML TCP/UDP and binary; REST/SOAP take the port from the URL
  DataFormat format{DataFormat::Base64Binary};
  std::string customTags;  // REST: key:"value" pairs; SOAP/XML: an XML fragment; binary: text
  // TLS (https only): verification of the certificate and host name is on unless disabled; an
  // extra CA file (PEM) is trusted besides the system store.
  bool tlsVerify{true};
  std::string tlsCaFile;
  std::chrono::milliseconds connectTimeout{10'000};
  std::chrono::milliseconds timeout{30'000};       // the whole exchange, per message
  std::chrono::milliseconds replyTimeout{20'000};  // binary mode (section 3.4: 20 s)
};

// Checks settings as the destination is configured: the host its method's addressing needs (a
// URL with http:// or https:// for REST/SOAP, a bare host name and a port otherwise), the CA file
// (https only), the custom tags the method can carry (adapters/methods.hpp). Returns every
// error, one per bad setting, each naming it in `field`, in a fixed order (host, port,
// tlsCaFile, timeout, customTags); empty when the settings are valid.
std::vector<codecs::Error> validateDestinationAll(const DestinationSettings& s);
// The first of validateDestinationAll's errors, or Ok.
codecs::Status validateDestination(const DestinationSettings& s);

enum class Outcome {
  Delivered,  // the receiver took it
  Retry,      // a failure: stop the destination and retry later (section 3.6)
  Never,      // this method can never carry this packet: dead-letter it
};
std::string_view outcomeName(Outcome o);

struct DeliveryResult {
  Outcome outcome{Outcome::Retry};
  std::string reason;  // empty when delivered
  std::chrono::microseconds duration{0};
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Builds the wire message, sends it and classifies the outcome. Never throws; blocks at most
  // about connectTimeout + timeout. REQUIRES: one caller at a time (one worker per destination).
  virtual DeliveryResult deliver(const Envelope& envelope) = 0;
  // The exact bytes this adapter would send for the envelope (for tests and the audit view).
  virtual codecs::Result<std::string> render(const Envelope& envelope) const = 0;
};

// Validates the settings and builds the adapter for their method (its row in methods.hpp).
codecs::Result<std::unique_ptr<Adapter>> makeAdapter(const DestinationSettings& settings);

// Sets up OpenSSL for client use once per process (rejecting invalid certificates, never
// prompting). Called by makeAdapter; safe to call more than once.
void initialiseTls();

}  // namespace dcgw::adapters
