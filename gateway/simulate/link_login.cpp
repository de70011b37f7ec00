// Shared by card_session.cpp and file_upload.cpp, which differ only after WELCOME.
#include "gateway/simulate/link_login.hpp"

#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {

namespace up = codecs::uplink;

bool nextFrame(common::FrameLink& link, int ms, common::LinkFrame& f, std::string& why) {
  for (;;) {
    const auto got = link.next(ms, f, why);
    if (got != common::FrameLink::Got::Frame) {
      why = got == common::FrameLink::Got::Timeout ? "no answer in time"
                                                   : "the connection ended " + why;
      return false;
    }
    if (f.kind == static_cast<std::uint8_t>(up::Kind::Heartbeat)) continue;
    if (f.kind == static_cast<std::uint8_t>(up::Kind::Error)) {
      auto e = up::parseError(f.body);
      why = std::string("ERROR ") + (e ? up::errorCodeName(e->code) : "?") + ": " +
            (e ? e->text : "");
      return false;
    }
    return true;
  }
}

std::optional<up::Welcome> loginOnLink(common::FrameLink& link, const std::string& serial,
                                       codecs::ByteView key, std::string& why) {
  common::LinkFrame f;
  codecs::Bytes b;
  up::appendHello(b, serial);
  link.send(b);
  why.clear();
  if (!nextFrame(link, 10'000, f, why) ||
      f.kind != static_cast<std::uint8_t>(up::Kind::Challenge)) {
    why = "login: " + (why.empty() ? std::string("no CHALLENGE") : why);
    return std::nullopt;
  }
  b.clear();
  up::appendProof(b, uplink::computeProof(key, f.body, serial));
  link.send(b);
  if (!nextFrame(link, 10'000, f, why) || f.kind != static_cast<std::uint8_t>(up::Kind::Welcome)) {
    why = "login: " + (why.empty() ? std::string("no WELCOME") : why);
    return std::nullopt;
  }
  auto welcome = up::parseWelcome(f.body);
  if (!welcome) {
    why = "login: a malformed WELCOME: " + welcome.error().message();
    return std::nullopt;
  }
  return *welcome;
}

}  // namespace dcgw::simulate
