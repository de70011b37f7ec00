// The alert engine's facts from the DownloadLog: driver cards' expiry dates and when each
// vehicle unit and driver card is due for download (download compliance, control/compliance).
#pragma once

#include "gateway/alerts/engine.hpp"
#include "gateway/common/clock.hpp"

namespace dcgw::alerts {

class DownloadFacts final : public AlertFacts {
 public:
  DownloadFacts(store::Backend& store, common::Clock& clock) : store_(store), clock_(clock) {}
  std::vector<CardExpiryFact> cardExpiries() override;
  std::vector<DownloadDueFact> downloadsDue() override;

 private:
  store::Backend& store_;
  common::Clock& clock_;
};

}  // namespace dcgw::alerts
