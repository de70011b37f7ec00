// Store <-> adapter settings.
#include "gateway/forward/destination_settings.hpp"

#include <string>

namespace dcgw::forward {

codecs::Result<adapters::DestinationSettings> toAdapterSettings(
    const store::DestinationSettings& s) {
  adapters::DestinationSettings a;
  a.name = s.name;
  auto method = adapters::parseMethod(s.method);
  if (!method) return codecs::makeError("method", 0, "a forwarding method, not '" + s.method + "'");
  a.method = *method;
  auto format = adapters::parseDataFormat(s.format);
  if (!format) return codecs::makeError("format", 0, "base64binary or hex, not '" + s.format + "'");
  a.format = *format;
  a.host = s.host;
  a.port = s.port;
  a.customTags = s.customTags;
  a.tlsVerify = s.tlsVerify;
  a.tlsCaFile = s.tlsCaFile;
  a.replyTimeout = std::chrono::milliseconds(s.replyTimeoutMs);
  return a;
}

store::DestinationSettings fromAdapterSettings(const adapters::DestinationSettings& a) {
  store::DestinationSettings s;
  s.name = a.name;
  s.method = std::string(adapters::methodName(a.method));
  s.host = a.host;
  s.port = a.port;
  s.format = std::string(adapters::dataFormatName(a.format));
  s.customTags = a.customTags;
  s.tlsVerify = a.tlsVerify;
  s.tlsCaFile = a.tlsCaFile;
  s.replyTimeoutMs = a.replyTimeout.count();
  return s;
}

store::AttemptResult toAttemptResult(const adapters::DeliveryResult& r) {
  store::AttemptResult out;
  switch (r.outcome) {
    case adapters::Outcome::Delivered:
      out.outcome = store::AttemptResult::Outcome::Delivered;
      break;
    case adapters::Outcome::Never:
      out.outcome = store::AttemptResult::Outcome::Never;
      break;
    case adapters::Outcome::Retry:
      out.outcome = store::AttemptResult::Outcome::Retry;
      break;
  }
  out.reason = r.reason;
  out.durationUs = r.duration.count();
  return out;
}

}  // namespace dcgw::forward
