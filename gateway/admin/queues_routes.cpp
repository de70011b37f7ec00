// /api/v1/queues: each destination's queue, its entries, and the queue actions (through the
// queue control service; the response is read after the change is published, so it shows what
// the woken worker does).
#include <algorithm>
#include <limits>

#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;
using codecs::JsonWriter;

std::string queueJson(Api& api, std::int64_t id) {
  auto v = api.queues.view(id);
  if (!v) throw ApiError{404, "no queue " + std::to_string(id), {}};
  return *v;
}

store::EntryFilter entryFilter(const Request& r) {
  store::EntryFilter f;
  control::FieldErrors e;
  if (auto s = r.param("state")) {
    if (*s == "pending") {
      f.state = store::DeliveryState::Pending;
    } else if (*s == "delivered") {
      f.state = store::DeliveryState::Delivered;
    } else if (*s == "dead") {
      f.state = store::DeliveryState::Dead;
    } else {
      e.add("state", "pending, delivered or dead, not '" + *s + "'");
    }
  }
  if (auto t = r.param("type")) {
    std::optional<std::int64_t> v;
    if (t->size() > 2 && t->size() <= 4 && (t->rfind("0x", 0) == 0 || t->rfind("0X", 0) == 0)) {
      codecs::Bytes b;
      const std::string digits = (t->size() == 3 ? "0" : "") + t->substr(2);
      if (codecs::fromHex(digits, b) && b.size() == 1) v = b[0];
    } else {
      v = wholeNumber(*t, 0, 255);
    }
    if (v) {
      f.type = static_cast<int>(*v);
    } else {
      e.add("type", "a packet type from 0 to 255 (decimal or 0x hex), not '" + *t + "'");
    }
  }
  if (auto d = r.param("device")) f.serial = *d;
  for (const char* k : {"from", "to"})
    if (auto v = r.param(k)) {
      auto ms = control::parseTimeMs(*v);
      if (!ms) {
        e.add(k, "an ISO-8601 UTC time such as 2026-11-22T10:15:00Z, not '" + *v + "'");
      } else {
        (std::string(k) == "from" ? f.fromMs : f.toMs) = *ms;
      }
    }
  pageParams(r, "after", 0, f.afterId, f.limit, e);
  throwIfAny(e);
  return f;
}

int listEntries(Api& api, Request& r, std::int64_t id) {
  if (!api.store.queue(id)) throw ApiError{404, "no queue " + std::to_string(id), {}};
  store::EntryFilter f = entryFilter(r);
  // One more than asked: a full page is the last one when nothing follows it.
  const int limit = f.limit;
  f.limit = limit + 1;
  auto page = api.store.entries(id, f);
  const bool more = static_cast<int>(page.size()) > limit;
  if (more) page.pop_back();
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("entries");
  w.beginArray();
  for (const auto& x : page) control::writeEntry(w, x);
  w.endArray();
  writeNext(w, more ? std::optional(page.back().id) : std::nullopt);
  w.endObject();
  return r.reply(200, out);
}

int queueAction(Api& api, Request& r, std::int64_t id, const std::string& action) {
  if (!api.store.queue(id)) throw ApiError{404, "no queue " + std::to_string(id), {}};
  if (action == "retry") {
    orThrow(api.queues.retry(r.caller, id));
  } else if (action == "pause" || action == "resume") {
    orThrow(api.queues.setPaused(r.caller, id, action == "pause"));
  } else if (action == "skip") {
    const JsonValue body = r.body();
    control::FieldErrors e;
    auto reason = stringField(body, "reason", e, true);
    throwIfAny(e);
    const std::int64_t skipped = orThrow(api.queues.skip(r.caller, id, *reason));
    return r.reply(200, "{\"skipped\":" + std::to_string(skipped) + "}");
  } else if (action == "requeue-dead") {
    const int n = orThrow(api.queues.requeueDead(r.caller, id));
    return r.reply(200, "{\"requeued\":" + std::to_string(n) + "}");
  } else if (action == "replay") {
    const JsonValue body = r.body();
    control::FieldErrors e;
    auto from = stringField(body, "from", e, true);
    std::optional<std::int64_t> fromMs;
    if (from) {
      fromMs = control::parseTimeMs(*from);
      if (!fromMs) e.add("from", "an ISO-8601 UTC time such as 2026-11-22T10:15:00Z");
    }
    throwIfAny(e);
    const int n = orThrow(api.queues.replay(r.caller, id, *fromMs, *from));
    return r.reply(200, "{\"replayed\":" + std::to_string(n) + "}");
  } else {
    throw ApiError{404, "no queue action '" + action + "'", {}};
  }
  // Built after the change is published: the woken worker's state is already the one shown.
  return r.reply(200, queueJson(api, id));
}

