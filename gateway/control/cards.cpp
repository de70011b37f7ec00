// Company cards: validated once, changed with their audit row in one transaction, then
// published.
#include "gateway/control/cards.hpp"

#include <cstdio>
#include <ctime>

#include "codecs/json.hpp"
#include "codecs/timefmt.hpp"
#include "gateway/control/validation.hpp"

namespace dcgw::control {

namespace {

std::string target(const std::string& number) {
  return "card " + number;
}

Failure missing(const std::string& number) {
  return Failure::notFound("no company card '" + number + "'");
}

// Adds the error where the input has the field (number, name, locationIds, expiresOn), so the
// list keeps the input's order whoever found the error.
void addInOrder(FieldErrors& errors, const std::string& field, const std::string& reason) {
  static const std::vector<std::string> kOrder = {"number", "name", "locationIds", "expiresOn"};
  if (errors.has(field)) return;
  auto rank = [](const std::string& f) {
    for (std::size_t i = 0; i < kOrder.size(); ++i)
      if (kOrder[i] == f) return i;
    return kOrder.size();
  };
  auto at = errors.list.begin();
  while (at != errors.list.end() && rank(at->first) <= rank(field)) ++at;
  errors.list.emplace(at, field, reason);
}

// The locations are read in the change's transaction, so one cannot go away in between.
void check(store::ConfigReader& r, const store::CompanyCardConfig& c, bool checkNumber,
           FieldErrors& errors) {
  for (const codecs::Error& e : cardErrors(c))
    if (e.field != "number" || checkNumber) addInOrder(errors, e.field, e.expected);
  for (std::int64_t id : c.locationIds)
    if (!r.location(id)) {
      addInOrder(errors, "locationIds",
                 "ids of existing locations; " + std::to_string(id) + " is not one");
      return;
    }
}

// The devices that name the card as their company card, by serial.
std::vector<std::string> users(store::ConfigReader& r, const std::string& number) {
  std::vector<std::string> out;
  for (const auto& d : r.devices())
    if (d.companyCard == number) out.push_back(d.serial);
  return out;
}

}  // namespace

std::string renderCardConfig(const store::CompanyCardConfig& c) {
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("number");
  w.string(c.number);
  w.key("name");
  w.string(c.name);
  w.key("locationIds");
  w.beginArray();
  for (auto id : c.locationIds) w.integer(id);
  w.endArray();
  w.key("expiresOn");
  w.string(c.expiresOn);
  w.endObject();
  return out;
}

bool cardExpired(const store::CompanyCardConfig& c, std::int64_t nowMs) {
  // The relay's rule (cardauth::endOfDayMs): usable through the day printed on the card.
  const auto days = codecs::parseIsoDateDays(c.expiresOn);
  return !days || nowMs >= (*days + 1) * 86'400'000;
}

std::optional<store::CompanyCardConfig> Cards::get(const std::string& number) {
  return ctx_.store.companyCard(number);
}

Outcome<store::CompanyCardConfig> Cards::create(const Actor& a, const store::CompanyCardConfig& c,
                                                FieldErrors errors) {
  std::optional<store::CompanyCardConfig> after;
  {
    auto tx = ctx_.store.begin();
    check(*tx, c, !errors.has("number"), errors);
    if (!errors.empty()) return Failure::invalid(errors);
    if (tx->companyCard(c.number))
      return Failure::conflict("company card '" + c.number + "' is already registered");
    if (store::Status s = tx->upsertCompanyCard(c); !s) return Failure::fromStore(s.error());
    after = tx->companyCard(c.number);
    if (!after) return Failure::conflict("company card '" + c.number + "' was removed meanwhile");
    ctx_.audit(*tx, a, "card.create", target(c.number), std::nullopt, renderCardConfig(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::card(c.number));
  return *after;
}

Outcome<store::CompanyCardConfig> Cards::update(const Actor& a, const std::string& number,
                                                const CardChanges& c, FieldErrors errors) {
  std::optional<store::CompanyCardConfig> after;
  {
    auto tx = ctx_.store.begin();
    auto before = tx->companyCard(number);
    if (!before) return missing(number);
    store::CompanyCardConfig next = *before;
    if (c.name) next.name = *c.name;
    if (c.locationIds) next.locationIds = *c.locationIds;
    if (c.expiresOn) next.expiresOn = *c.expiresOn;
    check(*tx, next, false, errors);
    if (!errors.empty()) return Failure::invalid(errors);
    if (store::Status s = tx->upsertCompanyCard(next); !s) return Failure::fromStore(s.error());
    after = tx->companyCard(number);
    ctx_.audit(*tx, a, "card.update", target(number), renderCardConfig(*before),
               renderCardConfig(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::card(number));
  return *after;
}

Outcome<Done> Cards::remove(const Actor& a, const std::string& number) {
  {
    auto tx = ctx_.store.begin();
    auto before = tx->companyCard(number);
    if (!before) return missing(number);
    if (auto serials = users(*tx, number); !serials.empty()) {
      std::string list;
      for (std::size_t i = 0; i < serials.size() && i < 20; ++i)
        list += (i ? ", " : "") + serials[i];
      if (serials.size() > 20) list += " and " + std::to_string(serials.size() - 20) + " more";
      return Failure::conflict("company card '" + number + "' is the company card of device" +
                               (serials.size() == 1 ? " " : "s ") + list +
                               ": give them another card (or none) first");
    }
    if (store::Status s = tx->removeCompanyCard(number); !s) return Failure::fromStore(s.error());
    ctx_.audit(*tx, a, "card.remove", target(number), renderCardConfig(*before), std::nullopt);
    tx->commit();
  }
  ctx_.publish(common::Change::card(number));
  return Done{};
}

}  // namespace dcgw::control
