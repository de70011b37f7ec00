// Card bridges: validated once, changed with their audit row in one transaction, then published.
#include "gateway/control/card_bridges.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "codecs/json.hpp"
#include "gateway/control/validation.hpp"

namespace dcgw::control {

namespace {

std::string target(const std::string& ident) {
  return "card-bridge " + ident;
}

Failure missing(const std::string& ident) {
  return Failure::notFound("no card bridge '" + ident + "'");
}

codecs::Bytes newKey() {
  codecs::Bytes k(32);
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  return k;
}

void check(const store::CardBridgeConfig& b, bool checkIdent, FieldErrors& errors) {
  for (const codecs::Error& e : cardBridgeErrors(b))
    if (e.field != "ident" || checkIdent) errors.add(e.field, e.expected);
}

}  // namespace

std::string renderCardBridgeConfig(const store::CardBridgeRecord& b, bool keyChanged) {
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("ident");
  w.string(b.ident);
  w.key("description");
  w.string(b.description);
  w.key("hasKey");
  w.boolean(b.hasKey);
  if (keyChanged) {
    w.key("keyChanged");
    w.boolean(true);
  }
  w.endObject();
  return out;
}

std::optional<store::CardBridgeRecord> CardBridges::get(const std::string& ident) {
  return ctx_.store.cardBridge(ident);
}

Outcome<CreatedCardBridge> CardBridges::create(const Actor& a, const store::CardBridgeConfig& b,
                                               FieldErrors errors) {
  CreatedCardBridge created;
  store::CardBridgeConfig config = b;
  {
    auto tx = ctx_.store.begin();
    check(config, !errors.has("ident"), errors);
    if (!errors.empty()) return Failure::invalid(errors);
    if (tx->cardBridge(config.ident))
      return Failure::conflict("card bridge '" + config.ident + "' is already registered");
    if (!config.key) {
      config.key = newKey();
      created.generatedKey = codecs::toHex(*config.key);
    }
    if (store::Status s = tx->upsertCardBridge(config); !s) return Failure::fromStore(s.error());
    auto after = tx->cardBridge(config.ident);
    if (!after)
      return Failure::conflict("card bridge '" + config.ident + "' was removed meanwhile");
    created.bridge = *after;
    ctx_.audit(*tx, a, "card-bridge.create", target(config.ident), std::nullopt,
               renderCardBridgeConfig(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::cardBridge(config.ident));
  return created;
}

Outcome<store::CardBridgeRecord> CardBridges::update(const Actor& a, const std::string& ident,
                                                     const CardBridgeChanges& c,
                                                     FieldErrors errors) {
  store::CardBridgeRecord after;
  {
    auto tx = ctx_.store.begin();
    auto before = tx->cardBridge(ident);
    if (!before) return missing(ident);
    store::CardBridgeConfig b{ident, before->description, std::nullopt};
    if (c.description) b.description = *c.description;
    if (c.key) b.key = *c.key;
    check(b, false, errors);
    if (!errors.empty()) return Failure::invalid(errors);
    if (store::Status s = tx->upsertCardBridge(b); !s) return Failure::fromStore(s.error());
    after = *tx->cardBridge(ident);
    ctx_.audit(*tx, a, "card-bridge.update", target(ident), renderCardBridgeConfig(*before),
               renderCardBridgeConfig(after, c.key.has_value()));
    tx->commit();
  }
  ctx_.publish(common::Change::cardBridge(ident));
  return after;
}

Outcome<std::string> CardBridges::rotateKey(const Actor& a, const std::string& ident) {
  std::string keyHex;
  {
    auto tx = ctx_.store.begin();
    auto before = tx->cardBridge(ident);
    if (!before) return missing(ident);
    const codecs::Bytes key = newKey();
    keyHex = codecs::toHex(key);
    store::CardBridgeConfig b{ident, before->description, key};
    if (store::Status s = tx->upsertCardBridge(b); !s) return Failure::fromStore(s.error());
    ctx_.audit(*tx, a, "card-bridge.rotate-key", target(ident), renderCardBridgeConfig(*before),
               renderCardBridgeConfig(*tx->cardBridge(ident), true));
    tx->commit();
  }
  ctx_.publish(common::Change::cardBridge(ident));
  return keyHex;
}

Outcome<Done> CardBridges::remove(const Actor& a, const std::string& ident) {
  {
    auto tx = ctx_.store.begin();
    auto before = tx->cardBridge(ident);
    if (!before) return missing(ident);
    if (store::Status s = tx->removeCardBridge(ident); !s) return missing(ident);
    ctx_.audit(*tx, a, "card-bridge.remove", target(ident), renderCardBridgeConfig(*before),
               std::nullopt);
    tx->commit();
  }
  ctx_.publish(common::Change::cardBridge(ident));
  return Done{};
}

}  // namespace dcgw::control
