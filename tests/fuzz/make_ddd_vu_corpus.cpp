// Writes the seed corpus of fuzz_ddd_vu (tests/fuzz/run.sh): the synthetic vehicle-unit files of
// tests/support/ddd_vu_builder.hpp, Gen1, Gen2v1 and Gen2v2, whole and as single TREPs.
// usage: make_ddd_vu_corpus DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/ddd_vu_builder.hpp"

namespace {

void write(const std::string& path, const dcgw::codecs::Bytes& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  using dcgw::codecs::ddd::Generation;
  const std::string dir = argv[1];
  for (Generation gen : {Generation::Gen1, Generation::Gen2v1, Generation::Gen2v2}) {
    const std::string name = dir + "/" + dcgw::codecs::ddd::generationName(gen);
    dcgw::testing::VuSpec s = dcgw::testing::sampleVuSpec(gen);
    s.activityDays = 1;
    write(name, dcgw::testing::buildVehicleUnit(s));
    write(name + "-overview", dcgw::testing::overviewBlock(s));
    write(name + "-activities", dcgw::testing::activitiesBlock(s, s.firstDay));
    write(name + "-events", dcgw::testing::eventsAndFaultsBlock(s));
    write(name + "-speed", dcgw::testing::detailedSpeedBlock(s));
    write(name + "-technical", dcgw::testing::technicalDataBlock(s));
  }
  return 0;
}
