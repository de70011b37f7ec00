// Parsing twice (before the index row and after it) costs a few milliseconds per file and keeps
// the file channel's seams simple: the analysis is a string summary, the hook needs values.
#include "gateway/files/tacho_files.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>
#include <optional>
#include <stdexcept>

#include "codecs/ddd/naming.hpp"
#include "codecs/ddd/summary.hpp"
#include "codecs/ddd/summary_packet.hpp"
#include "gateway/derive/driver_notices.hpp"
#include "gateway/ingest/ingestor.hpp"

namespace dcgw::files {
namespace {

using codecs::ddd::FileKind;

std::int64_t floorSeconds(std::int64_t ms) {
  return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

// The device's download time, unless its clock is ahead of ours: a file is not downloaded after
// it arrived (a time in the future would keep it "ok" in compliance for years).
std::int64_t downloadTimeMs(std::int64_t downloadedAtMs, std::int64_t receivedAtMs) {
  return downloadedAtMs > receivedAtMs ? receivedAtMs : downloadedAtMs;
}

// The outcome of a submitted packet, waited for: "" when it was stored, else why not (the file
// then stays unprocessed and its packets are made again: schema/files.md).
std::string waitStored(std::optional<std::future<ingest::Outcome>>& f, const std::string& what) {
  if (!f) return "";
  const ingest::Outcome o = f->get();
  return o.ok() ? "" : "the " + what + " could not be stored: " + o.error.message();
}

}  // namespace

common::TimeZone TachoFiles::zone(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = zones_.find(name);
  if (it != zones_.end()) return it->second;
  auto z = common::TimeZone::load(name);
  if (!z) {
    // Checked when the location was saved: a zone gone from the system since, or a file that
    // could not be read now (descriptors exhausted), names this file in UTC; not cached, so the
    // next file tries again.
    spdlog::warn("files: {}; this file is named in UTC", z.error().message());
    return common::TimeZone::utc();
  }
  return zones_.emplace(name, *z).first->second;
}

Analysis TachoFiles::analyze(codecs::ByteView bytes, const FileContext& ctx) {
  const codecs::ddd::ParsedFile parsed = codecs::ddd::parseFile(bytes);
  Analysis a;
  a.kind = codecs::ddd::fileKindName(parsed.kind);
  a.generation = codecs::ddd::generationName(parsed.generation);
  a.summaryJson = codecs::ddd::toJson(parsed);
  for (const auto& w : parsed.warnings)
    a.warnings.push_back("offset " + std::to_string(w.offset) + ": " + w.text);
  a.error = parsed.hasSummary() ? "" : (parsed.error.empty() ? "no summary" : parsed.error);
  store::LocationFiles settings;
  if (ctx.locationId)
    if (auto l = store_.location(*ctx.locationId); l && l->files) settings = *l->files;
  const auto convention = codecs::ddd::parseNamingConvention(settings.naming)
                              .value_or(codecs::ddd::NamingConvention::Eu);
  const std::int64_t at = floorSeconds(downloadTimeMs(ctx.downloadedAtMs, ctx.receivedAtMs));
  codecs::ddd::NamingContext naming;
  naming.localTime = at + zone(settings.timeZone).offsetAt(at);
  naming.vehicleRegistration = ctx.registration;
  a.name = codecs::ddd::conventionalName(parsed, convention, naming);
  return a;
}

void TachoFiles::stored(const store::FileRecord& file, codecs::ByteView bytes) {
  const codecs::ddd::ParsedFile parsed = codecs::ddd::parseFile(bytes);
  if (!parsed.hasSummary()) return;
  const std::int64_t downloadedMs = downloadTimeMs(file.downloadedAtMs, file.receivedAtMs);
  const std::int64_t at = floorSeconds(downloadedMs);
  const auto downloadTime = static_cast<std::uint32_t>(std::clamp<std::int64_t>(at, 0, 0xFFFFFFFE));
  if (ingestor_ != nullptr) {
    // Both submitted before either is awaited: the Ingestor keeps their order and usually
    // commits them together, so the file worker waits for one group commit, not two.
    std::optional<std::future<ingest::Outcome>> driver, summary;
    // Shared with the callbacks: an exception between the submits cannot leave a callback
    // pointing at a promise gone with this frame.
    auto driverDone = std::make_shared<std::promise<ingest::Outcome>>();
    auto summaryDone = std::make_shared<std::promise<ingest::Outcome>>();
    if (parsed.kind == FileKind::DriverCard && parsed.card && !parsed.card->cardNumber.empty() &&
        !parsed.card->surname.empty()) {
      driver = driverDone->get_future();
      derive::submitDriverFromFile(
          *ingestor_, file.serial, file.registration, parsed.card->cardNumber, parsed.card->surname,
          parsed.card->firstNames, file.receivedAtMs,
          [driverDone](const ingest::Outcome& o, bool) { driverDone->set_value(o); });
    }
    if (auto packet = codecs::ddd::fileSummaryPacket(parsed, downloadTime)) {
      summary = summaryDone->get_future();
      ingestor_->submitDerived(
          file.serial, file.registration, std::move(*packet), file.receivedAtMs,
          [summaryDone](const ingest::Outcome& o) { summaryDone->set_value(o); });
    }
    // Both waited for before either failure is thrown.
    const std::string driverError = waitStored(driver, "New Driver notification");
    const std::string summaryError = waitStored(summary, "File Summary packet");
    if (!driverError.empty()) throw std::runtime_error(driverError);
    if (!summaryError.empty()) throw std::runtime_error(summaryError);
  }
  store::TachoDownloadRecord r;
  r.serial = file.serial;
  r.locationId = file.locationId;
  r.fileId = file.id;
  r.downloadedAtMs = downloadedMs;
  if (parsed.kind == FileKind::VehicleUnit && parsed.vu && !parsed.vu->vin.empty()) {
    r.kind = store::TachoDownloadRecord::Kind::VehicleUnit;
    r.subject = parsed.vu->vin;
    r.registration = parsed.vu->registrationNumber;
  } else if (parsed.kind == FileKind::DriverCard && parsed.card &&
             !parsed.card->cardNumber.empty()) {
    r.kind = store::TachoDownloadRecord::Kind::DriverCard;
    r.subject = parsed.card->cardNumber;
    r.surname = parsed.card->surname;
    r.firstNames = parsed.card->firstNames;
    if (parsed.card->expiryDate) r.cardExpiryMs = std::int64_t{*parsed.card->expiryDate} * 1000;
  } else {
    return;
  }
  store_.recordDownload(r);
}

}  // namespace dcgw::files
