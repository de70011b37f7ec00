// PC/SC for the card bridge (libpcsclite from Debian, behind this header): the readers, their
// cards coming and going, and a card held for a session (exclusive, reset, ATR, transmit).
// Errors are values: a card leaving its reader is an everyday event, not an exception.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"

namespace dcgw::cardbridge {

// A PC/SC result: 0 is success; otherwise the SCARD_ code and its name.
struct PcscStatus {
  long code{0};
  std::string what;  // "SCardTransmit: SCARD_W_REMOVED_CARD (...)"
  explicit operator bool() const { return code == 0; }
};

// The PC/SC service is gone or the context is dead (pcscd stopped or restarted:
// SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED, SCARD_E_INVALID_HANDLE, SCARD_F_COMM_ERROR):
// a new context is needed.
bool contextLost(long code);
// The card is held by another connection (SCARD_E_SHARING_VIOLATION).
bool cardBusy(long code);

struct ReaderState {
  std::string reader;
  bool present{false};  // a card is in the reader
  codecs::Bytes atr;    // when present
};

class PcscContext {
 public:
  PcscContext();  // SCardEstablishContext; check ok() (no pcscd: SCARD_E_NO_SERVICE)
  ~PcscContext();
  PcscContext(const PcscContext&) = delete;
  PcscContext& operator=(const PcscContext&) = delete;

  const PcscStatus& ok() const { return status_; }
  // The readers now (none is not an error).
  PcscStatus readers(std::vector<std::string>& out);
  // Waits up to `timeoutMs` for a card to come or go, or a reader to appear or vanish, and
  // returns every reader's state. `changed` is true when something changed.
  PcscStatus poll(std::vector<ReaderState>& states, int timeoutMs, bool& changed);
  // Makes a waiting poll() return at once (from another thread).
  void cancel();

 private:
  friend class PcscCard;
  std::uintptr_t ctx_{0};
  PcscStatus status_;
  std::vector<std::string> known_;
  std::vector<unsigned long> lastEvents_;
};

// A card held for a session or a read: exclusive until released.
class PcscCard {
 public:
  // protocol: 0x00 T=0, 0x01 T=1, 0xFF either (the card's choice).
  static PcscStatus connect(PcscContext& ctx, const std::string& reader, std::uint8_t protocol,
                            std::unique_ptr<PcscCard>& out);
  ~PcscCard();  // releases, leaving the card as it is
  PcscCard(const PcscCard&) = delete;
  PcscCard& operator=(const PcscCard&) = delete;

  PcscStatus reset();  // a warm reset (SCardReconnect with SCARD_RESET_CARD)
  PcscStatus atr(codecs::Bytes& out);
  std::uint8_t protocol() const { return protocol_; }  // 0x00 or 0x01
  // The card's whole response (SW1 SW2 last); fewer than 2 bytes means the card is gone.
  PcscStatus transmit(codecs::ByteView apdu, codecs::Bytes& response);
  PcscStatus release(bool resetCard);

 private:
  PcscCard() = default;
  std::uintptr_t handle_{0};
  std::uint8_t asked_{0xFF};
  std::uint8_t protocol_{0};
  bool released_{false};
};

// The card's extended serial number (Annex 1C CardExtendedSerialNumber, 8 bytes) from EF_ICC:
// SELECT 00 A4 02 0C 02 00 02, then READ BINARY 00 B0 00 01 08.
PcscStatus readExtendedSerial(PcscCard& card, std::array<std::uint8_t, 8>& out);

}  // namespace dcgw::cardbridge
