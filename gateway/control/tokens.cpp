// API tokens: created and revoked with their audit row in one transaction.
#include "gateway/control/tokens.hpp"

#include "gateway/control/views.hpp"

namespace dcgw::control {

Outcome<CreatedToken> Tokens::create(const Actor& a, const std::string& name,
                                     const std::string& role, FieldErrors errors) {
  if (!errors.has("name") && name.empty()) errors.add("name", "a name of at least one character");
  if (!errors.has("role") && role != "admin" && role != "auditor")
    errors.add("role", "admin or auditor");
  if (!errors.empty()) return Failure::invalid(errors);
  auto tx = ctx_.store.begin();
  auto [t, secret] = tx->createToken(name, role, ctx_.clock.nowMs());
  ctx_.audit(*tx, a, "token.create", "token " + std::to_string(t.id), std::nullopt, renderToken(t));
  tx->commit();
  return CreatedToken{t, secret};
}

Outcome<Done> Tokens::revoke(const Actor& a, std::int64_t id) {
  // Read before the transaction: tokens are read on the store's read connection, which must not
  // be waited for while the writer is held.
  std::optional<std::string> before;
  for (const auto& t : ctx_.store.tokens())
    if (t.id == id) before = renderToken(t);
  auto tx = ctx_.store.begin();
  if (!tx->revokeToken(id, ctx_.clock.nowMs()))
    return Failure::notFound("no token " + std::to_string(id));
  ctx_.audit(*tx, a, "token.revoke", "token " + std::to_string(id), before, std::nullopt);
  tx->commit();
  return Done{};
}

}  // namespace dcgw::control
