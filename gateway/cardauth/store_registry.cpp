// StoreRegistry: the card relay's registry as the store holds it, cached.
#include "gateway/cardauth/store_registry.hpp"

#include <spdlog/spdlog.h>

#include "codecs/timefmt.hpp"

namespace dcgw::cardauth {

std::optional<std::int64_t> endOfDayMs(const std::string& date) {
  const auto days = codecs::parseIsoDateDays(date);
  if (!days) return std::nullopt;
  return (*days + 1) * 86'400'000;
}

StoreRegistry::StoreRegistry(store::ConfigReader& config, store::CardLog& log)
    : config_(config), log_(log) {}

void StoreRegistry::loadAll() {
  loadCards();
  std::unordered_map<std::string, DeviceCardInfo> devices;
  for (const auto& d : config_.devices()) devices[d.serial] = {d.locationId, d.companyCard};
  std::lock_guard l(mu_);
  devices_ = std::move(devices);
}

void StoreRegistry::loadCards() {
  std::map<std::string, CardInfo> cards;
  for (const auto& c : config_.companyCards()) {
    auto end = endOfDayMs(c.expiresOn);
    if (!end) spdlog::warn("company card '{}': expiry '{}' is not a date", c.number, c.expiresOn);
    cards[c.number] = CardInfo{c.number, c.name, c.locationIds, end.value_or(0)};
  }
  std::lock_guard l(mu_);
  cards_ = std::move(cards);
}

void StoreRegistry::loadDevice(const std::string& serial) {
  auto d = config_.device(serial);
  std::lock_guard l(mu_);
  if (d)
    devices_[serial] = {d->locationId, d->companyCard};
  else
    devices_.erase(serial);
}

void StoreRegistry::apply(const std::vector<common::Change>& changes) {
  // One reload at a time, each reading the store after the change it follows was committed:
  // two overlapping handlers cannot put an older read in place of a newer one.
  std::lock_guard reloading(reloadMu_);
  bool cards = false, all = false;
  std::vector<std::string> devices;
  for (const auto& c : changes) {
    if (c.kind == common::Change::Kind::CardChanged) cards = true;
    // A removed location leaves its devices without one (and its cards without it).
    if (c.kind == common::Change::Kind::LocationChanged) all = true;
    if (c.kind == common::Change::Kind::DeviceChanged) devices.push_back(c.serial);
  }
  try {
    if (all) return loadAll();
    for (const auto& serial : devices) loadDevice(serial);
    if (cards) loadCards();
  } catch (const store::StoreError& e) {
    spdlog::error("card relay: the registry could not be read again ({}); it keeps the last one",
                  e.what());
  }
}

std::optional<CardInfo> StoreRegistry::card(const std::string& number) {
  std::lock_guard l(mu_);
  auto it = cards_.find(number);
  if (it == cards_.end()) return std::nullopt;
  return it->second;
}

std::optional<codecs::Bytes> StoreRegistry::bridgeKey(const std::string& ident) {
  return log_.cardBridgeKey(ident);
}

std::optional<DeviceCardInfo> StoreRegistry::device(const std::string& serial) {
  std::lock_guard l(mu_);
  auto it = devices_.find(serial);
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dcgw::cardauth
