// A fake tachograph company card for the tests, in a PC/SC reader without hardware: it speaks
// the socket protocol of vsmartcard's virtual reader (vpcd, Debian's vsmartcard-vpcd), which
// pcscd loads as a reader driver. Each message is a 2-byte big-endian length and its bytes; a
// 1-byte message is a command of the reader (0 power off, 1 power on, 2 reset, 4 the ATR, which
// the card answers), anything longer is a command APDU, answered with the response APDU.
//
// It answers the generation 1 mutual authentication in the order of Annex 1C Appendix 11
// CSM_020 (SELECT EF_ICC, READ BINARY of the extended serial number, SELECT the tachograph
// application, MSE:SET, INTERNAL AUTHENTICATE, GET CHALLENGE, EXTERNAL AUTHENTICATE), with the
// certificate fallback (MSE:SET answered 6A88 until a PSO: VERIFY CERTIFICATE) and, under T=0,
// INTERNAL AUTHENTICATE answered 6180 and its data fetched by GET RESPONSE. A command out of that
// order is answered 6985. No cryptography: the data are fixed bytes of the right sizes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dcgw::testing {

class FakeCompanyCard {
 public:
  using Bytes = std::vector<std::uint8_t>;
  struct Options {
    std::uint16_t port{0};           // the vpcd reader's port (pcscd's reader.conf DEVICENAME)
    std::string atrHex{"3b021450"};  // T=0 only (no TD1), two historical bytes
    std::array<std::uint8_t, 8> extendedSerial{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    bool t0{true};                 // INTERNAL AUTHENTICATE answered 6180 + GET RESPONSE
    bool certificateFirst{false};  // MSE:SET answered 6A88 until VERIFY CERTIFICATE
  };

  explicit FakeCompanyCard(Options o) : o_(std::move(o)) { insert(); }
  ~FakeCompanyCard() { remove(); }
  FakeCompanyCard(const FakeCompanyCard&) = delete;
  FakeCompanyCard& operator=(const FakeCompanyCard&) = delete;

