// Due times per location period; "never" is only said of vehicle units, since a gateway cannot
// know the driver cards it has never seen.
#include "gateway/control/compliance.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "codecs/json.hpp"
#include "codecs/timefmt.hpp"

namespace dcgw::control {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
using Kind = store::TachoDownloadRecord::Kind;

int rank(ComplianceItem::Status s) {
  switch (s) {
    case ComplianceItem::Status::Overdue:
      return 0;
    case ComplianceItem::Status::Never:
      return 1;
    case ComplianceItem::Status::Due:
      return 2;
    case ComplianceItem::Status::Ok:
      break;
  }
  return 3;
}

void time(codecs::JsonWriter& w, const char* key, const std::optional<std::int64_t>& ms) {
  w.key(key);
  if (ms && *ms >= 0 && *ms / 1000 <= 0xFFFFFFFFLL) {
    w.string(codecs::formatTimeReal(static_cast<std::uint32_t>(*ms / 1000)));
  } else {
    w.null();
  }
}

}  // namespace

const char* statusName(ComplianceItem::Status s) {
  switch (s) {
    case ComplianceItem::Status::Due:
      return "due";
    case ComplianceItem::Status::Overdue:
      return "overdue";
    case ComplianceItem::Status::Never:
      return "never";
    case ComplianceItem::Status::Ok:
      break;
  }
  return "ok";
}

std::vector<ComplianceItem> compliance(const std::vector<store::TachoDownloadRecord>& downloads,
                                       const std::vector<store::LocationConfig>& locations,
                                       const std::vector<store::DeviceRecord>& devices,
                                       std::int64_t nowMs, std::int64_t soonMs) {
  std::map<std::int64_t, store::LocationFiles> periods;
  for (const auto& l : locations) periods[l.id] = l.files.value_or(store::LocationFiles{});
  auto periodDays = [&](const std::optional<std::int64_t>& loc, Kind kind) {
    store::LocationFiles f;
    if (loc) {
      auto it = periods.find(*loc);
      if (it != periods.end()) f = it->second;
    }
    return kind == Kind::VehicleUnit ? f.vehicleUnitDownloadDays : f.driverCardDownloadDays;
  };
  std::vector<ComplianceItem> out;
  std::set<std::string> downloadedDevices;
  for (const auto& d : downloads) {
    ComplianceItem i;
    i.kind = d.kind;
    i.subject = d.subject;
    i.serial = d.serial;
    i.locationId = d.locationId;
    i.registration = d.registration;
    i.surname = d.surname;
    i.firstNames = d.firstNames;
    i.cardExpiryMs = d.cardExpiryMs;
    i.lastDownloadMs = d.downloadedAtMs;
    i.lastFileId = d.fileId;
    i.dueMs = d.downloadedAtMs + periodDays(d.locationId, d.kind) * kDayMs;
    i.status = nowMs > i.dueMs            ? ComplianceItem::Status::Overdue
               : nowMs > i.dueMs - soonMs ? ComplianceItem::Status::Due
                                          : ComplianceItem::Status::Ok;
    if (d.kind == Kind::VehicleUnit) downloadedDevices.insert(d.serial);
    out.push_back(std::move(i));
  }
  for (const auto& dev : devices) {
    if (!dev.locationId || downloadedDevices.count(dev.serial) != 0) continue;
    ComplianceItem i;
    i.serial = dev.serial;
    i.locationId = dev.locationId;
    i.registration = dev.registration;
    i.dueMs = nowMs;
    i.status = ComplianceItem::Status::Never;
    out.push_back(std::move(i));
  }
  std::stable_sort(out.begin(), out.end(), [](const ComplianceItem& a, const ComplianceItem& b) {
    if (rank(a.status) != rank(b.status)) return rank(a.status) < rank(b.status);
    return a.dueMs < b.dueMs;
  });
  return out;
}

std::vector<ComplianceItem> compliance(store::Backend& store,
                                       std::optional<std::int64_t> locationId, std::int64_t nowMs,
                                       std::int64_t soonMs) {
  // Computed over every download and device, then filtered: a device that moved keeps its
  // vehicle unit's download (in the location it was made in) and is never "never" elsewhere.
  auto all =
      compliance(store.downloads(std::nullopt), store.locations(), store.devices(), nowMs, soonMs);
  if (locationId)
    std::erase_if(all, [&](const ComplianceItem& i) { return i.locationId != locationId; });
  return all;
}

std::string renderCompliance(const ComplianceItem& i) {
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("kind");
  w.string(i.kind == Kind::VehicleUnit ? "vehicleUnit" : "driverCard");
  w.key("subject");
  w.string(i.subject);
  w.key("serial");
  w.string(i.serial);
  w.key("locationId");
  if (i.locationId) {
    w.integer(*i.locationId);
  } else {
    w.null();
  }
  w.key("registration");
  w.string(i.registration);
  w.key("surname");
  w.string(i.surname);
  w.key("firstNames");
  w.string(i.firstNames);
  time(w, "cardExpiry", i.cardExpiryMs);
  time(w, "lastDownload", i.lastDownloadMs);
  w.key("lastFileId");
  if (i.lastFileId) {
    w.integer(*i.lastFileId);
  } else {
    w.null();
  }
  time(w, "due", i.dueMs);
  w.key("status");
  w.string(statusName(i.status));
  w.endObject();
  return out;
}

}  // namespace dcgw::control
