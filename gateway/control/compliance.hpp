// Download compliance (issue 13, schema/files.md "Download compliance"): when each vehicle unit
// and driver card is next due for download by its location's periods, from the DownloadLog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/interfaces.hpp"

namespace dcgw::control {

struct ComplianceItem {
  enum class Status { Ok, Due, Overdue, Never };
  store::TachoDownloadRecord::Kind kind{store::TachoDownloadRecord::Kind::VehicleUnit};
  std::string subject;  // VIN or card number; "" for a device never downloaded
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string registration;
  std::string surname, firstNames;
  std::optional<std::int64_t> cardExpiryMs;
  std::optional<std::int64_t> lastDownloadMs;  // nullopt: Never
  std::optional<std::int64_t> lastFileId;
  std::int64_t dueMs{0};  // Never: the time it was computed (due now)
  Status status{Status::Ok};
};
const char* statusName(ComplianceItem::Status s);  // "ok", "due", "overdue", "never"

// Pure: each download's due time is its last download plus its location's period (the EU
// defaults, 90 and 28 days, when it has no location); Overdue after the due time, Due within
// `soonMs` before it. Devices of a location with no vehicle-unit download at all are Never.
// Sorted most urgent first (Overdue, Never, Due, Ok; then by due time).
std::vector<ComplianceItem> compliance(const std::vector<store::TachoDownloadRecord>& downloads,
                                       const std::vector<store::LocationConfig>& locations,
                                       const std::vector<store::DeviceRecord>& devices,
                                       std::int64_t nowMs, std::int64_t soonMs);

// The same from a store; `locationId`: that location's items only (a download belongs to the
// location its device had when the file was stored; a never-downloaded device to its own).
std::vector<ComplianceItem> compliance(store::Backend& store,
                                       std::optional<std::int64_t> locationId, std::int64_t nowMs,
                                       std::int64_t soonMs);

std::string renderCompliance(const ComplianceItem& item);  // one JSON object (openapi)

}  // namespace dcgw::control
