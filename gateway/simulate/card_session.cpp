// `dcgw simulate --card-session`: one tracker playing its vehicle unit's side of a generation 1
// mutual authentication (Annex 1C Appendix 11 CSM_020) through the gateway's card relay
// (schema/uplink.md section 8), against whatever company card answers. Prints each step with
// the card's status word and its round trip, and exits 0 when every step succeeded.
//
// No cryptography: the VU's data are fixed bytes of the right sizes, so a real card answers the
// reads and refuses the authentication itself (6982/6988...), which is printed as it comes;
// the tests' fake card accepts them.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/uplink/card.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/simulate/link_login.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {

namespace up = codecs::uplink;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;

namespace {

constexpr const char* kUsage =
    R"(usage: dcgw simulate --card-session [--host H] [--port P] [--first-serial SERIAL]
         [--key HEX] [--card NUMBER] [--protocol t0|t1|any] [--wait S]
         [--tls [--ca-file F] [--insecure]]

Logs in as one tracker (SERIAL, default 12345678) and opens a company-card session (the card
NUMBER, or the one configured for the device), waiting in the card's queue for up to S seconds
(default 120). Then plays the vehicle unit's side of a generation 1 authentication: SELECT
EF_ICC, READ BINARY (the extended serial number), SELECT the tachograph application, MSE:SET
(on 6A88: PSO VERIFY CERTIFICATE, then MSE:SET again), INTERNAL AUTHENTICATE (T=0: GET
RESPONSE), GET CHALLENGE, EXTERNAL AUTHENTICATE; one line per step; closes the session.
Exit status: 0 every step answered 9000, 1 a step failed or the session was refused, 2 bad
options.
)";

constexpr const char* kDemoKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

struct CardOptions {
  common::LinkOptions link;
  std::string serial{"12345678"};
  Bytes key;
  std::string card;
  std::uint8_t protocol{0xFF};
  int waitSeconds{120};
};

Bytes hex(const std::string& h) {
  Bytes b;
  codecs::fromHex(h, b);
  return b;
}

std::string sw(const Bytes& r) {
  return r.size() < 2 ? "-" : codecs::toHex(Bytes(r.end() - 2, r.end()));
}

}  // namespace

