// StoreRegistry: the card relay's registry as the store holds it, cached.
#include "gateway/cardauth/store_registry.hpp"

#include <spdlog/spdlog.h>

namespace dcgw::cardauth {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> endOfDayMs(const std::string& date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
  const int y = std::stoi(date.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(date.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(date.substr(8, 2)));
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  return (daysFromCivil(y, m, d) + 1) * 86'400'000;
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
  bool cards = false;
  for (const auto& c : changes) {
    switch (c.kind) {
      case common::Change::Kind::CardChanged:
      case common::Change::Kind::LocationChanged:
        cards = true;
        break;
      case common::Change::Kind::DeviceChanged:
        loadDevice(c.serial);
        break;
      default:
        break;
    }
  }
  if (cards) loadCards();
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
