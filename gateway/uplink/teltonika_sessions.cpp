// Teltonika TCP sessions: login by IMEI, frames into AvlIngest, record counts after the commit.
#include "gateway/uplink/teltonika_sessions.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gateway/store/errors.hpp"
#include "gateway/uplink/listener.hpp"

namespace dcgw::uplink {

namespace tk = codecs::teltonika;
namespace up = codecs::uplink;

namespace {

// The kinds scan() gives the frames it cuts (the transport passes them back to onFrame).
enum FrameKind : std::uint8_t { kLogin = 1, kPing, kAvl, kCommand, kBroken };

// Teltonika sessions in the Ingestor's refusal set must not collide with the uplink's (both
// count connections from 1).
constexpr std::uint64_t kSessionTag = std::uint64_t{1} << 63;

TeltonikaConnection& conn(Connection& c) {
  return static_cast<TeltonikaConnection&>(c);
}
const TeltonikaConnection& conn(const Connection& c) {
  return static_cast<const TeltonikaConnection&>(c);
}

}  // namespace

// ---------------------------------------------------------------- refused logins
struct RefusedLog::State {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<store::RefusedIdent> waiting;
  bool stop{false};
  std::thread thread;
};

RefusedLog::RefusedLog(store::DeviceDirectory& store) : state_(std::make_shared<State>()) {
  state_->thread = std::thread([s = state_, &store] {
    std::unique_lock lock(s->mu);
    for (;;) {
      s->cv.wait(lock, [&] { return s->stop || !s->waiting.empty(); });
      if (s->waiting.empty()) return;
      std::vector<store::RefusedIdent> batch;
      batch.swap(s->waiting);
      lock.unlock();
      try {
        store.recordRefusedIdents(batch);
      } catch (const store::StoreError& e) {
        spdlog::warn("teltonika: {} refused logins not recorded: {}", batch.size(), e.what());
      }
      lock.lock();
    }
  });
}

RefusedLog::~RefusedLog() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  state_->thread.join();
}

void RefusedLog::add(store::RefusedIdent ident) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->waiting.size() >= 10'000) return;
    state_->waiting.push_back(std::move(ident));
  }
  state_->cv.notify_one();
}

AvlLookup lookUpAvlDevice(store::DeviceDirectory& store, const std::string& imei) {
  std::optional<store::DeviceAuth> auth;
  try {
    auth = store.deviceAuth(imei);
  } catch (const store::StoreError& e) {
    return {std::nullopt, std::string("the device list cannot be read: ") + e.what()};
  }
  if (!auth) return {std::nullopt, "no device with IMEI " + imei + " is registered"};
  if (auth->protocol != "teltonika")
    return {std::nullopt, "device " + imei + " is registered for the " + auth->protocol +
                              " protocol, not teltonika"};
  auto family = tk::parseFamily(auth->family);
  if (!family)
    return {std::nullopt, "device " + imei + " has no Teltonika family (FMBxxx or FMX6)"};
  return {AvlDevice{imei, *family, auth->frameKey}, {}};
}

// ---------------------------------------------------------------- sessions
TeltonikaSessions::TeltonikaSessions(store::DeviceDirectory& store, AvlIngest& ingest,
                                     common::Clock& clock, std::size_t maxDataBytes,
                                     ListenerStats& stats, std::shared_ptr<Outbox> outbox,
                                     RefusedLog& refused)
    : store_(store),
      ingest_(ingest),
      clock_(clock),
      maxDataBytes_(maxDataBytes),
      stats_(stats),
      outbox_(std::move(outbox)),
      refused_(refused) {}

std::unique_ptr<Connection> TeltonikaSessions::newConnection() {
  return std::make_unique<TeltonikaConnection>();
}

const std::string& TeltonikaSessions::name(const Connection& c) {
  static const std::string kNone = "-";
  return conn(c).loggedIn ? conn(c).device.imei : kNone;
}

std::size_t TeltonikaSessions::maxFrameBytes(const Connection& c) {
  return conn(c).loggedIn ? maxDataBytes_ + tk::kFrameOverheadBytes : tk::kLoginBytes;
}

