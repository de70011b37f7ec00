// Vehicle units never downloaded ("never" in compliance) are left out: the overdue rules speak of
// a download that is late, and a device with no vehicle-unit file has no VIN to name.
#include "gateway/alerts/download_facts.hpp"

#include "gateway/control/compliance.hpp"

namespace dcgw::alerts {

std::vector<CardExpiryFact> DownloadFacts::cardExpiries() {
  std::vector<CardExpiryFact> out;
  for (const auto& d : store_.downloads(std::nullopt))
    if (d.kind == store::TachoDownloadRecord::Kind::DriverCard && d.cardExpiryMs)
      out.push_back({d.serial, d.subject, d.surname, d.firstNames, *d.cardExpiryMs});
  return out;
}

std::vector<DownloadDueFact> DownloadFacts::downloadsDue() {
  std::vector<DownloadDueFact> out;
  for (const auto& i : control::compliance(store_, std::nullopt, clock_.nowMs(), 0)) {
    if (i.status == control::ComplianceItem::Status::Never) continue;
    DownloadDueFact f;
    f.kind = i.kind == store::TachoDownloadRecord::Kind::VehicleUnit
                 ? DownloadDueFact::Kind::VehicleUnit
                 : DownloadDueFact::Kind::DriverCard;
    f.serial = i.serial;
    f.subject = i.subject;
    f.registration = i.registration;
    f.surname = i.surname;
    f.firstNames = i.firstNames;
    f.lastDownloadMs = i.lastDownloadMs;
    f.dueMs = i.dueMs;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace dcgw::alerts
