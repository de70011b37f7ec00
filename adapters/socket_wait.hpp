// Receiving on a ping-pong connection without paying a sleep and a wake-up per message, while
// that pays.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <cstdint>

namespace dcgw::adapters {

// Waits for a peer's answer, spinning for up to `limit` before sleeping: a ping-pong peer on the
// same machine usually answers within tens of microseconds, and on a small virtual machine
// putting the thread to sleep and waking it costs more than the exchange itself.
//
// A spin that ends without the answer burned its whole limit for nothing, and it does so on
// every message when the peer is far away or the cores are busy (the peer cannot answer while
// we hold the core it needs). So each such spin doubles the number of waits that go straight
// to sleep (1, 2, 4 ... 1,024), and a spin that finds the answer resets it: on a loaded machine
// about one wait in a thousand spins; on an idle one, every wait does.
class AdaptiveSpin {
 public:
  static constexpr std::uint32_t kMaxSkip = 1024;

  explicit AdaptiveSpin(std::chrono::microseconds limit = std::chrono::microseconds(50))
      : limit_(limit) {}

  // Calls `ready` (true: stop waiting) until it says so or the limit passes; false without
  // calling it when spinning does not pay at the moment.
  template <class Ready>
  bool spin(Ready&& ready) {
    if (skip_ > 0) {
      --skip_;
      return false;
    }
    ++spins_;
    const auto until = std::chrono::steady_clock::now() + limit_;
    do {
      if (ready()) {
        backoff_ = 1;
        return true;
      }
    } while (std::chrono::steady_clock::now() < until);
    ++missed_;
    skip_ = backoff_;
    if (backoff_ < kMaxSkip) backoff_ *= 2;
    return false;
  }

  // Spins on a non-blocking recv, then falls back to the socket's blocking receive.
  // Returns what recv returned (0: closed); throws Poco::TimeoutException after the socket's
  // receive timeout, as StreamSocket::receiveBytes does.
  int receive(Poco::Net::StreamSocket& socket, void* buffer, int length);

  std::uint64_t spins() const { return spins_; }    // waits that spun
  std::uint64_t missed() const { return missed_; }  // spins that ended without the answer

 private:
  std::chrono::microseconds limit_;
  std::uint32_t skip_ = 0;     // waits left that go straight to sleep
  std::uint32_t backoff_ = 1;  // how many to skip after the next spin that misses
  std::uint64_t spins_ = 0;
  std::uint64_t missed_ = 0;
};

}  // namespace dcgw::adapters
