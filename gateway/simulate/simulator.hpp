// `dcgw simulate`: N trackers speaking the uplink protocol (schema/uplink.md) from one epoll
// thread, for load, reconnect and rejection tests of the gateway's listener.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::simulate {

struct Options {
  std::string host{"127.0.0.1"};
  std::uint16_t port{7700};
  std::uint32_t devices{1};
  std::uint64_t firstSerial{12345678};
  codecs::Bytes key;  // parsed from --key (the demo key of etc/dcgw.json by default)
  double rate{10};    // packets per second over all devices; 0: only hold connections
  double durationSeconds{10};
  bool durationGiven{false};  // --count alone sends until the count, however long it takes
  std::optional<std::uint64_t> count;
  std::uint32_t window{64};
  std::uint64_t invalidEvery{0};
  std::uint64_t dropEvery{0};
  double connectRate{5000};
  double reconnectEverySeconds{0};  // --reconnect-every: every logged-in device at once; 0 never
  double warmupSeconds{0};  // --warmup: packets sent this early in the run leave latency out
  double drainSeconds{10};
  std::string registration;
  std::string provisionDb;
  std::string location;
  std::string logFile;
  bool json{false};
  bool tls{false};
  std::string caFile;
  bool insecure{false};
  bool help{false};
};

// The options of `dcgw simulate`; the error's field is the option and its `expected` says what
// the value should have been (the message quotes the bad value).
codecs::Result<Options> parseOptions(const std::vector<std::string>& args);

struct Summary {
  std::uint64_t devices{0}, loggedIn{0}, sent{0}, resent{0}, acknowledged{0}, rejected{0};
  std::uint64_t reconnects{0};
  std::map<std::string, std::uint64_t> errors;  // ERROR code name (and client-side causes)
  double p50Ms{0}, p99Ms{0}, maxMs{0};
  // From the first packet sent to the later of the end of sending and the last ACK: the time
  // the acknowledged packets actually took, so a gateway that lags is not flattered.
  double seconds{0};

  std::uint64_t outstanding() const {
    std::uint64_t done = acknowledged + rejected;
    return sent > done ? sent - done : 0;
  }
  double ackRate() const { return seconds > 0 ? static_cast<double>(acknowledged) / seconds : 0; }
};

// Text (one line per figure) or one JSON object line.
void printSummary(const Summary& s, bool json, std::ostream& out);

// Nearest-rank percentile of latencies in microseconds, in milliseconds. Sorts `micros`.
double percentileMs(std::vector<std::uint32_t>& micros, double percentile);

// The packets of one device that were neither acknowledged nor rejected, in sequence order.
// The front part has been sent on the current connection; after a reconnect, restart() makes
// all of it unsent again so it is resent in order with the original sequences.
class Outbox {
 public:
  struct Entry {
    std::uint32_t sequence{0};
    std::uint32_t pool{0};  // index in the PacketMix
    bool invalid{false};
    bool rejected{false};
    bool everSent{false};
    std::int64_t sentAtUs{0};  // the latest send
  };

  void add(std::uint32_t sequence, std::uint32_t pool, bool invalid);
  // The next entry to send on this connection (rejected ones are skipped); nullptr if none.
  Entry* nextUnsent();
  // REQUIRES: nextUnsent() != nullptr. Returns true when it is a resend.
  bool markSent(std::int64_t nowUs);
  // Whether sequence a comes at or before b in sending order: RFC 1982 serial-number
  // arithmetic, so 4,294,967,295 comes before 1 (the outbox spans far less than 2^31).
  static bool atOrBefore(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::uint32_t>(b - a) < (std::uint32_t{1} << 31);
  }
  // ACK n: drops every sent entry with sequence at or before n; calls f(entry) for each that
  // was not rejected. Returns how many were acknowledged.
  template <class F>
  std::size_t ack(std::uint32_t n, F&& f) {
    std::size_t acked = 0;
    while (sent_ > 0 && atOrBefore(at(0).sequence, n)) {
      Entry& e = at(0);
      if (!e.rejected) {
        f(e);
        ++acked;
        --inFlight_;
        --live_;
      }
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
      --sent_;
    }
    return acked;
  }
  // REJECT n: the entry, if it was sent on this connection and is still there; else nullptr.
  const Entry* reject(std::uint32_t n);
  // A new connection: nothing of the outbox is sent on it yet.
  void restart();
  // After SEQUENCE_OUT_OF_RANGE: every entry is numbered again from `next`, in order (none of
  // them was stored); `next` ends after the last one.
  void renumber(std::uint32_t& next);

  std::size_t inFlight() const { return inFlight_; }  // sent here, not acknowledged/rejected
  std::size_t live() const { return live_; }          // neither acknowledged nor rejected
  bool hasUnsent() const;

 private:
  Entry& at(std::size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  const Entry& at(std::size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }

  std::vector<Entry> ring_;  // a power-of-two ring, grown by doubling (no allocation per packet)
  std::size_t head_{0}, size_{0};
  std::size_t sent_{0};  // entries [0, sent_) were sent (or skipped as rejected) on this link
  std::size_t inFlight_{0}, live_{0};
};

// Runs `dcgw simulate ARGS`: 0 when every device logged in and nothing is outstanding, 1
// otherwise, 2 for a bad argument.
int runSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// `dcgw simulate --card-session`: one tracker's company-card session (card_session.cpp).
int runCardSession(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// `dcgw simulate --upload FILE`: one tracker uploading a tachograph file (file_upload.cpp).
int runFileUpload(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::simulate
