// The card bridge (schema/card-bridge.md): watches the PC/SC readers, reads each inserted card's
// extended serial number and reports the card number it stands for, keeps a connection to the
// gateway (reconnecting with a growing delay), and serves the sessions the gateway relays: one
// worker thread per session holds its card exclusively, resets it, and transmits the APDUs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/cardbridge/config.hpp"
#include "gateway/cardbridge/watcher.hpp"

namespace dcgw::common {
class FrameLink;
}

namespace dcgw::cardbridge {

class SessionWorker;

struct BridgeStats {
  std::uint64_t logins{0};
  std::uint64_t sessions{0};
  std::uint64_t apdus{0};
  std::uint64_t transmitUsSum{0};  // time spent at the cards (SCardTransmit), all APDUs
  std::uint64_t transmits{0};
};

class Bridge {
 public:
  // `port`: the PC/SC the reader watcher uses (tests give their own); default libpcsclite's.
  explicit Bridge(BridgeConfig config, std::unique_ptr<ReaderPort> port = nullptr);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Runs until stop() (or a refused configuration: returns false with the reason logged).
  void run();
  void stop();
  BridgeStats stats() const;

 private:
  struct ReaderCard {
    bool present{false};
    std::string card;  // "" when its serial number is not in the configuration
    std::string esn;   // hex
  };
  // From the watcher: a card came or went (its sessions end, the gateway is told).
  void cardChanged(const CardChange& change);
  void serve(common::FrameLink& link, std::uint64_t generation);
  bool login(common::FrameLink& link);
  void handle(std::uint8_t kind, const codecs::Bytes& body, std::uint64_t generation);
  void reportAll();
  void endAllSessions();
  bool usable(const std::string& reader) const;
  // From the watcher and the workers: frames to send on the current link (of `generation`).
  void post(codecs::Bytes frames, std::uint64_t generation);

  BridgeConfig c_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<ReaderWatcher> watcher_;
  std::thread watcherThread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ReaderCard> readers_;  // by reader name
  std::deque<codecs::Bytes> outbox_;
  std::uint64_t generation_{0};  // of the current link; 0: none
  common::FrameLink* link_{nullptr};
  std::map<std::uint32_t, std::unique_ptr<SessionWorker>> sessions_;
  // Ended (or failed) sessions whose worker is still resetting its card: joined by the link
  // thread once finished, never waited for (a card stuck in a transmit must not hold the rest).
  std::vector<std::unique_ptr<SessionWorker>> retiring_;
  void reap(bool all);
  // The session's worker leaves the table (ending it); SESSION_ENDED is posted when `answer`.
  void retire(std::uint32_t session, bool answer);
  // WELCOME's timers (schema/card-bridge.md sections 2 and 7) of the current link.
  int heartbeatMs_{30'000};
  int idleMs_{90'000};
  std::uint32_t apduTimeoutMs_{5000};
  BridgeStats stats_;
};

}  // namespace dcgw::cardbridge
