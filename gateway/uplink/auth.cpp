// HMAC-SHA256 and RAND_bytes from OpenSSL for the uplink login.
#include "gateway/uplink/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace dcgw::uplink {

Nonce makeNonce() {
  Nonce n{};
  if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: no nonce for a login challenge");
  return n;
}

Proof computeProof(codecs::ByteView key, codecs::ByteView nonce, const std::string& serial) {
  const codecs::Bytes message = codecs::uplink::proofMessage(nonce, serial);
  Proof p{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
       p.data(), &len);
  return p;
}

bool proofMatches(codecs::ByteView key, codecs::ByteView nonce, const std::string& serial,
                  codecs::ByteView received) {
  if (received.size() != codecs::uplink::kProofBytes) return false;
  const Proof expected = computeProof(key, nonce, serial);
  return CRYPTO_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

codecs::Result<codecs::Bytes> parseDeviceKey(const std::string& hex) {
  codecs::Bytes key;
  std::size_t bad = 0;
  if (!codecs::fromHex(hex, key, &bad))
    return codecs::makeError("key", bad, "hexadecimal digits (2 per byte)");
  if (key.size() < 16 || key.size() > 64)
    return codecs::makeError("key", 0,
                             "a device key of 16 to 64 bytes (32 to 128 hex digits), not " +
                                 std::to_string(key.size()) + " bytes");
  return key;
}

}  // namespace dcgw::uplink
