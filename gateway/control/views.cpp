// The JSON views of the configuration, queues and tokens: what the admin API returns and what
// the audit log keeps as an object's "before" and "after" (one rendering for both).
#include "gateway/control/views.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "adapters/methods.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/teltonika/avl.hpp"

namespace dcgw::control {

using codecs::JsonWriter;

std::string formatTimeMs(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int frac = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::optional<std::int64_t> parseTimeMs(const std::string& text) {
  int y, mo, d, h, mi, s;
  char rest[32] = {0};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &s, rest) < 6)
    return std::nullopt;
  std::string tail = rest;
  int ms = 0;
  if (!tail.empty() && tail[0] == '.') {
    std::size_t i = 1, digits = 0;
    int scale = 100;
    while (i < tail.size() && std::isdigit(static_cast<unsigned char>(tail[i]))) {
      if (digits < 3) ms += (tail[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    tail = tail.substr(i);
  }
  if (tail != "Z" && tail != "+00:00" && tail != "z") return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string jsonString(std::string_view s) {
  std::string out;
  codecs::appendJsonString(out, s);
  return out;
}

void writeOptionalTime(JsonWriter& w, const char* key, std::optional<std::int64_t> ms) {
  w.key(key);
  if (ms) {
    w.string(formatTimeMs(*ms));
  } else {
    w.null();
  }
}

std::string renderDestination(const store::DestinationConfig& d,
                              const std::vector<std::int64_t>& locationIds) {
  std::string out;
  JsonWriter w(out);
  const auto& s = d.settings;
  w.beginObject();
  w.key("id");
  w.integer(d.id);
  w.key("name");
  w.string(s.name);
  w.key("method");
  w.string(s.method);
  w.key("host");
  w.string(s.host);
  // A method addressed by URL carries the port in it: no port member, so a GET can be PUT back
  // as is. Every other member is written for every method (the table says which it reads).
  const adapters::MethodInfo* info = adapters::findMethod(s.method);
  if (!info || info->takes("port")) {
    w.key("port");
    w.integer(s.port);
  }
  w.key("format");
  w.string(s.format);
  w.key("customTags");
  w.string(s.customTags);
  w.key("filter");
  if (d.filter) {
    w.beginArray();
    for (const auto& k : *d.filter) w.string(k);
    w.endArray();
  } else {
    w.null();
  }
  w.key("enabled");
  w.boolean(d.enabled);
  w.key("paused");
  w.boolean(d.paused);
  w.key("tlsVerify");
  w.boolean(s.tlsVerify);
  w.key("tlsCaFile");
  w.string(s.tlsCaFile);
  w.key("replyTimeoutMs");
  w.integer(s.replyTimeoutMs);
  w.key("locationIds");
  w.beginArray();
  for (auto id : locationIds) w.integer(id);
  w.endArray();
  w.endObject();
  return out;
}

std::string renderLocation(const store::LocationConfig& l, std::int64_t devices) {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("id");
  w.integer(l.id);
  w.key("name");
  w.string(l.name);
  w.key("description");
  w.string(l.description);
  w.key("destinationIds");
  w.beginArray();
  for (auto id : l.destinationIds) w.integer(id);
  w.endArray();
  w.key("devices");
  w.integer(devices);
  const store::LocationFiles files = l.files.value_or(store::LocationFiles{});
  w.key("files");
  w.beginObject();
  w.key("naming");
  w.string(files.naming);
  w.key("timeZone");
  w.string(files.timeZone);
  w.key("vehicleUnitDownloadDays");
  w.integer(files.vehicleUnitDownloadDays);
  w.key("driverCardDownloadDays");
  w.integer(files.driverCardDownloadDays);
  w.endObject();
  w.endObject();
  return out;
}

std::string renderDevice(const store::DeviceRecord& d, const std::string& generatedKey) {
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("serial");
  w.string(d.serial);
  w.key("locationId");
  if (d.locationId) {
    w.integer(*d.locationId);
  } else {
    w.null();
  }
  w.key("registration");
  w.string(d.registration);
  w.key("hasKey");
  w.boolean(d.hasKey);
  w.key("lastSequence");
  w.integer(d.lastSequence);
  w.key("companyCard");
  if (d.companyCard.empty()) {
    w.null();
  } else {
    w.string(d.companyCard);
  }
  w.key("protocol");
  w.string(d.protocol);
  w.key("family");
  if (d.family.empty()) {
    w.null();
  } else {
    w.string(d.family);
  }
  w.key("lastPacketAt");
  if (d.lastPacketAtMs) {
    w.string(formatTimeMs(*d.lastPacketAtMs));
  } else {
    w.null();
  }
  if (!generatedKey.empty()) {
    w.key("key");
    w.string(generatedKey);
  }
  w.endObject();
  return out;
}

const char* stateName(store::DeliveryState s) {
  switch (s) {
    case store::DeliveryState::Pending:
      return "pending";
    case store::DeliveryState::Delivered:
      return "delivered";
    case store::DeliveryState::Dead:
      return "dead";
  }
  return "pending";
}

void writeEntry(JsonWriter& w, const store::QueueEntry& e) {
  w.beginObject();
  w.key("id");
  w.integer(e.id);
  w.key("destinationId");
  w.integer(e.destinationId);
  w.key("packetId");
  w.integer(e.packetId);
  w.key("state");
  w.string(stateName(e.state));
  w.key("attempts");
  w.integer(e.attempts);
  w.key("receivedAt");
  w.string(formatTimeMs(e.receivedAtMs));
  writeOptionalTime(w, "finishedAt", e.finishedAtMs);
  w.key("reason");
  if (e.reason) {
    w.string(*e.reason);
  } else {
    w.null();
  }
  w.key("serial");
  w.string(e.serial);
  w.key("registration");
  w.string(e.registration);
  w.key("type");
  w.integer(e.type);
  w.key("filterKey");
  if (e.filterKey) {
    w.string(*e.filterKey);
  } else {
    w.null();
  }
  w.key("data");
  w.string(codecs::toHex(e.data));
  w.key("packet");
  codecs::Packet p;
  if (codecs::Status s = codecs::decodePacket(e.data, p); s) {
    w.raw(codecs::renderPacketJson(p));
  } else {
    w.beginObject();
    w.key("error");
    w.string(s.error().message());
    w.endObject();
  }
  // The raw record the packet was made from (issue 15): today only Teltonika AVL records, kept
  // as [codec id][record bytes].
  w.key("origin");
  if (e.origin.empty()) {
    w.null();
  } else {
    w.beginObject();
    w.key("protocol");
    w.string("teltonika");
    w.key("codec");
    w.string(codecs::teltonika::codecName(e.origin.front()));
    w.key("hex");
    w.string(codecs::toHex(codecs::ByteView(e.origin).subspan(1)));
    w.endObject();
  }
  w.key("history");
  w.beginArray();
  for (const auto& a : e.history) {
    w.beginObject();
    w.key("at");
    w.string(formatTimeMs(a.atMs));
    w.key("outcome");
    w.string(a.outcome);
    w.key("reason");
    w.string(a.reason);
    w.key("durationUs");
    w.integer(a.durationUs);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

const char* forwarderStateName(forward::Forwarder::State s) {
  switch (s) {
    case forward::Forwarder::State::Delivering:
      return "delivering";
    case forward::Forwarder::State::Idle:
      return "idle";
    case forward::Forwarder::State::BackingOff:
      return "backing-off";
    case forward::Forwarder::State::Paused:
      return "paused";
    case forward::Forwarder::State::Disabled:
      return "disabled";
  }
  return "idle";
}

void writeQueue(JsonWriter& w, const store::QueueOverview& q, const forward::Forwarder::Status& st,
                std::int64_t now, const std::optional<store::QueueEntry>& blocking) {
  w.beginObject();
  w.key("destinationId");
  w.integer(q.destinationId);
  w.key("name");
  w.string(q.name);
  w.key("method");
  w.string(q.method);
  w.key("enabled");
  w.boolean(q.enabled);
  w.key("state");
  // The worker's view when it runs; the configuration's when it does not.
  const char* state = !q.enabled ? "disabled" : q.paused ? "paused" : forwarderStateName(st.state);
  // Just resumed: the woken worker has not said what it does yet; the store knows.
  if (q.enabled && !q.paused && std::string(state) == "paused")
    state = q.state.nextAttemptAtMs > now ? "backing-off"
            : q.counters.depth > 0        ? "delivering"
                                          : "idle";
  w.string(state);
  w.key("nextRetryAt");
  const std::int64_t next = std::max(q.state.nextAttemptAtMs, st.nextAttemptAtMs);
  if (std::string(state) == "backing-off" && next > 0) {
    w.string(formatTimeMs(next));
  } else {
    w.null();
  }
  w.key("depth");
  w.integer(q.counters.depth);
  writeOptionalTime(w, "oldestPendingAt", q.counters.oldestPendingReceivedAtMs);
  w.key("oldestPendingAgeSeconds");
  if (q.counters.oldestPendingReceivedAtMs) {
    w.number(std::max<double>(0, (now - *q.counters.oldestPendingReceivedAtMs) / 1000.0));
  } else {
    w.null();
  }
  // While the store cannot record deliveries, the worker's own backoff and reason (the store's
  // state is what it could last write).
  const bool storeFault = !st.storeError.empty();
  w.key("consecutiveFailures");
  w.integer(storeFault ? std::max(q.state.consecutiveFailures, st.consecutiveFailures)
                       : q.state.consecutiveFailures);
  w.key("lastError");
  w.string(storeFault ? st.storeError : q.state.lastError);
  writeOptionalTime(w, "lastErrorAt", q.lastErrorAtMs);
  w.key("counters");
  w.beginObject();
  w.key("queued");
  w.integer(q.counters.queued);
  w.key("delivered");
  w.integer(q.counters.delivered);
  w.key("failedAttempts");
  w.integer(q.counters.failedAttempts);
  w.key("deadLetters");
  w.integer(q.counters.deadLetters);
  w.key("filtered");
  w.integer(q.counters.filtered);
  w.endObject();
  w.key("blocking");
  if (blocking) {
    writeEntry(w, *blocking);
  } else {
    w.null();
  }
  w.endObject();
}

void writeToken(JsonWriter& w, const store::TokenRecord& t, const std::string& secret) {
  w.beginObject();
  w.key("id");
  w.integer(t.id);
  w.key("name");
  w.string(t.name);
  w.key("role");
  w.string(t.role);
  w.key("createdAt");
  w.string(formatTimeMs(t.createdAtMs));
  writeOptionalTime(w, "lastUsedAt", t.lastUsedAtMs);
  if (!secret.empty()) {
    w.key("token");
    w.string(secret);
  }
  w.endObject();
}

std::string renderToken(const store::TokenRecord& t) {
  std::string out;
  JsonWriter w(out);
  writeToken(w, t, "");
  return out;
}

std::string renderQueue(store::QueueViews& views, const forward::Forwarder::Status& worker,
                        std::int64_t nowMs, const store::QueueOverview& q) {
  std::optional<store::QueueEntry> blocking;
  if (q.blockingEntryId) blocking = views.entry(q.destinationId, *q.blockingEntryId);
  std::string out;
  JsonWriter w(out);
  writeQueue(w, q, worker, nowMs, blocking);
  return out;
}

}  // namespace dcgw::control
