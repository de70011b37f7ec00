// Server TLS contexts for the gateway's listeners, and self-signed certificates for tests.
#include "gateway/common/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <Poco/Exception.h>
#include <cctype>
#include <functional>
#include <memory>
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

namespace dcgw::common {
namespace {

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void openSslFailed(const std::string& what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
  throw std::runtime_error("tls-cert: " + what + ": " + buf);
}

bool isAddress(const std::string& n) {
  in6_addr a{};
  return inet_pton(AF_INET, n.c_str(), &a) == 1 || inet_pton(AF_INET6, n.c_str(), &a) == 1;
}

bool isDnsName(const std::string& n) {
  std::string rest = n.rfind("*.", 0) == 0 ? n.substr(2) : n;
  if (rest.empty() || rest.size() > 253 || rest.front() == '.' || rest.back() == '.' ||
      rest.front() == '-')
    return false;
  for (unsigned char c : rest)
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  return rest.find("..") == std::string::npos;
}

std::string pem(const std::function<int(BIO*)>& write, const char* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) openSslFailed(what);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void addExtension(X509* cert, X509V3_CTX& ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) openSslFailed("extension " + value);
}

}  // namespace

SelfSignedCertificate makeSelfSignedCertificate(const std::vector<std::string>& names, int days) {
  if (names.empty()) throw std::invalid_argument("at least one name is needed");
  if (days < 1 || days > 36500)
    throw std::invalid_argument("days must be 1-36500, not " + std::to_string(days));
  std::string san;
  for (const std::string& n : names) {
    if (!isAddress(n) && !isDnsName(n))
      throw std::invalid_argument("'" + n + "' is neither an IP address nor a DNS name");
    san += (san.empty() ? "" : ",") + std::string(isAddress(n) ? "IP:" : "DNS:") + n;
  }
  ERR_clear_error();
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) openSslFailed("P-256 key generation");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) openSslFailed("X509_new");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) openSslFailed("random serial");
  serial[0] &= 0x7F;  // positive
  std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())))
    openSslFailed("serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = names.front().substr(0, 64);
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1)
    openSslFailed("subject");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  addExtension(cert.get(), ctx, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert.get(), ctx, NID_key_usage, "critical,digitalSignature");
  addExtension(cert.get(), ctx, NID_ext_key_usage, "serverAuth");
  addExtension(cert.get(), ctx, NID_subject_key_identifier, "hash");
  addExtension(cert.get(), ctx, NID_subject_alt_name, san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) openSslFailed("signing");

  SelfSignedCertificate out;
  out.certificatePem =
      pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }, "certificate PEM");
  out.privateKeyPem = pem(
      [&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      },
      "key PEM");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &mdLen) != 1) openSslFailed("fingerprint");
  static const char* const kHex = "0123456789ABCDEF";
  for (unsigned int i = 0; i < mdLen; ++i) {
    if (i) out.sha256Fingerprint += ':';
    out.sha256Fingerprint += kHex[md[i] >> 4];
    out.sha256Fingerprint += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace dcgw::common
