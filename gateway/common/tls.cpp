// Server TLS contexts for the gateway's listeners.
#include "gateway/common/tls.hpp"

#include <Poco/Exception.h>

#include <stdexcept>

#include "adapters/adapter.hpp"

namespace dcgw::common {

Poco::Net::Context::Ptr makeServerTlsContext(const std::string& who,
                                             const std::string& certificateFile,
                                             const std::string& privateKeyFile) {
  if (certificateFile.empty() || privateKeyFile.empty())
    throw std::runtime_error(who + " TLS needs both tls.certificateFile and tls.privateKeyFile");
  adapters::initialiseTls();
  Poco::Net::Context::Ptr ctx;
  try {
    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, privateKeyFile,
                                 certificateFile, "", Poco::Net::Context::VERIFY_NONE);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(who + " TLS: cannot load " + certificateFile + " / " + privateKeyFile +
                             ": " + e.displayText());
  }
  ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return ctx;
}

}  // namespace dcgw::common
