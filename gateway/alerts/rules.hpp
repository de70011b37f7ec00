// The alert rules of schema/alerts.md as pure functions: from a snapshot of what the gateway
// knows (settings, devices, destinations' backoff, facts from the file index, time-related
// warnings seen) and the conditions already tracked, the actions to take now. No store, no
// clock, no thread: the engine (engine.hpp) gathers the inputs and carries the actions out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::alerts {

// One row of schema/alerts.md's rule table.
struct RuleInfo {
  const char* name;  // as the API and CLI name it
  const char* unit;  // "hours" | "minutes" | "days" | "none" (no threshold)
  std::int64_t unitSeconds;
  double defaultThreshold;  // in the unit
  std::int64_t minSeconds;  // the smallest threshold, in seconds
};
const std::vector<RuleInfo>& ruleTable();
const RuleInfo* findRule(std::string_view name);
inline constexpr const char* kLanguages[] = {"en", "de", "fr", "es"};
bool isLanguage(std::string_view code);

// AlertType / AlertSubType numbers (schema/alerts.md "Alert numbers").
inline constexpr std::uint8_t kTypeDevice = 0x01, kSubDeviceSilent = 0x01;
inline constexpr std::uint8_t kTypeForwarding = 0x02, kSubDestinationFailing = 0x01;
inline constexpr std::uint8_t kTypeDriverCard = 0x03, kSubCardExpiring = 0x01,
                              kSubCardExpired = 0x02;
inline constexpr std::uint8_t kTypeDownload = 0x04, kSubVuDownloadOverdue = 0x01,
                              kSubCardDownloadOverdue = 0x02;
inline constexpr std::uint8_t kTypeDrivingTime = 0x05;  // subtype: the 14.5 value (level 2)

// ---- facts from the file index (the lead connects them; schema/alerts.md) ----

// A driver card the gateway has a file of, from the device that uploaded it.
struct CardExpiryFact {
  std::string serial;      // the device the card's file came from
  std::string cardNumber;  // the 16 characters
  std::string surname;
  std::string firstNames;
  std::int64_t expiryMs{0};  // CardExpiryDate (TimeReal), in ms
};

// When the next download of a vehicle unit or a driver card is due (the location's period
// after its last file).
struct DownloadDueFact {
  enum class Kind { VehicleUnit, DriverCard };
  Kind kind{Kind::VehicleUnit};
  std::string serial;        // the device whose vehicle unit it is / the card's file came from
  std::string subject;       // the VIN for a vehicle unit, the card number for a card
  std::string registration;  // vehicle units: the registration ("" when unknown)
  std::string surname, firstNames;             // driver cards
  std::optional<std::int64_t> lastDownloadMs;  // nullopt: never downloaded
  std::int64_t dueMs{0};
};

// A DDS packet's TimeRelatedStates as last seen from a device (seed 004 section 14.5).
struct TimeWarningSeen {
  std::string cardNumber;
  std::uint8_t value{0};
  std::int64_t atMs{0};
};

struct DestinationInfo {
  std::int64_t id{0};
  std::string name;
  bool enabled{true};
  bool paused{false};
  store::DestinationState state;
};

struct Inputs {
  std::int64_t nowMs{0};
  std::vector<store::AlertSettings> settings;  // every location's
  std::map<std::int64_t, std::vector<std::int64_t>> locationDestinations;
  std::vector<store::DeviceRecord> devices;
  std::vector<DestinationInfo> destinations;
  std::vector<CardExpiryFact> cardExpiries;
  std::vector<DownloadDueFact> downloadsDue;
  std::map<std::string, TimeWarningSeen> timeWarnings;  // by serial: the latest seen
  std::vector<store::AlertCondition> conditions;        // as stored
};

// What to do. Raise and Info: ingest `packet` (serial, location), then store `condition`
// (raised). Clear: ingest `packet`, then remove the condition. Track: store `condition` (seen,
// not raised). Forget: remove it, no packet.
struct Action {
  enum class Kind { Track, Raise, Info, Clear, Forget };
  Kind kind{Kind::Track};
  store::AlertCondition condition;
  std::string serial;  // the packet's envelope serial ("00000000": no device context)
  codecs::Bytes packet;
};

std::vector<Action> evaluate(const Inputs& in);

// The localised texts (texts.cpp): the title and alert text of an alert kind ("device-silent",
// "card-expired", ...) with {1}..{10} replaced by the parameters; the prefix of a clear's text;
// a level-2 time-related state's description. An unknown language falls back to English.
struct Text {
  std::string title;
  std::string alert;
};
Text localise(std::string_view language, std::string_view kind,
              const std::vector<std::string>& params);
std::string clearedPrefix(std::string_view language);
std::string timeWarningDescription(std::string_view language, std::uint8_t value);

}  // namespace dcgw::alerts
