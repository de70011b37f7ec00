// Gathers the rules' inputs from the store, evaluates, ingests the packets, records the state.
#include "gateway/alerts/engine.hpp"

#include <algorithm>
#include <future>
#include <set>

#include <spdlog/spdlog.h>

namespace dcgw::alerts {

AlertEngine::AlertEngine(store::Backend& store, ingest::Ingestor& ingestor, common::Clock& clock,
                         common::ChangeFeed* feed, AlertFacts* facts, Options options)
    : store_(store), ingestor_(ingestor), clock_(clock), facts_(facts), options_(options) {
  if (feed) {
    subscription_ = feed->subscribe([this](const std::vector<common::Change>& changes) {
      for (const auto& c : changes) {
        if (c.kind == common::Change::Kind::LocationChanged ||
            c.kind == common::Change::Kind::DeviceChanged ||
            c.kind == common::Change::Kind::DestinationChanged) {
          {
            std::lock_guard l(mu_);
            wake_ = true;
          }
          cv_.notify_one();
          return;
        }
      }
    });
  }
}

AlertEngine::~AlertEngine() {
  stop();
}

void AlertEngine::start() {
  std::lock_guard l(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  clock_.onAdvance(this, [this] { cv_.notify_one(); });
  thread_ = std::thread([this] { loop(); });
}

void AlertEngine::stop() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
    clock_.removeAdvance(this);
  }
  subscription_.reset();
}

void AlertEngine::loop() {
  std::int64_t next = clock_.nowMs();
  std::int64_t earliest = next;  // a wake-up runs no sooner than this
  for (;;) {
    {
      std::unique_lock l(mu_);
      for (;;) {
        const std::int64_t now = clock_.nowMs();
        if (stop_ || now >= next || (wake_ && now >= earliest)) break;
        clock_.waitFor(cv_, l, (wake_ ? std::min(next, earliest) : next) - now);
      }
      if (stop_) return;
      wake_ = false;
    }
    try {
      if (!options_.active || options_.active()) runOnce();
    } catch (const std::exception& e) {
      // A store that cannot be read now (busy, lost): the next round tries again.
      spdlog::warn("alerts: evaluation failed: {}", e.what());
    }
    const std::int64_t now = clock_.nowMs();
    next = now + options_.intervalMs;
    // Wake-ups come with packets (a driving-time warning changing) and changes: under load,
    // one run per minWakeGapMs at most, not one per packet.
    earliest = now + options_.minWakeGapMs;
  }
}

void AlertEngine::onPacket(const std::string& serial, codecs::ByteView p) {
  if (p.size() < 24 || (p[0] != 0x4D && p[0] != 0x6D) || p[1] < 0x02 || p[1] > 0x04) return;
  const std::uint8_t value = p[23];
  if (value == 0xFF) return;  // NULL: the tachograph gave none (14.1-14.3 note 4)
  std::string card(p.begin() + 6, p.begin() + 20);
  while (!card.empty() && (card.back() == ' ' || card.back() == '\0')) card.pop_back();
  // A slot without a card holds 0xFF bytes: only printable ASCII is a card number.
  for (char c : card)
    if (c < 0x20 || c > 0x7E) {
      card.clear();
      break;
    }
  bool changed, record;
  const std::int64_t now = clock_.nowMs();
  {
    std::lock_guard l(seenMu_);
    auto& s = seen_[serial];
    changed = s.value != value || s.atMs == 0;
    s = {card, value, now};
    // Recorded when it changed, when the last write failed, and on several nodes again once an
    // evaluation interval after this node last recorded it: the tracker may have sent another
    // value to another node meanwhile, which this node's memory does not know.
    const std::int64_t at = recordedAt_[serial];
    record = changed || at == 0 || (store_.cluster() != nullptr && now - at >= options_.intervalMs);
  }
  if (record) {
    // For whichever node evaluates the rules (on several nodes, the leader); this node's own
    // evaluation reads seen_ as well.
    try {
      store_.recordTimeWarning({serial, card, value, now});
      std::lock_guard l(seenMu_);
      recordedAt_[serial] = now;
    } catch (const std::exception& e) {
      std::lock_guard l(seenMu_);
      recordedAt_[serial] = 0;
      spdlog::warn("alerts: serial {}: the time-related warning was not recorded: {}", serial,
                   e.what());
    }
  }
  if (changed) {
    {
      std::lock_guard l(mu_);
      wake_ = true;
    }
    cv_.notify_one();
  }
}

