// libFuzzer: the binary-mode frame and reply decoders on arbitrary receive buffers.
#include <cstdint>
#include <cstdlib>

#include "codecs/forwarding/binary_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcgw::codecs;
  ByteView buf(data, size);
  if (auto f = decodeBinaryDataFrame(buf); f.ok() && f->complete) {
    if (f->consumed > size) std::abort();
    auto re = encodeBinaryDataFrame(f->frame);
    if (!re.ok()) std::abort();  // a decoded frame can always be framed again
  }
  if (auto r = decodeBinaryReply(buf); r.ok() && r->complete && r->consumed > size) std::abort();
  return 0;
}
