// TLS for the gateway's own listeners (uplink, admin): one way to load a server certificate, with
// errors that name the listener and the files.
#pragma once

#include <Poco/Net/Context.h>

#include <string>
#include <vector>

namespace dcgw::common {

// A TLS 1.2+ server context from a PEM certificate (chain) and private key. `who` names the
// listener in errors ("uplink", "admin"). Throws std::runtime_error when a file is missing or
// does not load, or when only one of the two is given.
Poco::Net::Context::Ptr makeServerTlsContext(const std::string& who,
                                             const std::string& certificateFile,
                                             const std::string& privateKeyFile);

// A self-signed certificate for a test deployment (`dcgw tls-cert`): an ECDSA P-256 key (the
// recommended kind: its signature costs a tracker's handshake a small fraction of RSA's), X.509
// v3, subject CN = the first name, subjectAltName = every name (an IPv4/IPv6 address becomes an
// IP entry, anything else a DNS entry), CA:FALSE, key usage digitalSignature, extended key usage
// serverAuth, valid from an hour ago for `days` days, a random 128-bit serial, signed SHA-256.
struct SelfSignedCertificate {
  std::string certificatePem;
  std::string privateKeyPem;      // PKCS#8, unencrypted
  std::string sha256Fingerprint;  // of the DER certificate, "AB:CD:..."
};

// Throws std::invalid_argument naming a name that is neither an address nor a DNS name (letters,
// digits, '-', '.', a leading "*." allowed), or when `names` is empty or `days` is not 1..36500;
// std::runtime_error when OpenSSL fails.
SelfSignedCertificate makeSelfSignedCertificate(const std::vector<std::string>& names, int days);

}  // namespace dcgw::common
