// dcgw-make-ddd: writes a synthetic tachograph file (made-up holders, ddd_card_builder.hpp) for
// the README's demo and the fuzz corpus.
//
//   dcgw-make-ddd driver-card OUT.DDD [--gen2 | --gen2v2] [--wrapped] [--empty] [--minimal]
//   dcgw-make-ddd workshop-card OUT.DDD [--gen2 | --gen2v2] [--wrapped] [--empty] [--minimal]
//   dcgw-make-ddd vehicle-unit OUT.DDD [--gen2 | --gen2v2] [--large]
//
// --gen2: a Gen2 version 1 card (both DFs); --gen2v2: version 2. --wrapped: a small activity
// buffer that has wrapped, a record straddling its end. --empty: no activity recorded.
// --minimal: no certificates, signatures or EFs the summary does not read. Vehicle units
// (ddd_vu_builder.hpp): three calibrations, the latest in the middle; --large: about 1 MiB.
// Each kind of file is one entry of kCommands below.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/support/ddd_card_builder.hpp"
#include "tests/support/ddd_vu_builder.hpp"

namespace {

using dcgw::testing::Bytes;
using dcgw::testing::CardGeneration;
using dcgw::testing::CardSpec;

// Applies the card options to a spec; false (after saying why) on an unknown option.
bool cardOptions(const std::vector<std::string>& options, CardSpec& spec) {
  for (const std::string& o : options) {
    if (o == "--gen2") {
      spec.generation = CardGeneration::Gen2v1;
    } else if (o == "--gen2v2") {
      spec.generation = CardGeneration::Gen2v2;
    } else if (o == "--wrapped") {
      // 20 days of 32-byte records in 200 (Gen1 DF) and 300 bytes (Gen2 DF), written from
      // offset 150: both buffers wrap, and a kept record runs across the end.
      spec.days = dcgw::testing::consecutiveDays("2025-01-06", 20, 10);
      spec.gen1ActivitySize = 200;
      spec.gen2ActivitySize = 300;
      spec.activityStart = 150;
    } else if (o == "--empty") {
      spec.days.clear();
    } else if (o == "--minimal") {
      spec.otherEfs = false;
      spec.certificatesAndSignatures = false;
    } else {
      std::cerr << "dcgw-make-ddd: unknown option '" << o << "'\n";
      return false;
    }
  }
  return true;
}

bool driverCard(const std::vector<std::string>& options, Bytes& out) {
  CardSpec spec = dcgw::testing::sampleDriverCard(CardGeneration::Gen1);
  if (!cardOptions(options, spec)) return false;
  out = dcgw::testing::buildCardFile(spec);
  return true;
}

bool workshopCard(const std::vector<std::string>& options, Bytes& out) {
  CardSpec spec = dcgw::testing::sampleWorkshopCard(CardGeneration::Gen1);
  if (!cardOptions(options, spec)) return false;
  out = dcgw::testing::buildCardFile(spec);
  return true;
}

bool vehicleUnit(const std::vector<std::string>& options, Bytes& out) {
  auto gen = dcgw::codecs::ddd::Generation::Gen1;
  bool large = false;
  for (const std::string& o : options) {
    if (o == "--gen2") {
      gen = dcgw::codecs::ddd::Generation::Gen2v1;
    } else if (o == "--gen2v2") {
      gen = dcgw::codecs::ddd::Generation::Gen2v2;
    } else if (o == "--large") {
      large = true;
    } else {
      std::cerr << "dcgw-make-ddd: unknown option '" << o << "'\n";
      return false;
    }
  }
  out = large ? dcgw::testing::buildLargeVehicleUnit(gen)
              : dcgw::testing::buildSampleVehicleUnit(gen);
  return true;
}

struct Command {
  const char* name;
  bool (*build)(const std::vector<std::string>& options, Bytes& out);
};
// One entry per kind of file.
const Command kCommands[] = {
    {"driver-card", driverCard},
    {"workshop-card", workshopCard},
    {"vehicle-unit", vehicleUnit},
};

int usage() {
  std::cerr << "usage: dcgw-make-ddd KIND OUT [options]\n  KIND:";
  for (const Command& c : kCommands) std::cerr << ' ' << c.name;
  std::cerr << "\n  card options: --gen2 | --gen2v2, --wrapped, --empty, --minimal\n"
               "  vehicle-unit options: --gen2 | --gen2v2, --large\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::vector<std::string> options(argv + 3, argv + argc);
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    Bytes file;
    if (!c.build(options, file)) return 2;
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(file.data()),
              static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) {
      std::cerr << "dcgw-make-ddd: cannot write " << argv[2] << ": " << std::strerror(errno)
                << "\n";
      return 1;
    }
    std::cout << "wrote " << file.size() << " bytes to " << argv[2] << "\n";
    return 0;
  }
  std::cerr << "dcgw-make-ddd: unknown kind '" << argv[1] << "'\n";
  return usage();
}
