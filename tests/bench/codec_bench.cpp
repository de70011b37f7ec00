// Google Benchmark of the codecs. Target (issue #2): decode + validate a Tracking packet at
// 5 million packets/s or more on one core.
//   ninja -C build codec_bench && build/tests/bench/codec_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/packets/packet.hpp"

namespace {

using namespace dcgw::codecs;

Bytes trackingPacket() {
  Bytes b;
  fromHex("47006b016ba001d77f20fffee6c0002301a90a91000009f6ff6a00e1003c0001e24009006b016b9f", b);
  return b;
}

void BM_DecodeTracking(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  for (auto _ : state) {
    Status s = decodePacket(b, p);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(p.fields[3].raw);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeTracking);

void BM_DecodeAndRenderTracking(benchmark::State& state) {
  const Bytes b = trackingPacket();
  Packet p;
  std::string json;
  for (auto _ : state) {
    decodePacket(b, p);
    json.clear();
    JsonWriter w(json);
    renderPacketJson(p, w);
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndRenderTracking);

void BM_EncodeBinaryFrame(benchmark::State& state) {
  BinaryDataFrame f{"12345678", "AB12CDE", trackingPacket(), "<accountID>1</accountID>"};
  for (auto _ : state) {
    auto r = encodeBinaryDataFrame(f);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeBinaryFrame);

}  // namespace

BENCHMARK_MAIN();
