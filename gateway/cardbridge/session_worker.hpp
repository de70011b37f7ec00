// One session of the card bridge: a thread with a PC/SC context of its own that holds the card
// exclusively from SESSION_START to SESSION_END, and answers each job with the frame to send.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "codecs/bytes.hpp"
#include "gateway/cardbridge/pcsc.hpp"

namespace dcgw::cardbridge {

class SessionWorker {
 public:
  using Send = std::function<void(codecs::Bytes frames)>;
  // How long each APDU took at the card (SCardTransmit), in microseconds.
  using Observe = std::function<void(std::int64_t us)>;

  // Starts the session: connect (protocol 0x00, 0x01 or 0xFF; a card held by another
  // connection is waited for up to `busyWaitMs`), reset, ATR; answers SESSION_STARTED or
  // SESSION_FAILED through `send`.
  SessionWorker(std::uint32_t session, std::string reader, std::uint8_t protocol, bool logApdus,
                Send send, Observe observe = nullptr, int busyWaitMs = 0);
  ~SessionWorker();  // ends the session (the card reset and released) if it was not ended
  SessionWorker(const SessionWorker&) = delete;
  SessionWorker& operator=(const SessionWorker&) = delete;

  void transmit(std::uint16_t number, codecs::Bytes apdu);
  // SESSION_END: the card reset and released, then SESSION_ENDED (when `answer`). An APDU in
  // flight is not answered any more, and none queued is sent.
  void end(bool answer);
  // Ends the session from the bridge's side (its card left, PC/SC lost): the card reset and
  // released, then SESSION_FAILED, unless the session failed already.
  void fail(std::uint8_t failure, std::string text);
  bool finished() const;
  // The session could not go on (its card gone, a reader error): it holds no card any more.
  bool failed() const;
  const std::string& reader() const { return reader_; }

 private:
  struct Job {
    enum { Transmit, End } what;
    std::uint16_t number{0};
    codecs::Bytes apdu;
    bool answer{true};
    std::uint8_t failure{0};  // End: SESSION_FAILED with this failure instead
    std::string text;
  };
  void push(Job job);
  bool ending() const;
  PcscStatus connectWaiting(PcscContext& ctx, const std::string& reader, std::uint8_t protocol,
                            std::unique_ptr<PcscCard>& card);
  void run(std::string reader, std::uint8_t protocol);

  const std::uint32_t session_;
  const std::string reader_;
  const bool logApdus_;
  const int busyWaitMs_;
  Send send_;
  Observe observe_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool ending_{false};
  bool finished_{false};
  bool failed_{false};
  std::thread thread_;
};

// "SELECT", "READ BINARY", "INTERNAL AUTHENTICATE"... for logs that must not hold APDU data.
const char* instructionName(std::uint8_t ins);

}  // namespace dcgw::cardbridge
