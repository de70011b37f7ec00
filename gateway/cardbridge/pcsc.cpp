// libpcsclite behind pcsc.hpp.
#include "gateway/cardbridge/pcsc.hpp"

#include <winscard.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace dcgw::cardbridge {

namespace {

PcscStatus check(LONG rv, const char* call) {
  if (rv == SCARD_S_SUCCESS) return {};
  return PcscStatus{static_cast<long>(rv), std::string(call) + ": " + pcsc_stringify_error(rv)};
}

SCARDCONTEXT ctxOf(std::uintptr_t v) {
  return static_cast<SCARDCONTEXT>(v);
}

DWORD protocolsFor(std::uint8_t p) {
  if (p == 0x00) return SCARD_PROTOCOL_T0;
  if (p == 0x01) return SCARD_PROTOCOL_T1;
  return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
}

}  // namespace

bool contextLost(long code) {
  return code == SCARD_E_NO_SERVICE || code == SCARD_E_SERVICE_STOPPED ||
         code == SCARD_E_INVALID_HANDLE || code == SCARD_F_COMM_ERROR;
}

bool cardBusy(long code) {
  return code == SCARD_E_SHARING_VIOLATION;
}

PcscContext::PcscContext() {
  SCARDCONTEXT c = 0;
  status_ = check(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &c),
                  "SCardEstablishContext");
  if (status_) ctx_ = static_cast<std::uintptr_t>(c);
}

PcscContext::~PcscContext() {
  if (ctx_) SCardReleaseContext(ctxOf(ctx_));
}

PcscStatus PcscContext::readers(std::vector<std::string>& out) {
  out.clear();
  DWORD n = 0;
  LONG rv = SCardListReaders(ctxOf(ctx_), nullptr, nullptr, &n);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardListReaders");
  std::string buf(n, '\0');
  rv = SCardListReaders(ctxOf(ctx_), nullptr, buf.data(), &n);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardListReaders");
  for (std::size_t i = 0; i < buf.size() && buf[i] != '\0';) {
    const std::size_t end = buf.find('\0', i);
    out.push_back(buf.substr(i, end - i));
    i = end + 1;
  }
  return {};
}

PcscStatus PcscContext::poll(std::vector<ReaderState>& states, int timeoutMs, bool& changed) {
  changed = false;
  std::vector<std::string> names;
  if (auto s = readers(names); !s) return s;
  if (names != known_) {  // readers came or went: start from their current state
    known_ = names;
    lastEvents_.assign(names.size(), SCARD_STATE_UNAWARE);
    changed = true;
  }
  if (names.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeoutMs, 1000)));
    states.clear();
    return {};
  }
  std::vector<SCARD_READERSTATE> rs(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    rs[i].szReader = names[i].c_str();
    rs[i].dwCurrentState = lastEvents_[i];
  }
  const LONG rv = SCardGetStatusChange(ctxOf(ctx_), static_cast<DWORD>(timeoutMs), rs.data(),
                                       static_cast<DWORD>(rs.size()));
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT && rv != SCARD_E_CANCELLED)
    return check(rv, "SCardGetStatusChange");
  states.clear();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const DWORD ev = rs[i].dwEventState;
    if (rv == SCARD_S_SUCCESS && (ev & SCARD_STATE_CHANGED)) changed = true;
    if (rv == SCARD_S_SUCCESS) lastEvents_[i] = ev & ~SCARD_STATE_CHANGED;
    ReaderState st;
    st.reader = names[i];
    // A reader that is gone shows as unknown, ignored or unavailable: no card in it.
    const DWORD none =
        SCARD_STATE_MUTE | SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE | SCARD_STATE_UNAVAILABLE;
    st.present = (lastEvents_[i] & SCARD_STATE_PRESENT) && !(lastEvents_[i] & none);
    if (st.present) st.atr.assign(rs[i].rgbAtr, rs[i].rgbAtr + rs[i].cbAtr);
    states.push_back(std::move(st));
  }
  return {};
}

