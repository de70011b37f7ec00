// Teltonika frames into the ingest path: derive, submit with the frame key, settle the frame once
// all of its packets are committed (schema/teltonika.md section 10).
#include "gateway/uplink/teltonika_ingest.hpp"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "codecs/packets/packet.hpp"

namespace dcgw::uplink {

namespace tk = codecs::teltonika;

// One frame in the Ingestor: what its packets' completions settle together.
struct AvlIngest::Run {
  std::string imei;
  std::int64_t key{0};
  std::uint32_t records{0};
  std::size_t remaining{0};
  std::size_t stored{0};
  derive::AvlDeriver before;  // the deriver as it was before this frame
  Done done;
  std::optional<AvlVerdict> failure;
};

AvlIngest::AvlIngest(ingest::Ingestor& ingestor) : ingestor_(ingestor) {}

AvlIngest::~AvlIngest() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return running_ == 0; });
}

std::int64_t AvlIngest::frameKey(const tk::AvlData& data) {
  // FNV-1a over codec, count and each record's bytes as sent: the same frame resent gives the
  // same key; another frame, even of the same timestamps, another.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 1099511628211ull;
    }
  };
  mix(data.codec, 1);
  mix(data.records.size(), 2);
  for (const tk::AvlRecord& r : data.records) {
    mix(r.timestampMs, 8);
    mix(r.raw.size(), 2);
    for (std::uint8_t b : r.raw) mix(b, 1);
  }
  const auto key = static_cast<std::int64_t>(h & 0x7FFF'FFFF'FFFF'FFFFull);
  return key == 0 ? 1 : key;
}

void AvlIngest::submit(const AvlDevice& device, std::uint64_t session, tk::AvlData data,
                       std::int64_t receivedAtMs, Done done) {
  {
    std::lock_guard lock(mu_);
    Device& d = devices_[device.imei];
    if (d.queue.size() >= kMaxQueued) {
      done(AvlVerdict{AvlVerdict::Kind::Fail, 0, 0, false,
                      "more than " + std::to_string(kMaxQueued) +
                          " frames of this device wait for their commit"});
      return;
    }
    d.family = device.family;
    if (!d.deriver || d.deriver->family() != device.family) {
      d.deriver.emplace(device.family);
      if (d.lastKey == 0) d.lastKey = device.storedFrameKey;
    }
    d.queue.push_back(Pending{session, std::move(data), receivedAtMs, std::move(done)});
  }
  pump(device.imei);
}

void AvlIngest::submitRefused(const std::string& imei, Done done) {
  {
    std::lock_guard lock(mu_);
    Device& d = devices_[imei];
    d.queue.push_back(Pending{0, {}, 0, std::move(done), true});
  }
  pump(imei);
}

void AvlIngest::forget(const std::string& imei) {
  std::lock_guard lock(mu_);
  auto it = devices_.find(imei);
  if (it == devices_.end()) return;
  // A frame in the Ingestor still settles into the entry; only the derivation starts afresh.
  it->second.deriver.reset();
  if (!it->second.running && it->second.queue.empty()) devices_.erase(it);
}

