// Which alert conditions hold now, and what that means against the conditions already tracked:
// raise once, never repeat, clear once when the condition ends.
#include "gateway/alerts/rules.hpp"

#include <cmath>
#include <cstdio>
#include <tuple>

#include "codecs/packets/alert_packet.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/timefmt.hpp"

namespace dcgw::alerts {

namespace {

constexpr std::int64_t kHour = 3600, kMinute = 60, kDay = 86400;
const std::string kNoDevice = "00000000";

using Key = std::tuple<std::int64_t, std::string, std::string>;

struct Desired {
  std::int64_t location{0};
  std::string rule, subject, serial;
  std::int64_t sinceMs{0};
  bool due{true};
  bool info{false};
  std::string kind;
  std::uint8_t type{0}, sub{0};
  std::string card;
  std::vector<std::string> params;
};

std::string iso(std::int64_t ms) {
  return codecs::formatTimeReal(static_cast<std::uint32_t>(ms / 1000));
}
std::string day(std::int64_t ms) {
  return iso(ms).substr(0, 10);
}
// A threshold in its rule's unit, as people write it: "5", "0.5".
std::string inUnit(std::int64_t seconds, std::int64_t unitSeconds) {
  if (seconds % unitSeconds == 0) return std::to_string(seconds / unitSeconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(seconds) / unitSeconds);
  return buf;
}

std::string trimmed(codecs::ByteView b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// The clear of a raised alert: its card, numbers and parameters, state 0, the time it ended,
// and its text after the language's "cleared" prefix.
codecs::Bytes clearOf(const codecs::Bytes& raised, std::int64_t nowMs, std::string_view language) {
  codecs::AlertPacket a;
  a.state = codecs::AlertState::Clear;
  a.time = static_cast<std::uint32_t>(nowMs / 1000);
  if (raised.size() >= 23) {
    a.cardNumber = trimmed(codecs::ByteView(raised).subspan(2, 14));
    a.type = raised[17];
    a.subType = raised[18];
    std::vector<std::string> info(1);
    for (std::size_t i = 23; i < raised.size(); ++i) {
      if (raised[i] == 0) {
        info.emplace_back();
      } else {
        info.back() += static_cast<char>(raised[i]);
      }
    }
    a.title = info[0];
    if (info.size() > 1) a.alert = clearedPrefix(language) + info[1];
    for (std::size_t i = 2; i < info.size() && a.params.size() < 10; ++i)
      a.params.push_back(info[i]);
  }
  auto b = codecs::encodeAlertPacket(a);
  return b ? std::move(*b) : codecs::Bytes{};
}

std::optional<std::int64_t> ruleOn(const store::AlertSettings& s, std::string_view rule) {
  for (const auto& r : s.rules)
    if (r.rule == rule) return r.thresholdSeconds;
  return std::nullopt;
}

}  // namespace

const std::vector<RuleInfo>& ruleTable() {
  static const std::vector<RuleInfo> kRules = {
      {"device-silent", "hours", kHour, 24, 1},
      {"destination-failing", "minutes", kMinute, 30, 1},
      {"card-expiry", "days", kDay, 30, 0},
      {"vu-download-overdue", "days", kDay, 0, 0},
      {"card-download-overdue", "days", kDay, 0, 0},
      {"time-warning", "none", 1, 0, 0},
  };
  return kRules;
}

const RuleInfo* findRule(std::string_view name) {
  for (const auto& r : ruleTable())
    if (name == r.name) return &r;
  return nullptr;
}

std::vector<Action> evaluate(const Inputs& in) {
  const std::int64_t now = in.nowMs;
  std::map<std::int64_t, const store::AlertSettings*> settings;
  for (const auto& s : in.settings) settings[s.locationId] = &s;
  auto threshold = [&](std::optional<std::int64_t> location,
                       std::string_view rule) -> std::optional<std::int64_t> {
    if (!location) return std::nullopt;
    auto it = settings.find(*location);
    if (it == settings.end()) return std::nullopt;
    return ruleOn(*it->second, rule);
  };
  auto language = [&](std::int64_t location) -> std::string {
    auto it = settings.find(location);
    return it == settings.end() ? "en" : it->second->language;
  };
  std::map<std::string, const store::DeviceRecord*> devices;
  for (const auto& d : in.devices) devices[d.serial] = &d;
  auto locationOf = [&](const std::string& serial) -> std::optional<std::int64_t> {
    auto it = devices.find(serial);
    return it == devices.end() ? std::nullopt : it->second->locationId;
  };
  std::map<Key, const store::AlertCondition*> tracked;
  for (const auto& c : in.conditions) tracked[{c.locationId, c.rule, c.subject}] = &c;

  std::map<Key, Desired> desired;  // the first of equal keys wins (a card seen twice)
  auto want = [&](Desired d) {
    Key k{d.location, d.rule, d.subject};
    desired.emplace(std::move(k), std::move(d));
  };

  // (a) A device silent for more than N hours, from its last packet.
  for (const auto& d : in.devices) {
    auto thr = threshold(d.locationId, "device-silent");
    if (!thr || !d.lastPacketAtMs || now - *d.lastPacketAtMs <= *thr * 1000) continue;
    want({*d.locationId,
          "device-silent",
          d.serial,
          d.serial,
          *d.lastPacketAtMs,
          true,
          false,
          "device-silent",
          kTypeDevice,
          kSubDeviceSilent,
          "",
          {d.serial, d.registration, iso(*d.lastPacketAtMs), inUnit(*thr, kHour)}});
  }

  // (b) A destination of the location backing off for more than N minutes, from when it was
  // first seen failing.
  std::map<std::int64_t, const DestinationInfo*> destinations;
  for (const auto& d : in.destinations) destinations[d.id] = &d;
  for (const auto& [location, ids] : in.locationDestinations) {
    auto thr = threshold(location, "destination-failing");
    if (!thr) continue;
    for (std::int64_t id : ids) {
      auto it = destinations.find(id);
      if (it == destinations.end()) continue;
      const DestinationInfo& d = *it->second;
      if (!d.enabled || d.paused || d.state.consecutiveFailures == 0) continue;
      const std::string subject = std::to_string(id);
      auto row = tracked.find({location, "destination-failing", subject});
      const std::int64_t since = row != tracked.end() ? row->second->sinceMs : now;
      want({location,
            "destination-failing",
            subject,
            kNoDevice,
            since,
            now - since > *thr * 1000,
            false,
            "destination-failing",
            kTypeForwarding,
            kSubDestinationFailing,
            "",
            {d.name, subject, iso(since), d.state.lastError,
             std::to_string(d.state.consecutiveFailures)}});
    }
  }

  // (c) A driver card expiring within N days; once expired, one info.
  for (const auto& f : in.cardExpiries) {
    auto location = locationOf(f.serial);
    auto thr = threshold(location, "card-expiry");
    if (!thr) continue;
    const std::int64_t left = f.expiryMs - now;
    std::vector<std::string> params = {
        f.cardNumber, f.surname, f.firstNames, day(f.expiryMs),
        std::to_string(left <= 0 ? 0 : (left + kDay * 1000 - 1) / (kDay * 1000))};
    if (left <= 0) {
      want({*location, "card-expiry", f.cardNumber + "/expired", f.serial, f.expiryMs, true, true,
            "card-expired", kTypeDriverCard, kSubCardExpired, f.cardNumber, std::move(params)});
    } else if (left <= *thr * 1000) {
      want({*location, "card-expiry", f.cardNumber, f.serial, f.expiryMs - *thr * 1000, true, false,
            "card-expiring", kTypeDriverCard, kSubCardExpiring, f.cardNumber, std::move(params)});
    }
  }

  // (d, e) A download more than N days past its due time.
  for (const auto& f : in.downloadsDue) {
    const bool vu = f.kind == DownloadDueFact::Kind::VehicleUnit;
    const char* rule = vu ? "vu-download-overdue" : "card-download-overdue";
    auto location = locationOf(f.serial);
    auto thr = threshold(location, rule);
    if (!thr || now - f.dueMs <= *thr * 1000) continue;
    const std::string last = f.lastDownloadMs ? iso(*f.lastDownloadMs) : "";
    const std::string overdue = std::to_string((now - f.dueMs) / (kDay * 1000));
    if (vu) {
      want({*location,
            rule,
            f.subject,
            f.serial,
            f.dueMs,
            true,
            false,
            rule,
            kTypeDownload,
            kSubVuDownloadOverdue,
            "",
            {f.subject, f.registration, last, iso(f.dueMs), overdue}});
    } else {
      want({*location,
            rule,
            f.subject,
            f.serial,
            f.dueMs,
            true,
            false,
            rule,
            kTypeDownload,
            kSubCardDownloadOverdue,
            f.subject,
            {f.subject, f.surname, f.firstNames, last, iso(f.dueMs), overdue}});
    }
  }

  // (f) A time-related warning of level 2 (seed 004 section 14.5) in the device's last DDS.
  for (const auto& [serial, seen] : in.timeWarnings) {
    auto location = locationOf(serial);
    if (!threshold(location, "time-warning")) continue;
    if (codecs::timeRelatedState(seen.value).level != 2) continue;
    want({*location,
          "time-warning",
          serial + ":" + std::to_string(seen.value),
          serial,
          seen.atMs,
          true,
          false,
          "time-warning",
          kTypeDrivingTime,
          seen.value,
          seen.cardNumber,
          {seen.cardNumber, timeWarningDescription(language(*location), seen.value),
           std::to_string(seen.value), iso(seen.atMs)}});
  }

  std::vector<Action> out;
  for (auto& [key, d] : desired) {
    auto row = tracked.find(key);
    if (row != tracked.end() && row->second->raisedAtMs) continue;  // raised once, not again
    store::AlertCondition c{d.location, d.rule, d.subject, d.sinceMs, std::nullopt, {}, d.serial};
    if (!d.due) {
      if (row == tracked.end()) out.push_back({Action::Kind::Track, std::move(c), d.serial, {}});
      continue;
    }
    Text text = localise(language(d.location), d.kind, d.params);
    codecs::AlertPacket a{d.card,
                          d.info ? codecs::AlertState::Info : codecs::AlertState::Alert,
                          d.type,
                          d.sub,
                          static_cast<std::uint32_t>(now / 1000),
                          text.title,
                          text.alert,
                          d.params};
    auto bytes = codecs::encodeAlertPacket(a);
    if (!bytes) continue;  // the table's own texts and numbers: cannot happen
    c.raisedAtMs = now;
    c.alert = *bytes;
    out.push_back(
        {d.info ? Action::Kind::Info : Action::Kind::Raise, std::move(c), d.serial, *bytes});
  }
  for (const auto& c : in.conditions) {
    if (desired.count({c.locationId, c.rule, c.subject})) continue;
    if (c.rule == "time-warning" && threshold(c.locationId, "time-warning")) {
      // Only a newer DDS packet of the device ends its warning; not having seen one since a
      // restart does not.
      const std::string serial = c.subject.substr(0, c.subject.find(':'));
      if (!in.timeWarnings.count(serial) && locationOf(serial) == c.locationId) continue;
    }
    const bool info = c.alert.size() > 16 && c.alert[16] == 2;
    if (c.raisedAtMs && !info) {
      out.push_back(
          {Action::Kind::Clear, c, c.serial, clearOf(c.alert, now, language(c.locationId))});
    } else {
      out.push_back({Action::Kind::Forget, c, c.serial, {}});
    }
  }
  return out;
}

}  // namespace dcgw::alerts