up::ScanResult TeltonikaSessions::scan(const Connection& c, codecs::ByteView data) {
  up::ScanResult r;
  if (!conn(c).loggedIn) {
    tk::LoginScan l = tk::tryLogin(data);
    if (l.scan == tk::Scan::NeedMore) return r;
    if (l.scan == tk::Scan::Bad) {
      r.scan = up::Scan::Bad;
      r.reason = "login: " + l.error.message();
      return r;
    }
    scannedImei_ = std::move(l.imei);
    r.scan = up::Scan::Frame;
    r.frameBytes = l.bytes;
    r.frame = up::FrameView{kLogin, data.first(l.bytes)};
    return r;
  }
  scanned_ = tk::tryFrame(data, maxDataBytes_);
  switch (scanned_.scan) {
    case tk::Scan::NeedMore:
      return r;
    case tk::Scan::Ping:
      r.frame.kind = kPing;
      break;
    case tk::Scan::Frame:
      r.frame.kind = scanned_.avl ? kAvl : kCommand;
      break;
    case tk::Scan::Bad:
      if (!scanned_.recoverable()) {
        r.scan = up::Scan::Bad;
        r.reason = std::string(tk::problemName(scanned_.problem)) + ": " + scanned_.error.message();
        return r;
      }
      r.frame.kind = kBroken;
      break;
  }
  r.scan = up::Scan::Frame;
  r.frameBytes = scanned_.frameBytes;
  r.frame.body = data.first(scanned_.frameBytes);
  return r;
}

void TeltonikaSessions::appendError(const Connection& c, up::ErrorCode, const std::string&,
                                    codecs::Bytes& out) {
  // The protocol has no error frame: a connection refused before its login hears 00 (the
  // login's refusal), a logged-in one is simply closed.
  if (!conn(c).loggedIn) tk::appendLoginReply(out, false);
}

bool TeltonikaSessions::onFrame(Connection& base, const up::FrameView& f) {
  TeltonikaConnection& c = conn(base);
  switch (f.kind) {
    case kLogin:
      return onLogin(c);
    case kPing:
      return true;
    case kAvl:
      onAvl(c);
      return true;
    case kCommand:
      if (scanned_.command && scanned_.command->type == tk::kResponseType)
        spdlog::info("teltonika {}: {} response: {}", c.device.imei,
                     tk::codecName(scanned_.command->codec), scanned_.command->text());
      else
        spdlog::warn("teltonika {}: a {} message of type {} from the device, ignored",
                     c.device.imei, tk::codecName(scanned_.codec),
                     scanned_.command ? scanned_.command->type : 0);
      return true;
    case kBroken:
      ++stats_.rejected;
      if (scanned_.codec == tk::kCodec12 || scanned_.codec == tk::kCodec13) {
        // A command message is never acknowledged (section 4): logged only.
        spdlog::warn("teltonika {} {}: {} message refused ({}): {}", c.device.imei, c.address(),
                     tk::codecName(scanned_.codec), tk::problemName(scanned_.problem),
                     scanned_.error.message());
        return true;
      }
      // The frame's boundary is sound, its content is not: 0 records accepted, nothing stored,
      // and the device resends it (schema/teltonika.md section 10.2). With frames of the device
      // still in flight, the 0 waits for their answers: the device pairs answers with frames
      // by their order alone.
      spdlog::warn("teltonika {} {}: frame refused ({}): {}; answered 0 records", c.device.imei,
                   c.address(), tk::problemName(scanned_.problem), scanned_.error.message());
      if (c.inFlight == 0) {
        tk::appendRecordAck(c.out, 0);
        transport_->markDirty(c);
      } else if (!tooManyInFlight(c)) {
        ++c.inFlight;
        ingest_.submitRefused(c.device.imei, verdictPoster(c.id));
      }
      return true;
    default:
      return true;
  }
}

bool TeltonikaSessions::onLogin(TeltonikaConnection& c) {
  AvlLookup found = lookUpAvlDevice(store_, scannedImei_);
  if (!found.device) {
    c.device.imei = scannedImei_;
    refuse(c, found.refusal);
    return false;
  }
  c.device = std::move(*found.device);
  c.loggedIn = true;
  transport_->markOpen(c);
  ++stats_.logins;
  // The newer connection of a device wins: the older is usually a link the device gave up on.
  if (auto it = directory_.find(c.device.imei); it != directory_.end() && it->second != c.id) {
    if (Connection* old = transport_->find(it->second))
      transport_->fail(*old, up::ErrorCode::Replaced, "replaced by a newer connection");
  }
  directory_[c.device.imei] = c.id;
  tk::appendLoginReply(c.out, true);
  transport_->markDirty(c);
  spdlog::info("teltonika {} {}: logged in ({})", c.device.imei, c.address(),
               tk::familyName(c.device.family));
  return true;
}