void AvlIngest::pump(const std::string& imei) {
  for (;;) {
    std::vector<store::IngestItem> items;
    std::shared_ptr<Run> run;
    {
      // Verdicts are given under the lock (they only post to a loop or send a datagram): the
      // answers of one device leave in the order of its frames.
      std::lock_guard lock(mu_);
      auto it = devices_.find(imei);
      if (it == devices_.end()) return;
      Device& d = it->second;
      if (d.running || d.queue.empty()) return;
      Pending p = std::move(d.queue.front());
      d.queue.pop_front();
      AvlVerdict verdict;
      if (p.refused) {
        p.done(verdict);  // 0 records
        continue;
      }
      const std::int64_t key = frameKey(p.data);
      verdict.records = static_cast<std::uint32_t>(p.data.records.size());
      if (key == d.lastKey) {
        // A resend of the last frame committed (its acknowledgement was lost): answered again,
        // derived and stored never twice.
        verdict.resend = true;
        p.done(verdict);
        continue;
      }
      if (!d.deriver) d.deriver.emplace(d.family);  // forgotten (family changed) while queued
      derive::AvlDeriver before = *d.deriver;
      std::vector<derive::AvlPacket> packets = d.deriver->derive(p.data.records);
      // The deriver's packets are checked by its tests; one the codecs refuse is the gateway's
      // bug, logged loudly and left out, so that the frame still commits whole (its end marks
      // the frame key) and the device does not resend it forever.
      std::erase_if(packets, [&](const derive::AvlPacket& dp) {
        codecs::Packet decoded;
        codecs::Status s = codecs::decodePacket(dp.packet, decoded);
        if (!s)
          spdlog::error("teltonika {}: a derived packet was refused by the codecs: {}", imei,
                        s.error().message());
        return !s;
      });
      if (packets.empty()) {
        d.lastKey = key;
        p.done(verdict);
        continue;
      }
      d.running = true;
      ++running_;
      run = std::make_shared<Run>(Run{
          imei, key, verdict.records, packets.size(), 0, std::move(before), std::move(p.done), {}});
      items.reserve(packets.size());
      for (std::size_t i = 0; i < packets.size(); ++i) {
        const tk::AvlRecord& r = p.data.records.at(packets[i].record);
        store::IngestItem item;
        item.serial = imei;
        item.packet = std::move(packets[i].packet);
        item.receivedAtMs = p.atMs;
        item.session = p.session;
        item.origin.reserve(1 + r.raw.size());
        item.origin.push_back(r.codec);
        item.origin.insert(item.origin.end(), r.raw.begin(), r.raw.end());
        item.frameKey = key;
        item.frameEnd = i + 1 == packets.size();
        items.push_back(std::move(item));
      }
    }
    // One transaction for the frame's packets: it commits whole or not at all.
    ingestor_.submitGroup(std::move(items),
                          [this, run](const ingest::Outcome& o) { complete(run, o); });
    return;  // the last completion pumps the next frame
  }
}

void AvlIngest::complete(const std::shared_ptr<Run>& run, const ingest::Outcome& o) {
  std::vector<Done> failed;  // the device's queued frames, refused with this one
  AvlVerdict verdict;
  Done done;
  {
    std::lock_guard lock(mu_);
    using K = ingest::Outcome::Kind;
    switch (o.kind) {
      case K::Stored:
        ++run->stored;
        break;
      case K::Duplicate:
        break;
      case K::UnknownDevice:
        if (!run->failure)
          run->failure = AvlVerdict{AvlVerdict::Kind::UnknownDevice, 0, 0, false,
                                    "device " + run->imei + " is no longer registered"};
        break;
      default:  // the store or a stop refused it (pump left out what the codecs refuse)
        if (!run->failure)
          run->failure = AvlVerdict{AvlVerdict::Kind::Fail, 0, 0, false, o.error.message()};
        break;
    }
    if (--run->remaining != 0) return;
    Device& d = devices_[run->imei];
    d.running = false;
    if (run->failure) {
      // Nothing of the frame is acknowledged: the deriver forgets it, so the resend derives the
      // same packets; frames queued behind it are refused too (the device resends them after).
      if (d.deriver) *d.deriver = std::move(run->before);
      verdict = *run->failure;
      for (Pending& p : d.queue) failed.push_back(std::move(p.done));
      d.queue.clear();
    } else {
      d.lastKey = run->key;
      verdict.records = run->records;
      verdict.packets = run->stored;
    }
    done = std::move(run->done);
    done(verdict);
    for (Done& f : failed) f(verdict);
  }
  if (verdict.kind == AvlVerdict::Kind::Ack) pump(run->imei);
  std::lock_guard lock(mu_);
  if (--running_ == 0) idle_.notify_all();
}

}  // namespace dcgw::uplink
