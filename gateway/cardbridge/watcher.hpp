// The card bridge's reader watcher: follows the PC/SC readers and their cards, reads each
// inserted card's extended serial number and maps it to its card number, and reports every card
// that comes and goes. A card also goes when its reader leaves the list (or shows as unknown or
// ignored) and when PC/SC itself is lost (pcscd stopped or restarted: the context is dead); the
// watcher then establishes a new context with a growing delay and reports the cards again.
// PC/SC sits behind ReaderPort so the watcher's logic can be tested without pcscd.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/cardbridge/pcsc.hpp"

namespace dcgw::cardbridge {

// What the watcher needs of PC/SC: one context at a time, re-established after it is lost.
class ReaderPort {
 public:
  virtual ~ReaderPort() = default;
  // (Re-)establishes the context, dropping the previous one.
  virtual PcscStatus open() = 0;
  // As PcscContext::poll: every reader's state, after waiting up to timeoutMs for a change.
  virtual PcscStatus poll(std::vector<ReaderState>& states, int timeoutMs, bool& changed) = 0;
  // The extended serial number of the card in `reader` (held exclusively while it is read).
  virtual PcscStatus readSerial(const std::string& reader, std::array<std::uint8_t, 8>& out) = 0;
  // From any thread: a waiting poll() returns at once.
  virtual void cancel() = 0;
};

// libpcsclite's.
std::unique_ptr<ReaderPort> pcscReaderPort();

struct CardChange {
  std::string reader;
  bool present{false};
  std::string card;  // the card number; "" when its serial number is not in the configuration
  std::array<std::uint8_t, 8> esn{};
  // A card gone: "" when it left its reader (or the reader left); else PC/SC was lost (why).
  std::string lost;
};

class ReaderWatcher {
 public:
  using OnChange = std::function<void(const CardChange&)>;
  struct Options {
    std::map<std::string, std::string> cards;        // extended serial number (hex) -> number
    std::function<bool(const std::string&)> usable;  // readers to watch; empty: all
    int pollMs{1000};
    int retryFirstMs{500};  // re-establishing a lost context: doubling to retryMaxMs
    int retryMaxMs{8000};
    int errorsBeforeLost{3};  // other PC/SC errors in a row that count as the context lost
  };
  ReaderWatcher(std::unique_ptr<ReaderPort> port, Options o, OnChange onChange);
  ReaderWatcher(const ReaderWatcher&) = delete;
  ReaderWatcher& operator=(const ReaderWatcher&) = delete;

  // Watches until stop().
  void run();
  void stop();

 private:
  bool establish(int& delay);  // false on stop
  void lose(const std::string& why);
  void update(const std::vector<ReaderState>& states);
  bool wait(int ms);  // false on stop

  std::unique_ptr<ReaderPort> port_;
  Options o_;
  OnChange onChange_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_{false};
  std::map<std::string, CardChange> held_;  // reader -> the card in it (reported present)
};

}  // namespace dcgw::cardbridge