int runCardSession(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CardOptions o;
  o.link.port = 7700;
  long n = 0;
  auto number = [](const std::string& v, long lo, long hi, long& out) {
    auto r = std::from_chars(v.data(), v.data() + v.size(), out);
    return r.ec == std::errc() && r.ptr == v.data() + v.size() && out >= lo && out <= hi;
  };
  auto bad = [&err](const char* option, const char* expected) {
    err << "dcgw simulate: " << option << ": " << expected << '\n';
    return 2;
  };
  std::string keyHex = kDemoKey;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    std::string v;
    if (a == "--card-session") continue;
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    }
    if (a == "--tls") {
      o.link.tls = true;
    } else if (a == "--insecure") {
      o.link.insecure = true;
    } else if (a == "--host" && value(v)) {
      o.link.host = v;
    } else if (a == "--port" && value(v)) {
      if (!number(v, 1, 65535, n)) return bad("--port", "a port number from 1 to 65535");
      o.link.port = static_cast<std::uint16_t>(n);
    } else if (a == "--first-serial" && value(v)) {
      o.serial = v;
    } else if (a == "--key" && value(v)) {
      keyHex = v;
    } else if (a == "--card" && value(v)) {
      o.card = v;
    } else if (a == "--ca-file" && value(v)) {
      o.link.caFile = v;
    } else if (a == "--wait" && value(v)) {
      if (!number(v, 1, 86400, n)) return bad("--wait", "seconds from 1 to 86400");
      o.waitSeconds = static_cast<int>(n);
    } else if (a == "--protocol" && value(v)) {
      if (v != "t0" && v != "t1" && v != "any") {
        err << "dcgw simulate: --protocol must be t0, t1 or any, not '" << v << "'\n";
        return 2;
      }
      o.protocol = v == "t0" ? 0x00 : v == "t1" ? 0x01 : 0xFF;
    } else {
      err << "dcgw simulate: " << a << ": unknown with --card-session, or its value is missing"
          << " (see dcgw simulate --card-session --help)\n";
      return 2;
    }
  }
  if (!codecs::fromHex(keyHex, o.key) || o.key.size() < 16) {
    err << "dcgw simulate: --key: the device key in hex, 32 to 128 digits\n";
    return 2;
  }
  if (o.card.size() > up::kMaxCardNumberChars) {
    err << "dcgw simulate: --card: at most 16 characters\n";
    return 2;
  }

  std::string why;
  auto link = FrameLink::open(o.link, why);
  if (!link) {
    err << "dcgw simulate: " << why << '\n';
    return 1;
  }
  LinkFrame f;
  auto receive = [&](int ms) { return nextFrame(*link, ms, f, why); };
  Bytes b;
  auto welcome = loginOnLink(*link, o.serial, o.key, why);
  if (!welcome) {
    err << "dcgw simulate: " << why << '\n';
    return 1;
  }
  out << "logged in as " << o.serial << '\n';
  // schema/uplink.md section 8.4: a gateway that serves card sessions says so in WELCOME.
  if (std::find(welcome->capabilities.begin(), welcome->capabilities.end(), std::uint8_t{0x01}) ==
      welcome->capabilities.end()) {
    out << "refused: the gateway does not serve card sessions (its WELCOME announces no card "
           "capability: is a \"cardBridge\" section in its configuration?)\n";
    return 1;
  }
  b.clear();
  up::appendCardOpen(b, {o.card, o.protocol});
  link->send(b);
  const auto t0 = std::chrono::steady_clock::now();
  std::uint32_t session = 0;
  while (session == 0) {
    if (!receive(o.waitSeconds * 1000)) {
      err << "dcgw simulate: waiting for the card: " << why << '\n';
      return 1;
    }
    if (f.kind == static_cast<std::uint8_t>(up::CardKind::CardWaiting)) {
      auto w = up::parseCardWaiting(f.body);
      if (w) out << "waiting: place " << w->place << ": " << w->text << '\n';
    } else if (f.kind == static_cast<std::uint8_t>(up::CardKind::CardOpened)) {
      auto op = up::parseCardOpened(f.body);
      if (!op) break;
      session = op->session;
      out << "session " << session << " opened after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - t0)
                 .count()
          << " ms: " << up::cardProtocolName(op->protocol) << ", ATR " << codecs::toHex(op->atr)
          << '\n';
    } else if (f.kind == static_cast<std::uint8_t>(up::CardKind::CardClosed)) {
      auto c = up::parseCardClosed(f.body);
      out << "refused: " << (c ? up::cardReasonName(c->reason) : "?") << ": " << (c ? c->text : "")
          << '\n';
      return 1;
    }
  }
  if (session == 0) {
    err << "dcgw simulate: a malformed CARD_OPENED\n";
    return 1;
  }

  bool ok = true;
  Bytes response;
  auto step = [&](const std::string& name, const Bytes& apdu) {
    if (!ok) return std::string();
    Bytes frame;
    up::appendApduCommand(frame, session, apdu);
    const auto sent = std::chrono::steady_clock::now();
    link->send(frame);
    if (!receive(30'000)) {
      out << name << ": " << why << '\n';
      ok = false;
      return std::string();
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count();
    if (f.kind != static_cast<std::uint8_t>(up::CardKind::ApduResponse)) {
      auto c = up::parseCardClosed(f.body);
      out << name << ": session ended: " << (c ? up::cardReasonName(c->reason) : "?") << ": "
          << (c ? c->text : "") << '\n';
      ok = false;
      return std::string();
    }
    auto r = up::parseApduResponse(f.body);
    response.assign(r->apdu.begin(), r->apdu.end());
    char line[160];
    std::snprintf(line, sizeof line, "%-24s -> %s (%zu bytes, %.1f ms)", name.c_str(),
                  sw(response).c_str(), response.size(), ms);
    out << line << '\n';
    return sw(response);
  };
  auto expect9000 = [&](const std::string& s) {
    if (ok && s != "9000") ok = false;
  };
  expect9000(step("SELECT EF_ICC", hex("00a4020c020002")));
  expect9000(step("READ BINARY (serial)", hex("00b0000108")));
  if (ok && response.size() == 10)
    out << "card extended serial number: "
        << codecs::toHex(Bytes(response.begin(), response.begin() + 8)) << '\n';
  expect9000(step("SELECT tachograph DF", hex("00a4040c06ff544143484f")));
  const Bytes mse = hex("0022c1b60a8308fd45432001ffff01");
  std::string s = step("MSE:SET", mse);
  if (s == "6a88") {
    expect9000(step("PSO VERIFY CERTIFICATE", hex("002a00aec2" + std::string(388, '5'))));
    s = step("MSE:SET", mse);
  }
  expect9000(s);
  s = step("INTERNAL AUTHENTICATE",
           hex("0088000010" + std::string(16, '1') + "fd45432001ffff01" + "80"));
  if (s.size() == 4 && s.rfind("61", 0) == 0)
    s = step("GET RESPONSE", hex("00c00000" + s.substr(2)));
  expect9000(s);
  expect9000(step("GET CHALLENGE", hex("0084000008")));
  expect9000(step("EXTERNAL AUTHENTICATE", hex("0082000080" + std::string(256, '7'))));
  b.clear();
  up::appendCardClose(b, session);
  link->send(b);
  if (receive(10'000) && f.kind == static_cast<std::uint8_t>(up::CardKind::CardClosed)) {
    auto c = up::parseCardClosed(f.body);
    out << "session " << session << " closed: " << (c ? up::cardReasonName(c->reason) : "?")
        << '\n';
  }
  out << "authenticated: " << (ok ? "yes" : "no") << '\n';
  return ok ? 0 : 1;
}

}  // namespace dcgw::simulate