// GET /api/v1/queues/history: each queue's samples of the range, the current state appended as
// the last point (so a chart is up to date between samples). A point's delivery rate is over
// the time since the point before it.
int queueHistory(Api& api, Request& r) {
  QueueHistory::Range range = QueueHistory::Range::Hour;
  if (auto v = r.param("range")) {
    if (*v == "day") {
      range = QueueHistory::Range::Day;
    } else if (*v != "hour") {
      control::FieldErrors e;
      e.add("range", "hour or day, not '" + *v + "'");
      throwIfAny(e);
    }
  }
  const QueueHistory::Resolution res = api.history.resolution(range);
  const std::int64_t now = api.clock.nowMs();
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("range");
  w.string(range == QueueHistory::Range::Hour ? "hour" : "day");
  w.key("stepSeconds");
  w.number(static_cast<double>(res.stepMs) / 1000.0);
  w.key("from");
  w.string(formatTimeMs(now - res.spanMs));
  w.key("to");
  w.string(formatTimeMs(now));
  w.key("queues");
  w.beginArray();
  for (const auto& q : api.store.queueOverview()) {
    std::vector<QueueSample> points = api.history.samples(q.destinationId, range);
    std::erase_if(points, [&](const QueueSample& x) { return x.atMs < now - res.spanMs; });
    if (points.empty() || points.back().atMs < now)
      points.push_back({now, q.counters.depth, q.counters.delivered});
    w.beginObject();
    w.key("destinationId");
    w.integer(q.destinationId);
    w.key("name");
    w.string(q.name);
    w.key("points");
    w.beginArray();
    for (std::size_t i = 0; i < points.size(); ++i) {
      const QueueSample& x = points[i];
      w.beginObject();
      w.key("at");
      w.string(formatTimeMs(x.atMs));
      w.key("depth");
      w.integer(x.depth);
      w.key("delivered");
      w.integer(x.delivered);
      w.key("deliveredPerMinute");
      const std::int64_t dt = i ? x.atMs - points[i - 1].atMs : 0;
      if (dt > 0) {
        // A counter that went down (a store restored from a backup) counts as no deliveries.
        const auto n = std::max<std::int64_t>(0, x.delivered - points[i - 1].delivered);
        w.number(static_cast<double>(n) * 60'000.0 / static_cast<double>(dt));
      } else {
        w.null();
      }
      w.endObject();
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return r.reply(200, out);
}

}  // namespace

void addQueueRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/queues", one = all + "/{queue}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    const std::int64_t now = api.clock.nowMs();
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("queues");
    w.beginArray();
    for (const auto& q : api.store.queueOverview())
      w.raw(control::renderQueue(api.store, api.forwarder.status(q.destinationId), now, q));
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  // Before the {queue} rows: "history" is not a queue id.
  t.add("GET", all + "/history", Role::Reader, [&api](Request& r) { return queueHistory(api, r); });
  t.notAllowed(all + "/history");
  t.add("GET", one, Role::Reader,
        [&api](Request& r) { return r.reply(200, queueJson(api, r.id("queue"))); });
  t.add("GET", one + "/entries", Role::Reader,
        [&api](Request& r) { return listEntries(api, r, r.id("queue")); });
  t.add("GET", one + "/entries/{entry}", Role::Reader, [&api](Request& r) {
    auto e = api.store.entry(r.id("queue"), r.id("entry"));
    if (!e) throw ApiError{404, "no entry " + r.var("entry") + " in queue " + r.var("queue"), {}};
    std::string out;
    JsonWriter w(out);
    control::writeEntry(w, *e);
    return r.reply(200, out);
  });
  t.add("POST", one + "/{action}", Role::Admin,
        [&api](Request& r) { return queueAction(api, r, r.id("queue"), r.var("action")); });
  t.notAllowed(one + "/{action}");
  t.noSuchPath(one + "/**");
}

}  // namespace dcgw::admin
