// The relay's registry read from the store: company cards and the devices' locations and
// company cards, kept in memory so a card request or a relay step never waits for the
// database; reloaded piecewise when the change feed says what changed. Bridge keys are read
// from the store at each login (CardLog::cardBridgeKey, a connection of its own).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/cardauth/service.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::cardauth {

// "YYYY-MM-DD" -> the first millisecond after that day (UTC): a card is usable through the day
// printed on it. nullopt when the text is not a calendar date.
std::optional<std::int64_t> endOfDayMs(const std::string& date);

class StoreRegistry final : public Registry {
 public:
  StoreRegistry(store::ConfigReader& config, store::CardLog& log);

  void loadAll();
  // Applies what changed (cards, devices, a location removed: its cards lose it).
  void apply(const std::vector<common::Change>& changes);

  std::optional<CardInfo> card(const std::string& number) override;
  std::optional<codecs::Bytes> bridgeKey(const std::string& ident) override;
  std::optional<DeviceCardInfo> device(const std::string& serial) override;

 private:
  void loadCards();
  void loadDevice(const std::string& serial);

  store::ConfigReader& config_;
  store::CardLog& log_;
  std::mutex reloadMu_;  // one apply() at a time
  std::mutex mu_;        // the cache
  std::map<std::string, CardInfo> cards_;
  std::unordered_map<std::string, DeviceCardInfo> devices_;
};

}  // namespace dcgw::cardauth
