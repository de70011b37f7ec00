// Google Benchmark of the vehicle-unit file parser. Target (issue #13): parse a 1 MiB
// vehicle-unit file in under 20 ms.
//   ninja -C build ddd_vu_bench && build/tests/bench/ddd_vu_bench --benchmark_min_time=2
//
// The files are the synthetic downloads of tests/support/ddd_vu_builder.hpp: a year of activity
// days (two card insertions and 120 activity changes each) and detailed speed blocks up to 1 MiB.
#include <benchmark/benchmark.h>

#include "codecs/ddd/parsers.hpp"
#include "tests/support/ddd_vu_builder.hpp"

namespace {

using namespace dcgw::codecs;

void parseLarge(benchmark::State& state, ddd::Generation gen) {
  const Bytes file = dcgw::testing::buildLargeVehicleUnit(gen, 1 << 20);
  if (!ddd::parseVehicleUnit(file).warnings.empty()) state.SkipWithError("the file has warnings");
  for (auto _ : state) {
    ddd::ParsedFile f = ddd::parseVehicleUnit(file);
    benchmark::DoNotOptimize(f);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file.size()));
  state.counters["fileBytes"] = static_cast<double>(file.size());
}

void BM_ParseVehicleUnit1MiBGen1(benchmark::State& state) {
  parseLarge(state, ddd::Generation::Gen1);
}
BENCHMARK(BM_ParseVehicleUnit1MiBGen1)->Unit(benchmark::kMicrosecond);

void BM_ParseVehicleUnit1MiBGen2v1(benchmark::State& state) {
  parseLarge(state, ddd::Generation::Gen2v1);
}
BENCHMARK(BM_ParseVehicleUnit1MiBGen2v1)->Unit(benchmark::kMicrosecond);

void BM_ParseVehicleUnit1MiBGen2v2(benchmark::State& state) {
  parseLarge(state, ddd::Generation::Gen2v2);
}
BENCHMARK(BM_ParseVehicleUnit1MiBGen2v2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
