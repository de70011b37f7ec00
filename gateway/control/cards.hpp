// Company cards (issue 12): create, update and remove, each validated once, stored with its
// audit row in one transaction, then published (CardChanged: the card relay judges the card's
// sessions and queue again).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/control/service.hpp"

namespace dcgw::control {

// The members an update gives (the others keep their value).
struct CardChanges {
  std::optional<std::string> name;
  std::optional<std::vector<std::int64_t>> locationIds;
  std::optional<std::string> expiresOn;
};

// The card as the audit log keeps it (never anything live).
std::string renderCardConfig(const store::CompanyCardConfig& c);

// Whether the card has expired on the day of `nowMs` (UTC): that day is after expiresOn.
bool cardExpired(const store::CompanyCardConfig& c, std::int64_t nowMs);

class Cards {
 public:
  explicit Cards(Context ctx) : ctx_(ctx) {}

  std::optional<store::CompanyCardConfig> get(const std::string& number);
  // `errors`: what the caller's parser already found wrong; the service adds a bad number,
  // name or date and locations that do not exist, all at once.
  Outcome<store::CompanyCardConfig> create(const Actor& a, const store::CompanyCardConfig& c,
                                           FieldErrors errors = {});
  Outcome<store::CompanyCardConfig> update(const Actor& a, const std::string& number,
                                           const CardChanges& c, FieldErrors errors = {});
  // Conflict while a device names the card as its company card (the message names them).
  Outcome<Done> remove(const Actor& a, const std::string& number);

 private:
  Context ctx_;
};

}  // namespace dcgw::control
