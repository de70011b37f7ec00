// The reader watcher and libpcsclite's ReaderPort.
#include "gateway/cardbridge/watcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace dcgw::cardbridge {

namespace {

class PcscReaderPort : public ReaderPort {
 public:
  PcscStatus open() override {
    auto ctx = std::make_unique<PcscContext>();
    PcscStatus s = ctx->ok();
    std::lock_guard l(mu_);
    ctx_ = s ? std::move(ctx) : nullptr;
    return s;
  }
  PcscStatus poll(std::vector<ReaderState>& states, int timeoutMs, bool& changed) override {
    if (!ctx_) return PcscStatus{-1, "no PC/SC context"};
    return ctx_->poll(states, timeoutMs, changed);
  }
  PcscStatus readSerial(const std::string& reader, std::array<std::uint8_t, 8>& out) override {
    if (!ctx_) return PcscStatus{-1, "no PC/SC context"};
    std::unique_ptr<PcscCard> card;
    PcscStatus s = PcscCard::connect(*ctx_, reader, 0xFF, card);
    if (s) s = readExtendedSerial(*card, out);
    if (card) card->release(false);
    return s;
  }
  void cancel() override {
    std::lock_guard l(mu_);
    if (ctx_) ctx_->cancel();
  }

 private:
  std::mutex mu_;  // ctx_ is replaced by the watcher's thread, cancelled from others
  std::unique_ptr<PcscContext> ctx_;
};

}  // namespace

std::unique_ptr<ReaderPort> pcscReaderPort() {
  return std::make_unique<PcscReaderPort>();
}

ReaderWatcher::ReaderWatcher(std::unique_ptr<ReaderPort> port, Options o, OnChange onChange)
    : port_(std::move(port)), o_(std::move(o)), onChange_(std::move(onChange)) {}

void ReaderWatcher::stop() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  port_->cancel();
}

bool ReaderWatcher::wait(int ms) {
  std::unique_lock l(mu_);
  return !cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return stop_; });
}

bool ReaderWatcher::establish(int& delay) {
  for (;;) {
    {
      std::lock_guard l(mu_);
      if (stop_) return false;
    }
    const PcscStatus s = port_->open();
    if (s) return true;
    spdlog::error("card bridge: PC/SC: {} (is pcscd running?); retrying in {} s", s.what,
                  delay / 1000.0);
    if (!wait(delay)) return false;
    delay = std::min(delay * 2, o_.retryMaxMs);
  }
}

// PC/SC is lost: every card it showed is gone until a new context shows it again.
void ReaderWatcher::lose(const std::string& why) {
  spdlog::error("card bridge: PC/SC lost ({}); the cards are reported removed until it is back",
                why);
  auto held = std::move(held_);
  held_.clear();
  for (auto& [reader, c] : held) {
    c.present = false;
    c.lost = why;
    onChange_(c);
  }
}

void ReaderWatcher::update(const std::vector<ReaderState>& states) {
  std::set<std::string> present;
  for (const auto& st : states)
    if (st.present && (!o_.usable || o_.usable(st.reader))) present.insert(st.reader);
  // Gone: a card no longer present, or its reader no longer in the list.
  for (auto it = held_.begin(); it != held_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    CardChange c = std::move(it->second);
    it = held_.erase(it);
    c.present = false;
    c.lost.clear();
    onChange_(c);
  }
  for (const auto& reader : present) {
    if (held_.count(reader)) continue;
    CardChange c;
    c.reader = reader;
    c.present = true;
    // The card is free (no session can be on a card not yet reported): read its serial number.
    if (auto s = port_->readSerial(reader, c.esn); !s) {
      spdlog::warn("card bridge: cannot read the card in reader '{}': {}", reader, s.what);
      continue;  // tried again on the next poll
    }
    const std::string esn = codecs::toHex(codecs::Bytes(c.esn.begin(), c.esn.end()));
    if (auto known = o_.cards.find(esn); known == o_.cards.end()) {
      spdlog::warn(
          "card bridge: the card in reader '{}' (extended serial number {}) is not in the "
          "configuration; add it to \"cards\" with its card number",
          reader, esn);
    } else {
      c.card = known->second;
      spdlog::info("card bridge: card {} in reader '{}'", c.card, reader);
    }
    held_[reader] = c;
    onChange_(c);
  }
}

void ReaderWatcher::run() {
  std::vector<ReaderState> states;
  int delay = o_.retryFirstMs;  // grows while PC/SC fails, back to the first after a good poll
  while (establish(delay)) {
    int errors = 0;
    for (;;) {
      {
        std::lock_guard l(mu_);
        if (stop_) return;
      }
      bool changed = false;
      const PcscStatus s = port_->poll(states, o_.pollMs, changed);
      if (s) {
        errors = 0;
        delay = o_.retryFirstMs;
        update(states);
        continue;
      }
      if (contextLost(s.code) || ++errors >= o_.errorsBeforeLost) {
        lose(s.what);
        break;
      }
      spdlog::warn("card bridge: {}", s.what);
      if (!wait(500)) return;
    }
    if (!wait(delay)) return;
    delay = std::min(delay * 2, o_.retryMaxMs);
  }
}

}  // namespace dcgw::cardbridge
