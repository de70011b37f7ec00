// A driver card file's driver as a gateway-made New Driver packet through the Ingestor.
#include "gateway/derive/driver_notices.hpp"

#include "codecs/packets/derived.hpp"

namespace dcgw::derive {

void submitDriverFromFile(ingest::Ingestor& ingestor, std::string serial, std::string registration,
                          const std::string& cardNumber, const std::string& surname,
                          const std::string& firstNames, std::int64_t atMs,
                          std::function<void(const ingest::Outcome&, bool isNew)> done) {
  // A card file holds 16 characters (identification + replacement + renewal indexes); the
  // packets name the driver by the 14 of driverIdentification.
  std::string card = cardNumber.substr(0, 14);
  while (!card.empty() && (card.back() == ' ' || card.back() == '\0')) card.pop_back();
  auto packet = codecs::newDriverPacket(card, surname, firstNames);
  if (!packet) {
    ingest::Outcome o;
    o.kind = ingest::Outcome::Kind::Invalid;
    o.error = packet.error();
    done(o, false);
    return;
  }
  ingestor.submitDerived(std::move(serial), std::move(registration), std::move(*packet), atMs,
                         [done = std::move(done)](const ingest::Outcome& o) {
                           done(o, o.kind == ingest::Outcome::Kind::Stored);
                         });
}

}  // namespace dcgw::derive