bool AlertEngine::ingest(const Action& a) {
  store::IngestItem item;
  item.serial = a.serial;
  item.packet = a.packet;
  item.receivedAtMs = clock_.nowMs();
  item.location = a.condition.locationId;
  std::promise<ingest::Outcome> done;
  auto f = done.get_future();
  ingestor_.submit(std::move(item), [&done](const ingest::Outcome& o) { done.set_value(o); });
  const ingest::Outcome o = f.get();
  if (!o.ok()) {
    spdlog::warn("alerts: serial {}: location {} rule {} ({}): the alert was not stored: {}",
                 a.serial, a.condition.locationId, a.condition.rule, a.condition.subject,
                 o.error.expected);
    return false;
  }
  return true;
}

int AlertEngine::runOnce() {
  std::lock_guard run(runMu_);
  Inputs in;
  in.nowMs = clock_.nowMs();
  in.settings = store_.allAlertSettings();
  in.conditions = store_.alertConditions();
  std::set<std::string> on;  // the rules some location has switched on
  for (const auto& s : in.settings)
    for (const auto& r : s.rules) on.insert(r.rule);
  // Nothing switched on and nothing to clear: a gateway whose admins use no alerts pays for
  // none (the inputs below read every device, and compliance every download).
  if (on.empty() && in.conditions.empty()) return 0;
  for (const auto& l : store_.locations()) in.locationDestinations[l.id] = l.destinationIds;
  in.devices = store_.devices();
  for (const auto& d : store_.destinations())
    in.destinations.push_back({d.id, d.settings.name, d.enabled, d.paused, store_.state(d.id)});
  if (facts_) {
    if (on.count("card-expiry")) in.cardExpiries = facts_->cardExpiries();
    if (on.count("vu-download-overdue") || on.count("card-download-overdue"))
      in.downloadsDue = facts_->downloadsDue();
  }
  // Every node's trackers' warnings from the store, this node's newer ones from memory; read
  // only when the rule is on somewhere or one of its conditions is still tracked.
  bool warnings = on.count("time-warning") != 0;
  for (const auto& c : in.conditions) warnings = warnings || c.rule == "time-warning";
  if (warnings)
    for (const auto& w : store_.timeWarnings())
      in.timeWarnings[w.serial] = {w.cardNumber, static_cast<std::uint8_t>(w.value), w.atMs};
  {
    std::lock_guard l(seenMu_);
    for (const auto& [serial, seen] : seen_) {
      auto& t = in.timeWarnings[serial];
      if (seen.atMs >= t.atMs) t = seen;
    }
  }
  int stored = 0;
  for (const Action& a : evaluate(in)) {
    switch (a.kind) {
      case Action::Kind::Track:
        store_.putAlertCondition(a.condition);
        break;
      case Action::Kind::Forget:
        store_.removeAlertCondition(a.condition.locationId, a.condition.rule, a.condition.subject);
        break;
      case Action::Kind::Raise:
      case Action::Kind::Info:
        if (!ingest(a)) break;
        store_.putAlertCondition(a.condition);
        ++raised_;
        ++stored;
        spdlog::info("alerts: serial {}: raised {} ({}) for location {}", a.serial,
                     a.condition.rule, a.condition.subject, a.condition.locationId);
        break;
      case Action::Kind::Clear:
        if (!ingest(a)) break;
        store_.removeAlertCondition(a.condition.locationId, a.condition.rule, a.condition.subject);
        ++cleared_;
        ++stored;
        spdlog::info("alerts: serial {}: cleared {} ({}) for location {}", a.serial,
                     a.condition.rule, a.condition.subject, a.condition.locationId);
        break;
    }
  }
  return stored;
}

}  // namespace dcgw::alerts
