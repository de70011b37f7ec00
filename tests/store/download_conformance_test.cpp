// The store conformance suite, download compliance part (issue 13): the newest download per
// vehicle unit and per driver card. Every backend passes these unchanged.
#include <gtest/gtest.h>

#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

using store::TachoDownloadRecord;
using Kind = store::TachoDownloadRecord::Kind;

TachoDownloadRecord vu(std::string vin, std::string serial, std::optional<std::int64_t> loc,
                       std::int64_t fileId, std::int64_t at) {
  TachoDownloadRecord r;
  r.kind = Kind::VehicleUnit;
  r.subject = std::move(vin);
  r.serial = std::move(serial);
  r.locationId = loc;
  r.registration = "AB12CDE";
  r.fileId = fileId;
  r.downloadedAtMs = at;
  return r;
}

TEST_P(StoreConformance, DownloadLogKeepsTheNewestDownloadPerSubject) {
  const std::int64_t north = location("North", {}), south = location("South", {});
  db_->recordDownload(vu("VIN00000000000001", "1001", north, 1, 1'000));
  db_->recordDownload(vu("VIN00000000000001", "1002", south, 3, 3'000));
  db_->recordDownload(vu("VIN00000000000001", "1001", north, 2, 2'000));  // older, late: ignored
  TachoDownloadRecord card;
  card.kind = Kind::DriverCard;
  card.subject = "DF00000000000100";
  card.serial = "1001";
  card.locationId = north;
  card.surname = "Martin";
  card.firstNames = "Luc";
  card.cardExpiryMs = 1'893'456'000'000;
  card.fileId = 4;
  card.downloadedAtMs = 4'000;
  db_->recordDownload(card);

  auto all = db_->downloads(std::nullopt);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].kind, Kind::VehicleUnit);  // by kind, then subject
  EXPECT_EQ(all[0].serial, "1002");
  EXPECT_EQ(all[0].locationId, south);
  EXPECT_EQ(all[0].fileId, 3);
  EXPECT_EQ(all[0].downloadedAtMs, 3'000);
  EXPECT_EQ(all[0].registration, "AB12CDE");
  EXPECT_EQ(all[1].kind, Kind::DriverCard);
  EXPECT_EQ(all[1].surname, "Martin");
  EXPECT_EQ(all[1].firstNames, "Luc");
  EXPECT_EQ(all[1].cardExpiryMs, 1'893'456'000'000);
  EXPECT_FALSE(all[0].cardExpiryMs);

  auto inNorth = db_->downloads(north);
  ASSERT_EQ(inNorth.size(), 1u) << "the vehicle unit was last downloaded in the south";
  EXPECT_EQ(inNorth[0].subject, "DF00000000000100");

  // The same time and a higher file id: the later file wins.
  db_->recordDownload(vu("VIN00000000000001", "1003", std::nullopt, 5, 3'000));
  EXPECT_EQ(db_->downloads(std::nullopt)[0].serial, "1003");
  EXPECT_FALSE(db_->downloads(std::nullopt)[0].locationId);
}

}  // namespace
}  // namespace dcgw::testing
