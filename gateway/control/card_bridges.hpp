// Card bridges (issue 12; schema/card-bridge.md section 2): create, update, rotate the key and
// remove, each validated once, stored with its audit row (never the key) in one transaction,
// then published (CardBridgeChanged: a connected bridge whose key changed or that was removed
// is disconnected).
#pragma once

#include <optional>
#include <string>

#include "codecs/bytes.hpp"
#include "gateway/control/service.hpp"

namespace dcgw::control {

// The members an update gives (the others keep their value).
struct CardBridgeChanges {
  std::optional<std::string> description;
  std::optional<codecs::Bytes> key;
};

struct CreatedCardBridge {
  store::CardBridgeRecord bridge;
  std::string generatedKey;  // hex; only when the service generated it (shown once)
};

// The bridge as the audit log keeps it: ident, description, hasKey (never the key).
// `keyChanged`: a change that gave a new key says so (never the key itself).
std::string renderCardBridgeConfig(const store::CardBridgeRecord& b, bool keyChanged = false);

class CardBridges {
 public:
  explicit CardBridges(Context ctx) : ctx_(ctx) {}

  std::optional<store::CardBridgeRecord> get(const std::string& ident);
  // Without a key the service generates one (32 random bytes), returned once.
  Outcome<CreatedCardBridge> create(const Actor& a, const store::CardBridgeConfig& b,
                                    FieldErrors errors = {});
  Outcome<store::CardBridgeRecord> update(const Actor& a, const std::string& ident,
                                          const CardBridgeChanges& c, FieldErrors errors = {});
  // Returns the new key (hex), shown once.
  Outcome<std::string> rotateKey(const Actor& a, const std::string& ident);
  Outcome<Done> remove(const Actor& a, const std::string& ident);

 private:
  Context ctx_;
};

}  // namespace dcgw::control
