// libFuzzer: the Teltonika codec on arbitrary bytes, as a listener meets them: the login, then a
// stream of frames and pings split by tryFrame, and the same bytes as one UDP datagram. Never
// throws, reads out of bounds or hangs; every scan consumes what it says, a whole frame is not
// whole one byte earlier, and every decoded IO element lies inside its record's raw copy.
#include <cstdint>
#include <cstdlib>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/io_map.hpp"
#include "codecs/teltonika/udp.hpp"

namespace {

using namespace dcgw::codecs;
using namespace dcgw::codecs::teltonika;

void checkRecords(const AvlData& d) {
  for (const AvlRecord& r : d.records) {
    if (r.raw.size() < minRecordBytes(r.codec)) std::abort();
    for (const IoElement& e : r.io)
      if (std::size_t{e.offset} + e.length > r.raw.size()) std::abort();
    for (Family f : {Family::FMBxxx, Family::FMX6}) {
      (void)driver1CardNumber(r, f);
      (void)tachoOdometerM(r, f);
      (void)ignition(r, f);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  const LoginScan login = tryLogin(in);
  if (login.scan == Scan::Frame && (login.bytes != kLoginBytes || login.imei.size() != 15))
    std::abort();
  if (login.scan == Scan::Bad && login.error.offset >= size) std::abort();
  ByteView rest = login.scan == Scan::Frame ? in.subspan(login.bytes) : in;
  // A small maximum on odd sizes so both limits are explored.
  const std::size_t maxData = size % 2 ? kMinDataBytes : kDefaultMaxDataBytes;
  while (!rest.empty()) {
    const FrameScan s = tryFrame(rest, maxData);
    if (s.scan == Scan::NeedMore) break;
    if (s.frameBytes > rest.size()) std::abort();
    if (s.scan == Scan::Bad) {
      if (s.error.offset > rest.size() || s.error.field.empty()) std::abort();
      if (!s.recoverable()) break;
    } else if (s.scan == Scan::Frame) {
      if (s.avl.has_value() == s.command.has_value()) std::abort();
      if (s.data.size() + kFrameOverheadBytes != s.frameBytes) std::abort();
      if (tryFrame(rest.first(s.frameBytes - 1), maxData).scan != Scan::NeedMore) std::abort();
      if (s.avl) checkRecords(*s.avl);
    } else if (s.frameBytes != 1) {
      std::abort();  // a ping is one byte
    }
    rest = rest.subspan(s.frameBytes);
  }
  const auto udp = decodeUdp(in);
  if (udp.ok()) {
    if (udp->imei.size() != 15) std::abort();
    checkRecords(udp->avl);
  } else if (udp.error().offset > size) {
    std::abort();
  }
  return 0;
}
