// A card-bridge session on its own thread and PC/SC context.
#include "gateway/cardbridge/session_worker.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "codecs/cardbridge/frame.hpp"
#include "gateway/cardbridge/pcsc.hpp"

namespace dcgw::cardbridge {

namespace cb = codecs::cardbridge;
using codecs::Bytes;

namespace {

// The PC/SC results that mean the card is not there (any more).
bool cardGone(long code) {
  return code == static_cast<long>(0x8010000C) ||  // SCARD_E_NO_SMARTCARD
         code == static_cast<long>(0x80100069) ||  // SCARD_W_REMOVED_CARD
         code == static_cast<long>(0x80100067) ||  // SCARD_W_UNPOWERED_CARD
         code == static_cast<long>(0x80100068) ||  // SCARD_W_RESET_CARD
         code == static_cast<long>(0x80100017);    // SCARD_E_READER_UNAVAILABLE
}

std::string statusWord(const Bytes& r) {
  return r.size() < 2 ? std::string("-") : codecs::toHex(Bytes(r.end() - 2, r.end()));
}

}  // namespace

const char* instructionName(std::uint8_t ins) {
  switch (ins) {
    case 0xA4:
      return "SELECT";
    case 0xB0:
      return "READ BINARY";
    case 0xD6:
      return "UPDATE BINARY";
    case 0x84:
      return "GET CHALLENGE";
    case 0x88:
      return "INTERNAL AUTHENTICATE";
    case 0x82:
      return "EXTERNAL AUTHENTICATE";
    case 0x22:
      return "MSE";
    case 0x2A:
      return "PSO";
    case 0xC0:
      return "GET RESPONSE";
    case 0x20:
      return "VERIFY";
    case 0x86:
      return "GENERAL AUTHENTICATE";
    default:
      return "instruction";
  }
}

SessionWorker::SessionWorker(std::uint32_t session, std::string reader, std::uint8_t protocol,
                             bool logApdus, Send send, Observe observe, int busyWaitMs)
    : session_(session),
      reader_(reader),
      logApdus_(logApdus),
      busyWaitMs_(busyWaitMs),
      send_(std::move(send)),
      observe_(std::move(observe)) {
  thread_ = std::thread([this, reader = std::move(reader), protocol] { run(reader, protocol); });
}

SessionWorker::~SessionWorker() {
  end(false);
  if (thread_.joinable()) thread_.join();
}

void SessionWorker::transmit(std::uint16_t number, Bytes apdu) {
  std::lock_guard l(mu_);
  jobs_.push_back(Job{Job::Transmit, number, std::move(apdu), true, 0, {}});
  cv_.notify_all();
}

void SessionWorker::end(bool answer) {
  push(Job{Job::End, 0, {}, answer, 0, {}});
}

void SessionWorker::fail(std::uint8_t failure, std::string text) {
  push(Job{Job::End, 0, {}, false, failure, std::move(text)});
}

void SessionWorker::push(Job job) {
  std::lock_guard l(mu_);
  if (ending_) return;
  ending_ = true;
  jobs_.push_back(std::move(job));
  cv_.notify_all();
}

bool SessionWorker::finished() const {
  std::lock_guard l(mu_);
  return finished_;
}

bool SessionWorker::failed() const {
  std::lock_guard l(mu_);
  return failed_;
}

bool SessionWorker::ending() const {
  std::lock_guard l(mu_);
  return ending_;
}

PcscStatus SessionWorker::connectWaiting(PcscContext& ctx, const std::string& reader,
                                         std::uint8_t protocol, std::unique_ptr<PcscCard>& card) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(busyWaitMs_);
  for (;;) {
    PcscStatus s = PcscCard::connect(ctx, reader, protocol, card);
    if (s || !cardBusy(s.code) || std::chrono::steady_clock::now() >= until || ending()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void SessionWorker::run(std::string reader, std::uint8_t protocol) {
  auto fail = [this](cb::Failure f, const std::string& why) {
    spdlog::warn("card bridge: session {}: {}: {}", session_,
                 cb::failureName(static_cast<std::uint8_t>(f)), why);
    Bytes out;
    cb::appendSessionFailed(out, session_, f, why);
    send_(std::move(out));
    std::lock_guard l(mu_);
    failed_ = true;
  };
  // After a failure the card is still reset and released (never left in its security state).
  auto drop = [this](std::unique_ptr<PcscCard>& held) {
    if (!held) return;
    if (auto s = held->release(true); !s)
      spdlog::warn("card bridge: session {}: {}", session_, s.what);
    held.reset();
  };
  auto finish = [this] {
    std::lock_guard l(mu_);
    finished_ = true;
  };
  PcscContext ctx;
  std::unique_ptr<PcscCard> card;
  Bytes atr;
  if (!ctx.ok()) {
    fail(cb::Failure::ReaderError, ctx.ok().what);
  } else if (auto s = connectWaiting(ctx, reader, protocol, card); !s) {
    fail(s.code == static_cast<long>(0x8010000F) ? cb::Failure::ProtocolUnavailable  // MISMATCH
         : cardGone(s.code)                      ? cb::Failure::CardGone
                                                 : cb::Failure::ReaderError,
         s.what);
  } else if (auto r = card->reset(); !r) {
    drop(card);
    fail(cardGone(r.code) ? cb::Failure::CardGone : cb::Failure::ReaderError, r.what);
  } else if (auto a = card->atr(atr); !a || atr.empty() || atr.size() > 33) {
    drop(card);
    fail(cardGone(a.code) ? cb::Failure::CardGone : cb::Failure::ReaderError,
         a ? "the card's ATR has " + std::to_string(atr.size()) + " bytes" : a.what);
  } else {
    spdlog::info("card bridge: session {} started in '{}' ({}), ATR {}", session_, reader,
                 card->protocol() ? "T=1" : "T=0", codecs::toHex(atr));
    Bytes out;
    cb::appendSessionStarted(out, session_, card->protocol(), atr);
    send_(std::move(out));
  }
  for (;;) {
    Job job;
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.what == Job::End) {
      drop(card);
      if (job.failure && !failed()) {
        fail(static_cast<cb::Failure>(job.failure), job.text);
      } else {
        spdlog::info("card bridge: session {} ended; the card was reset", session_);
        if (job.answer) {
          Bytes out;
          cb::appendSessionEnded(out, session_);
          send_(std::move(out));
        }
      }
      finish();
      return;
    }
    if (ending()) continue;  // the session is over: no APDU goes to the card any more
    if (!card) {             // failed already: the session is over at both sides (schema section 5)
      Bytes out;
      cb::appendSessionFailed(out, session_, cb::Failure::NotHere,
                              "session " + std::to_string(session_) + " is over");
      send_(std::move(out));
      continue;
    }
    Bytes response;
    const auto began = std::chrono::steady_clock::now();
    const auto s = card->transmit(job.apdu, response);
    if (observe_)
      observe_(std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - began)
                   .count());
    const std::string what = logApdus_ ? codecs::toHex(job.apdu)
                                       : instructionName(job.apdu.size() > 1 ? job.apdu[1] : 0);
    if (!s || response.size() < 2) {
      // A card pulled in the middle of an APDU shows as a failed transaction or as a reply of
      // under 2 bytes; the reader's state tells it from a reader failure, once pcscd noticed:
      // it polls its readers every 400 ms, later on a loaded machine, so up to 2 s are waited.
      bool gone = s ? true : cardGone(s.code);
      for (int i = 0; !gone && i < 40; ++i) {
        Bytes atr;
        const auto st = card->atr(atr);
        gone = !st && cardGone(st.code);
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      drop(card);
      fail(gone ? cb::Failure::CardGone : cb::Failure::ReaderError,
           s ? "the card answered " + std::to_string(response.size()) + " bytes" : s.what);
      continue;
    }
    if (response.size() > 258) {
      drop(card);
      fail(cb::Failure::ReaderError, "the card answered " + std::to_string(response.size()) +
                                         " bytes, more than a short response APDU");
      continue;
    }
    if (ending()) {  // SESSION_END came meanwhile: the session is over, the answer is not sent
      spdlog::debug("card bridge: session {} APDU {} answered after the session's end", session_,
                    job.number);
      continue;
    }
    spdlog::debug("card bridge: session {} APDU {}: {} -> {}", session_, job.number, what,
                  logApdus_ ? codecs::toHex(response) : statusWord(response));
    Bytes out;
    cb::appendTransmitted(out, session_, job.number, response);
    send_(std::move(out));
  }
}

}  // namespace dcgw::cardbridge
