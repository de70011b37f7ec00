// `dcgw simulate --protocol teltonika`: N Teltonika devices (Codec 8 Extended over TCP or UDP,
// schema/teltonika.md) with stop-and-wait acknowledgement, and their scripted records.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/result.hpp"
#include "codecs/teltonika/avl.hpp"
#include "codecs/teltonika/io_map.hpp"

namespace dcgw::simulate::teltonika {

namespace tk = codecs::teltonika;

struct TeltonikaOptions {
  std::string host{"127.0.0.1"};
  std::uint16_t port{7700};
  std::uint32_t devices{1};
  tk::Family family{tk::Family::FMX6};
  std::uint64_t firstImei{356307042441000};
  double rate{10};  // records per second over all devices; 0: only hold connections
  double durationSeconds{10};
  bool durationGiven{false};
  std::optional<std::uint64_t> count;
  std::uint32_t recordsPerFrame{1};
  bool udp{false};
  bool drive{false};  // --scenario drive
  double ackTimeoutSeconds{20};
  double connectRate{5000};
  double drainSeconds{10};
  std::string logFile;
  std::string provisionDb, location;  // --provision-db, --location
  bool json{false};
  bool help{false};
};

extern const char* const kTeltonikaUsage;

// The options after `--protocol teltonika` is taken out; errors name the option.
codecs::Result<TeltonikaOptions> parseTeltonikaOptions(const std::vector<std::string>& args);

struct TeltonikaSummary {
  std::string family, transport;
  std::uint64_t devices{0}, loggedIn{0}, refusedLogins{0};
  std::uint64_t made{0};                   // records generated (sent or waiting for their frame)
  std::uint64_t sent{0}, acknowledged{0};  // records
  std::uint64_t framesSent{0}, framesResent{0}, reconnects{0};
  std::map<std::string, std::uint64_t> errors;
  double p50Ms{0}, p95Ms{0}, p99Ms{0}, maxMs{0};
  double seconds{0};
  std::uint64_t outstanding() const { return made > acknowledged ? made - acknowledged : 0; }
  double ackRate() const { return seconds > 0 ? static_cast<double>(acknowledged) / seconds : 0; }
};

void printTeltonikaSummary(const TeltonikaSummary& s, bool json, std::ostream& out);

// ---- records (teltonika_records.cpp) ----

// Driver 1's 16-character card number for a device: the IMEI's last 14 digits, then "01".
std::string cardNumberFor(const std::string& imei);

// One device's journey state: where it is and what it has driven.
struct Journey {
  std::string imei, card;
  double latitude{50.85}, longitude{4.35};  // degrees
  double odometerM{120'000'000};
  std::uint64_t lastTimestampMs{0};
  std::uint32_t step{0};  // records made so far
};

// The number of records of the drive scenario.
std::uint32_t driveSteps();
// Record `j.step` of the drive scenario (REQUIRES: j.step < driveSteps()), timestamped at
// startMs + 30 s per step; advances the journey.
tk::RecordOut nextDriveRecord(Journey& j, tk::Family family, std::uint64_t startMs);
// A record of the steady stream: driving east at 60 km/h, card in, timestamped `nowMs` (or 1 ms
// after the previous record); advances the journey.
tk::RecordOut nextStreamRecord(Journey& j, tk::Family family, std::uint64_t nowMs);

// Runs the mode: 0 when every device logged in (TCP) and every record made was acknowledged,
// 1 otherwise, 2 for a bad argument.
int runTeltonika(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::simulate::teltonika