void TeltonikaSessions::refuse(TeltonikaConnection& c, const std::string& reason) {
  ++stats_.refusedLogins;
  spdlog::warn("teltonika {} {}: login refused: {}", c.device.imei, c.address(), reason);
  refused_.add(store::RefusedIdent{c.device.imei, c.address(), "teltonika: " + reason,
                                   clock_.nowMs(), 0, 0});
  transport_->fail(c, up::ErrorCode::UnknownDevice, reason);
}

AvlIngest::Done TeltonikaSessions::verdictPoster(ConnectionId id) {
  return [this, outbox = outbox_, id](const AvlVerdict& v) {
    outbox->post([this, id, v] { onVerdict(id, v); });
  };
}

bool TeltonikaSessions::tooManyInFlight(TeltonikaConnection& c) {
  // A device waits for each answer (section 1); one that keeps sending without reading them
  // would only fill the memory.
  if (c.inFlight < kMaxFramesInFlight) return false;
  transport_->fail(c, up::ErrorCode::WindowExceeded,
                   "more than " + std::to_string(kMaxFramesInFlight) +
                       " frames sent without waiting for their answers");
  return true;
}

void TeltonikaSessions::onAvl(TeltonikaConnection& c) {
  if (tooManyInFlight(c)) return;
  tk::AvlData data = std::move(*scanned_.avl);
  stats_.packets += data.records.size();
  ++c.inFlight;
  ingest_.submit(c.device, kSessionTag | c.id, std::move(data), clock_.nowMs(),
                 verdictPoster(c.id));
}

void TeltonikaSessions::onVerdict(ConnectionId id, const AvlVerdict& v) {
  Connection* base = transport_->find(id);
  if (!base) return;  // gone: the device resends, and a committed frame is found by its key
  TeltonikaConnection& c = conn(*base);
  if (c.inFlight > 0) --c.inFlight;
  if (c.state != Connection::State::Open) return;
  switch (v.kind) {
    case AvlVerdict::Kind::Ack:
      stats_.stored += v.records;
      if (v.resend) stats_.duplicates += v.records;
      tk::appendRecordAck(c.out, v.records);
      transport_->markDirty(c);
      break;
    case AvlVerdict::Kind::UnknownDevice:
      refuse(c, v.reason);
      break;
    case AvlVerdict::Kind::Fail:
      transport_->fail(c, up::ErrorCode::StoreUnavailable,
                       v.reason + " (nothing acknowledged; the device resends)");
      break;
  }
}

void TeltonikaSessions::onEnd(Connection& base) {
  TeltonikaConnection& c = conn(base);
  if (!c.loggedIn) return;
  auto it = directory_.find(c.device.imei);
  if (it != directory_.end() && it->second == c.id) directory_.erase(it);
}

void TeltonikaSessions::onTimeout(Connection& c) {
  if (c.state == Connection::State::Open)
    transport_->fail(c, up::ErrorCode::IdleTimeout, "no frame for the idle timeout");
  else
    transport_->fail(c, up::ErrorCode::LoginTimeout, "no IMEI login in time");
}

void TeltonikaSessions::onWake() {
  outbox_->take(taken_);
  for (Outbox::Item& item : taken_)
    if (item.connection == 0 && item.loopTask) item.loopTask();
  taken_.clear();
}

bool TeltonikaSessions::busy(const Connection& c) {
  return conn(c).inFlight > 0;
}

void TeltonikaSessions::devicesChanged(const std::vector<std::string>& serials) {
  for (const std::string& imei : serials) {
    auto it = directory_.find(imei);
    if (it == directory_.end()) continue;
    Connection* base = transport_->find(it->second);
    if (!base) continue;
    TeltonikaConnection& c = conn(*base);
    AvlLookup found = lookUpAvlDevice(store_, imei);
    if (!found.device) {
      ingest_.forget(imei);
      refuse(c, found.refusal);
      continue;
    }
    if (found.device->family != c.device.family) {
      spdlog::info("teltonika {}: family now {}", imei, tk::familyName(found.device->family));
      c.device.family = found.device->family;
      ingest_.forget(imei);
    }
  }
}

}  // namespace dcgw::uplink
