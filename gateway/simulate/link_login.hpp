// The one-tracker modes of `dcgw simulate` (a card session, a file upload) on a blocking link:
// the next frame that matters, and the HELLO / PROOF login (schema/uplink.md section 4).
#pragma once

#include <optional>
#include <string>

#include "codecs/uplink/frame.hpp"
#include "gateway/common/frame_link.hpp"

namespace dcgw::simulate {

// The next frame other than a HEARTBEAT into `f`; false with `why` set on a timeout, the end of
// the connection or an ERROR frame (its code and text).
bool nextFrame(common::FrameLink& link, int ms, common::LinkFrame& f, std::string& why);

// HELLO, CHALLENGE, PROOF, WELCOME within 10 s each; nullopt with `why` set ("login: ...").
std::optional<codecs::uplink::Welcome> loginOnLink(common::FrameLink& link,
                                                   const std::string& serial, codecs::ByteView key,
                                                   std::string& why);

}  // namespace dcgw::simulate
