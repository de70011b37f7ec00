// CardLogWriter: the relay's log, written in batches off the event loops.
#include "gateway/cardauth/card_log_writer.hpp"

#include <spdlog/spdlog.h>

namespace dcgw::cardauth {

namespace {
constexpr std::size_t kMaxQueued = 100'000;
}

CardLogWriter::CardLogWriter(store::CardLog& log) : log_(log), thread_([this] { run(); }) {}

CardLogWriter::~CardLogWriter() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CardLogWriter::add(const std::vector<Event>& events, const std::vector<EndedSession>& ended) {
  {
    std::lock_guard l(mu_);
    for (const auto& e : events)
      events_.push_back({0, e.atMs, e.card, e.serial, e.bridge, e.code, e.text});
    for (const auto& s : ended)
      sessions_.push_back({0, s.card, s.serial, s.bridge, s.requestedAtMs, s.openedAtMs,
                           s.endedAtMs, s.outcome, s.apdus});
    while (events_.size() > kMaxQueued) {
      events_.pop_front();
      ++dropped_;
    }
    while (sessions_.size() > kMaxQueued) {
      sessions_.pop_front();
      ++dropped_;
    }
  }
  cv_.notify_one();
}

void CardLogWriter::flush() {
  std::unique_lock l(mu_);
  idle_.wait(l, [this] { return events_.empty() && sessions_.empty() && !writing_; });
}

std::uint64_t CardLogWriter::dropped() const {
  std::lock_guard l(mu_);
  return dropped_;
}

void CardLogWriter::run() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || !events_.empty() || !sessions_.empty(); });
    if (events_.empty() && sessions_.empty()) break;  // stopping, all written
    std::vector<store::CardEventRecord> events(events_.begin(), events_.end());
    std::vector<store::CardSessionRecord> sessions(sessions_.begin(), sessions_.end());
    events_.clear();
    sessions_.clear();
    writing_ = true;
    l.unlock();
    try {
      log_.recordCardEvents(events);
      log_.recordCardSessions(sessions);
    } catch (const std::exception& e) {
      spdlog::error("card log: {} events and {} sessions not kept: {}", events.size(),
                    sessions.size(), e.what());
    }
    l.lock();
    writing_ = false;
    idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace dcgw::cardauth