  // The card enters the reader: connects to vpcd (retrying for up to 10 s while pcscd starts).
  void insert() {
    remove();
    stop_ = false;
    thread_ = std::thread([this] { run(); });
    for (int i = 0; i < 1000 && !connected_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The card leaves the reader (the socket closes; pcscd sees no card).
  void remove() {
    stop_ = true;
    const int fd = fd_.exchange(-1);
    if (fd >= 0) {
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
    if (thread_.joinable()) thread_.join();
    connected_ = false;
  }
  bool connected() const { return connected_; }
  // The instructions received, in order ("SELECT EF_ICC", "READ BINARY", ...).
  std::vector<std::string> steps() const {
    std::lock_guard l(mu_);
    return steps_;
  }
  // From now on each APDU is answered after `ms` (a slow card; 0: at once).
  void setDelay(int ms) { delayMs_ = ms; }
  // EXTERNAL AUTHENTICATE succeeded after the whole sequence in order.
  bool authenticated() const { return authenticated_; }

 private:
  enum Stage { kFresh, kIcc, kSerialRead, kApplication, kKeySet, kInternal, kChallenge, kDone };

  void run() {
    while (!stop_) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(o_.port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      fd_ = fd;
      connected_ = true;
      serve(fd);
      return;
    }
  }

  bool readAll(int fd, std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      // vpcd writes a length and its bytes apart: an ACK at once lets its second write go
      // (else Nagle holds it for this side's delayed ACK, tens of ms per APDU).
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
      const ssize_t r = ::recv(fd, p, n, 0);
      if (r <= 0) return false;
      p += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }
  // One write: a length and its bytes in two would wait for vpcd's delayed ACK (Nagle).
  void reply(int fd, const Bytes& b) {
    Bytes m{static_cast<std::uint8_t>(b.size() >> 8), static_cast<std::uint8_t>(b.size())};
    m.insert(m.end(), b.begin(), b.end());
    ::send(fd, m.data(), m.size(), MSG_NOSIGNAL);
  }

  void serve(int fd) {
    for (;;) {
      std::uint8_t h[2];
      if (!readAll(fd, h, 2)) return;
      Bytes m(static_cast<std::size_t>(h[0] << 8 | h[1]));
      if (!readAll(fd, m.data(), m.size())) return;
      if (m.size() == 1) {
        if (m[0] == 4) reply(fd, atr());
        if (m[0] == 0 || m[0] == 2) reset();  // power off, reset: the card forgets
        continue;
      }
      if (const int d = delayMs_; d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
      reply(fd, answer(m));
    }
  }

  Bytes atr() const {
    Bytes b;
    for (std::size_t i = 0; i + 1 < o_.atrHex.size(); i += 2)
      b.push_back(static_cast<std::uint8_t>(std::stoi(o_.atrHex.substr(i, 2), nullptr, 16)));
    return b;
  }

  void reset() {
    std::lock_guard l(mu_);
    stage_ = kFresh;
    pending_.clear();
    certificate_ = false;
  }
  void step(const std::string& s) { steps_.push_back(s); }

  Bytes answer(const Bytes& c) {
    std::lock_guard l(mu_);
    const Bytes ok{0x90, 0x00}, order{0x69, 0x85};
    if (c.size() < 4) return {0x67, 0x00};
    const std::uint8_t ins = c[1];
    const Bytes data(c.begin() + (c.size() > 5 ? 5 : c.size()), c.end());
    if (ins == 0xA4 && c.size() >= 7 && c[2] == 0x02 && c[5] == 0x00 && c[6] == 0x02) {
      step("SELECT EF_ICC");
      stage_ = kIcc;
      return ok;
    }
    if (ins == 0xA4 && c[2] == 0x04) {
      step("SELECT application");
      if (stage_ != kSerialRead) return order;
      stage_ = kApplication;
      return ok;
    }
    if (ins == 0xB0) {
      step("READ BINARY");
      if (stage_ != kIcc || c.size() != 5 || c[3] != 0x01 || c[4] != 0x08) return order;
      stage_ = kSerialRead;
      Bytes r(o_.extendedSerial.begin(), o_.extendedSerial.end());
      r.insert(r.end(), ok.begin(), ok.end());
      return r;
    }
    if (ins == 0x2A) {
      step("PSO VERIFY CERTIFICATE");
      certificate_ = true;
      return ok;
    }
    if (ins == 0x22) {
      step("MSE:SET");
      if (stage_ != kApplication) return order;
      if (o_.certificateFirst && !certificate_) return {0x6A, 0x88};
      stage_ = kKeySet;
      return ok;
    }
    if (ins == 0x88) {
      step("INTERNAL AUTHENTICATE");
      if (stage_ != kKeySet) return order;
      stage_ = kInternal;
      Bytes token(128, 0xA1);
      if (o_.t0) {
        pending_ = token;
        return {0x61, 0x80};
      }
      token.insert(token.end(), ok.begin(), ok.end());
      return token;
    }
    if (ins == 0xC0) {
      step("GET RESPONSE");
      if (pending_.empty()) return order;
      Bytes r = pending_;
      pending_.clear();
      r.insert(r.end(), ok.begin(), ok.end());
      return r;
    }
    if (ins == 0x84) {
      step("GET CHALLENGE");
      if (stage_ != kInternal) return order;
      stage_ = kChallenge;
      Bytes r(8, 0xC4);
      r.insert(r.end(), ok.begin(), ok.end());
      return r;
    }
    if (ins == 0x82) {
      step("EXTERNAL AUTHENTICATE");
      if (stage_ != kChallenge || data.size() != 128) return order;
      stage_ = kDone;
      authenticated_ = true;
      return ok;
    }
    step("unknown");
    return {0x6D, 0x00};
  }

  Options o_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::atomic<int> fd_{-1};
  std::atomic<bool> authenticated_{false};
  std::atomic<int> delayMs_{0};
  mutable std::mutex mu_;
  std::vector<std::string> steps_;
  Stage stage_{kFresh};
  Bytes pending_;
  bool certificate_{false};
};

}  // namespace dcgw::testing
