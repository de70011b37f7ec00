// The file side's way in: a driver read from a parsed driver card file becomes a New Driver
// notification for the device that uploaded it, when the gateway did not know the driver by
// that name (schema/derived-packets.md section 3).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/ingest/ingestor.hpp"

namespace dcgw::derive {

// `cardNumber`: CardNumber.driverIdentification (the first 14 characters of the file's
// 16-character card number are taken); names as UTF-8. `done(outcome, isNew)`: isNew is true
// when the driver was new (or renamed) and its 0x44 packet was stored; outcome Duplicate with
// isNew false when it was known by these names (nothing stored, its last sighting recorded);
// Invalid when the card number or a name cannot be laid out in section 8's fields.
// The 0x44 is queued after whatever the Ingestor took before this call: call it before
// submitting the file's File Summary. REQUIRES: the Ingestor was built with a PacketDeriver.
void submitDriverFromFile(ingest::Ingestor& ingestor, std::string serial, std::string registration,
                          const std::string& cardNumber, const std::string& surname,
                          const std::string& firstNames, std::int64_t atMs,
                          std::function<void(const ingest::Outcome&, bool isNew)> done);

}  // namespace dcgw::derive
