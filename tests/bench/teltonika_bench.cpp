// Google Benchmark of the Teltonika codec (issue 15: the listener must acknowledge at least
// 50,000 records/s with durable commits; this is the decoding share of that budget). A frame of
// 10 Codec 8 Extended FMX6 records with 24 IO elements each (tachograph, FMS and an NX VIN) and
// the same records as Codec 8.
//   ninja -C build teltonika_bench && build/tests/bench/teltonika_bench --benchmark_min_time=2
// Measured 2026-11-30 on the 2-core dev machine: 572k records/s (8 Extended), 682k (Codec 8).
#include <benchmark/benchmark.h>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/io_map.hpp"

namespace {

using namespace dcgw::codecs;
using namespace dcgw::codecs::teltonika;

std::vector<RecordOut> records(bool nx) {
  std::vector<RecordOut> out;
  for (int i = 0; i < 10; ++i) {
    RecordOut r;
    r.timestampMs = 1700000000000ULL + i * 1000;
    r.gps = {136844120, 481523066, 520, 198, 12, 83};
    r.eventIoId = 0;
    for (std::uint16_t id : {239, 240, 71, 22, 184, 185, 187, 188, 21, 200})
      r.io.push_back(ioValue(id, 1, 1));
    for (std::uint16_t id : {66, 67, 191, 88, 181, 182}) r.io.push_back(ioValue(id, 1234, 2));
    for (std::uint16_t id : {192, 16, 199, 86, 241}) r.io.push_back(ioValue(id, 123456, 4));
    r.io.push_back(ioValue(195, 3544392526090811699ULL, 8));
    r.io.push_back(ioValue(196, 3689908453225017393ULL, 8));
    if (nx) r.io.push_back({256, Bytes(17, 'W')});
    out.push_back(r);
  }
  return out;
}

void run(benchmark::State& state, std::uint8_t codec) {
  const Bytes frame = wrapFrame(*encodeAvlData(codec, records(codec == kCodec8Extended)));
  std::size_t n = 0;
  for (auto _ : state) {
    FrameScan s = tryFrame(frame);
    if (s.scan != Scan::Frame) state.SkipWithError("not a frame");
    n += s.avl->records.size();
    benchmark::DoNotOptimize(driver1CardNumber(s.avl->records.back(), Family::FMX6));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));  // records per second
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

void BM_TryFrameCodec8Extended10Records(benchmark::State& state) {
  run(state, kCodec8Extended);
}
BENCHMARK(BM_TryFrameCodec8Extended10Records);

void BM_TryFrameCodec8_10Records(benchmark::State& state) {
  run(state, kCodec8);
}
BENCHMARK(BM_TryFrameCodec8_10Records);

}  // namespace

BENCHMARK_MAIN();