void PcscContext::cancel() {
  if (ctx_) SCardCancel(ctxOf(ctx_));
}

PcscStatus PcscCard::connect(PcscContext& ctx, const std::string& reader, std::uint8_t protocol,
                             std::unique_ptr<PcscCard>& out) {
  SCARDHANDLE h = 0;
  DWORD active = 0;
  const LONG rv = SCardConnect(ctxOf(ctx.ctx_), reader.c_str(), SCARD_SHARE_EXCLUSIVE,
                               protocolsFor(protocol), &h, &active);
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardConnect");
  out.reset(new PcscCard());
  out->handle_ = static_cast<std::uintptr_t>(h);
  out->asked_ = protocol;
  out->protocol_ = active == SCARD_PROTOCOL_T1 ? 0x01 : 0x00;
  return {};
}

PcscCard::~PcscCard() {
  if (!released_) SCardDisconnect(static_cast<SCARDHANDLE>(handle_), SCARD_LEAVE_CARD);
}

PcscStatus PcscCard::reset() {
  DWORD active = 0;
  const LONG rv = SCardReconnect(static_cast<SCARDHANDLE>(handle_), SCARD_SHARE_EXCLUSIVE,
                                 protocolsFor(asked_), SCARD_RESET_CARD, &active);
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardReconnect");
  protocol_ = active == SCARD_PROTOCOL_T1 ? 0x01 : 0x00;
  return {};
}

PcscStatus PcscCard::atr(codecs::Bytes& out) {
  BYTE buf[MAX_ATR_SIZE];
  DWORD len = sizeof buf, state = 0, proto = 0;
  char name[256];
  DWORD nameLen = sizeof name;
  const LONG rv =
      SCardStatus(static_cast<SCARDHANDLE>(handle_), name, &nameLen, &state, &proto, buf, &len);
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardStatus");
  out.assign(buf, buf + len);
  return {};
}

PcscStatus PcscCard::transmit(codecs::ByteView apdu, codecs::Bytes& response) {
  BYTE buf[MAX_BUFFER_SIZE_EXTENDED];
  DWORD len = sizeof buf;
  const SCARD_IO_REQUEST* pci = protocol_ == 0x01 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  const LONG rv = SCardTransmit(static_cast<SCARDHANDLE>(handle_), pci, apdu.data(),
                                static_cast<DWORD>(apdu.size()), nullptr, buf, &len);
  if (rv != SCARD_S_SUCCESS) return check(rv, "SCardTransmit");
  response.assign(buf, buf + len);
  return {};
}

PcscStatus PcscCard::release(bool resetCard) {
  if (released_) return {};
  released_ = true;
  return check(SCardDisconnect(static_cast<SCARDHANDLE>(handle_),
                               resetCard ? SCARD_RESET_CARD : SCARD_LEAVE_CARD),
               "SCardDisconnect");
}

PcscStatus readExtendedSerial(PcscCard& card, std::array<std::uint8_t, 8>& out) {
  const codecs::Bytes select{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02};
  const codecs::Bytes read{0x00, 0xB0, 0x00, 0x01, 0x08};
  codecs::Bytes r;
  if (auto s = card.transmit(select, r); !s) return s;
  if (r.size() != 2 || r[0] != 0x90 || r[1] != 0x00)
    return PcscStatus{-1, "SELECT EF_ICC answered " + codecs::toHex(r) + ", not 9000"};
  if (auto s = card.transmit(read, r); !s) return s;
  if (r.size() != 10 || r[8] != 0x90 || r[9] != 0x00)
    return PcscStatus{-1, "READ BINARY of the extended serial number answered " + codecs::toHex(r) +
                              ", not 8 bytes and 9000"};
  std::copy(r.begin(), r.begin() + 8, out.begin());
  return {};
}

}  // namespace dcgw::cardbridge
