// Device keys and the login proof of the uplink (schema/uplink.md section 4), with OpenSSL.
#pragma once

#include <array>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/uplink/frame.hpp"

namespace dcgw::uplink {

using Nonce = std::array<std::uint8_t, codecs::uplink::kNonceBytes>;
using Proof = std::array<std::uint8_t, codecs::uplink::kProofBytes>;

// A fresh random nonce (RAND_bytes). Throws std::runtime_error if OpenSSL has no entropy.
Nonce makeNonce();
// HMAC-SHA256(key, "dcgw-uplink-1" || nonce || serial).
Proof computeProof(codecs::ByteView key, codecs::ByteView nonce, const std::string& serial);
// Constant-time comparison of the expected proof with the one received.
bool proofMatches(codecs::ByteView key, codecs::ByteView nonce, const std::string& serial,
                  codecs::ByteView received);
// A device key given as hex (16 to 64 bytes); the error says what is wrong with it.
codecs::Result<codecs::Bytes> parseDeviceKey(const std::string& hex);

}  // namespace dcgw::uplink
