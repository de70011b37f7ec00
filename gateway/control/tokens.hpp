// API tokens: create (the secret is returned once) and revoke, each with its audit row in one
// transaction. Nothing subscribes to token changes: a token is checked on every request.
#pragma once

#include <string>
#include <utility>

#include "gateway/control/service.hpp"

namespace dcgw::control {

struct CreatedToken {
  store::TokenRecord token;
  std::string secret;
};

class Tokens {
 public:
  explicit Tokens(Context ctx) : ctx_(ctx) {}

  // `errors`: what the caller's parser already found; the service adds an empty name and a
  // role other than admin or auditor.
  Outcome<CreatedToken> create(const Actor& a, const std::string& name, const std::string& role,
                               FieldErrors errors = {});
  Outcome<Done> revoke(const Actor& a, std::int64_t id);

 private:
  Context ctx_;
};

}  // namespace dcgw::control
