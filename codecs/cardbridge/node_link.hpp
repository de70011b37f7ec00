// Node links (schema/card-bridge.md section 9): on a multi-node installation, the node a tracker
// is connected to relays the tracker's card frames to the node whose card-bridge listener has
// the card online, over that listener's port. The two nodes prove to each other that they hold
// the cluster key (kept in the database). Bodies and proofs only; the framing is the uplink's.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs::cardbridge {

enum class NodeKind : std::uint8_t {
  NodeHello = 0x05,      // N: node id u64, nonce 32
  NodeChallenge = 0x06,  // G: nonce 32, proof 32
  NodeProof = 0x07,      // N: proof 32
  // then WELCOME (0x04), HEARTBEAT (0x20) and ERROR (0x7F) as for a bridge
  TrackerOpen = 0x50,  // N: tracker u64, serial, the CARD_OPEN body
  TrackerCard = 0x51,  // N: tracker u64, card kind u8 (APDU_COMMAND, CARD_CLOSE), its body
  TrackerGone = 0x52,  // N: tracker u64
  ToTracker = 0x53,    // G: tracker u64, whole uplink card frames for the tracker
};
bool isNodeKind(std::uint8_t kind);
const char* nodeKindName(std::uint8_t kind);

constexpr std::size_t kNodeNonceBytes = 32;
constexpr std::size_t kMaxNodeSerialChars = 32;

struct NodeHello {
  std::uint64_t node{0};
  std::array<std::uint8_t, kNodeNonceBytes> nonce{};
};
struct NodeChallenge {
  std::array<std::uint8_t, kNodeNonceBytes> nonce{};
  std::array<std::uint8_t, 32> proof{};
};
struct TrackerOpen {
  std::uint64_t tracker{0};
  std::string serial;
  ByteView cardOpen;  // a view into the frame body
};
struct TrackerCard {
  std::uint64_t tracker{0};
  std::uint8_t kind{0};
  ByteView body;  // TRACKER_CARD: the card frame's body; TO_TRACKER: whole frames
};

Result<NodeHello> parseNodeHello(ByteView body);
Result<NodeChallenge> parseNodeChallenge(ByteView body);
Result<std::array<std::uint8_t, 32>> parseNodeProof(ByteView body);
Result<TrackerOpen> parseTrackerOpen(ByteView body);
Result<TrackerCard> parseTrackerCard(ByteView body);
Result<std::uint64_t> parseTrackerGone(ByteView body);
Result<TrackerCard> parseToTracker(ByteView body);  // kind unused (0)

void appendNodeHello(Bytes& out, const NodeHello& h);
void appendNodeChallenge(Bytes& out, const NodeChallenge& c);
void appendNodeProof(Bytes& out, ByteView proof);
void appendTrackerOpen(Bytes& out, std::uint64_t tracker, const std::string& serial,
                       ByteView cardOpen);
void appendTrackerCard(Bytes& out, std::uint64_t tracker, std::uint8_t kind, ByteView body);
void appendTrackerGone(Bytes& out, std::uint64_t tracker);
void appendToTracker(Bytes& out, std::uint64_t tracker, ByteView frames);

// The proofs, HMAC-SHA256 with the cluster key over "dcgw-node-1" and then: the gateway's
// (in NODE_CHALLENGE) 'G' || hello nonce || challenge nonce; the node's (NODE_PROOF) 'N' ||
// challenge nonce || hello nonce || node id (8 bytes, big-endian).
std::array<std::uint8_t, 32> gatewayNodeProof(ByteView key, ByteView helloNonce,
                                              ByteView challengeNonce);
std::array<std::uint8_t, 32> nodeProof(ByteView key, ByteView challengeNonce, ByteView helloNonce,
                                       std::uint64_t node);

// After WELCOME every frame of a link but ERROR is sealed: its body ends with a 16-byte tag,
// the first 16 bytes of HMAC-SHA256(session key, sender || counter || kind || body), where the
// session key is HMAC-SHA256(cluster key, "dcgw-node-1" || 'S' || hello nonce || challenge
// nonce), the sender the letter 'N' or 'G' and the counter (8 bytes, big-endian) the number of
// sealed frames that sender sent on the link before this one. A frame taken out, replayed,
// reordered or changed on the way fails its check.
constexpr std::size_t kNodeTagBytes = 16;
std::array<std::uint8_t, 32> nodeSessionKey(ByteView key, ByteView helloNonce,
                                            ByteView challengeNonce);
// `frame`: one whole frame (as the append functions make it); returns it sealed.
Bytes sealNodeFrame(ByteView frame, ByteView sessionKey, char sender, std::uint64_t counter);
// The body without its tag; an error when the tag is missing or does not match.
Result<ByteView> openNodeFrame(std::uint8_t kind, ByteView body, ByteView sessionKey, char sender,
                               std::uint64_t counter);

}  // namespace dcgw::codecs::cardbridge
