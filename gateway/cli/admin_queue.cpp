// `dcgw queue ...`: the queues' table, one queue in detail, its entries, and the queue actions.
#include "gateway/cli/admin_internal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string_view>

#include "adapters/methods.hpp"

namespace dcgw::cli::admin_impl {

codecs::Result<std::string> entriesQuery(const AdminInvocation& inv) {
  if (auto s = checkEnum(inv, "--state", {"pending", "delivered", "dead"}); !s) return s.error();
  long long n = 0;
  if (const std::string* v = value(inv, "--limit"); v && !parseInt(*v, 1, 500, n))
    return argError("--limit", "--limit must be a number from 1 to 500, not '" + *v + "'");
  if (const std::string* v = value(inv, "--after"); v && !parseInt(*v, 0, INT64_MAX, n))
    return argError("--after",
                    "--after must be the cursor (a number) a previous page gave, not '" + *v + "'");
  std::string q;
  static constexpr std::pair<const char*, const char*> kParams[] = {
      {"--state", "state"}, {"--type", "type"},   {"--device", "device"}, {"--from", "from"},
      {"--to", "to"},       {"--limit", "limit"}, {"--after", "after"}};
  for (auto [opt, key] : kParams) {
    if (const std::string* v = value(inv, opt))
      q += (q.empty() ? "?" : "&") + std::string(key) + "=" + percentEncode(*v);
  }
  return q;
}

int Runner::queue(const std::string& v) {
  const std::string base = "/api/v1/queues";
  if (v == "list") {
    return list(base, "queues",
                {{"ID", true},
                 {"NAME"},
                 {"STATE"},
                 {"DEPTH", true},
                 {"OLDEST", true},
                 {"NEXT RETRY"},
                 {"FAILURES", true},
                 {"LAST ERROR"}},
                [this](const JsonValue& q) {
                  return std::vector<std::string>{cell(q, "destinationId"),
                                                  cell(q, "name"),
                                                  stateText(q),
                                                  cell(q, "depth"),
                                                  ageText(q),
                                                  nextRetryText(q),
                                                  cell(q, "consecutiveFailures"),
                                                  cell(q, "lastError")};
                });
  }
  if (v == "show") {
    auto a = call("GET", base + "/" + op_);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    renderQueue(a->json);
    return kAdminOk;
  }
  if (v == "entries") {
    auto q = entriesQuery(inv_);
    if (!q) return badArgs(q.error());
    auto a = call("GET", base + "/" + op_ + "/entries" + *q);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue* entries = a->json.find("entries");
    if (!entries || !entries->isArray()) return unexpected(*a, "no 'entries' list");
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : entries->asArray())
      rows.push_back({cell(e, "id"), cell(e, "packetId"), cell(e, "state"),
                      typeText(e.find("type")), cell(e, "filterKey"), cell(e, "serial"),
                      cell(e, "receivedAt"), cell(e, "attempts"), cell(e, "reason")});
    renderTable({{"ID", true},
                 {"PACKET", true},
                 {"STATE"},
                 {"TYPE"},
                 {"FILTER KEY"},
                 {"DEVICE"},
                 {"RECEIVED"},
                 {"ATTEMPTS", true},
                 {"REASON"}},
                rows, out_);
    const JsonValue* next = a->json.find("next");
    if (next && !next->isNull())
      out_ << "more: dcgw queue entries " << inv_.operand << " --after " << cell(next)
           << " (with the same filters)\n";
    return kAdminOk;
  }
  if (v == "retry" || v == "pause" || v == "resume") {
    auto a = call("POST", base + "/" + op_ + "/" + v);
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "queue " << inv_.operand << " (" << cell(a->json, "name") << "): " << stateText(a->json)
         << ", depth " << cell(a->json, "depth") << '\n';
    return kAdminOk;
  }
  if (v == "skip") {
    Object body{{"reason", JsonValue::makeString(*value(inv_, "--reason"))}};
    auto a = call("POST", base + "/" + op_ + "/skip", toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "skipped entry " << cell(a->json, "skipped") << " of queue " << inv_.operand
         << " (now a dead letter)\n";
    return kAdminOk;
  }
  if (v == "requeue-dead") {
    auto a = call("POST", base + "/" + op_ + "/requeue-dead");
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "requeued " << cell(a->json, "requeued") << " dead letters of queue " << inv_.operand
         << '\n';
    return kAdminOk;
  }
  if (v == "replay") {
    Object body{{"from", JsonValue::makeString(*value(inv_, "--from"))}};
    auto a = call("POST", base + "/" + op_ + "/replay", toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "replaying " << cell(a->json, "replayed") << " delivered entries of queue "
         << inv_.operand << '\n';
    return kAdminOk;
  }
  return kAdminBadArgs;
}

// --- queues ---
std::string Runner::stateText(const JsonValue& q) const {
  std::string s = cell(q, "state");
  const JsonValue* next = q.find("nextRetryAt");
  if (s == "backing-off" && next && next->isString()) s += " until " + next->asString();
  return s;
}

std::string Runner::ageText(const JsonValue& q) const {
  const JsonValue* age = q.find("oldestPendingAgeSeconds");
  if (!age || !age->isNumber()) return "-";
  return formatDuration(age->asDouble());
}

std::string Runner::nextRetryText(const JsonValue& q) const {
  const JsonValue* next = q.find("nextRetryAt");
  if (!next || !next->isString()) return "-";
  auto at = parseIsoTime(next->asString());
  if (!at) return next->asString();
  const double left = std::chrono::duration<double>(*at - env_.now()).count();
  return left <= 0 ? "due" : "in " + formatDuration(std::ceil(left));
}

void Runner::renderQueue(const JsonValue& q) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const JsonValue* b = q.find("blocking");
  if (!b || !b->isObject()) {
    out_ << "blocking entry: none (nothing pending)\n";
  } else {
    // Its last error: the newest failed attempt, else what the queue last saw.
    std::string lastError, lastErrorAt;
    if (const JsonValue* h = b->find("history"); h && h->isArray()) {
      for (const auto& e : h->asArray()) {
        if (cell(e, "outcome") != "delivered") {
          lastError = cell(e, "reason");
          lastErrorAt = cell(e, "at");
        }
      }
    }
    if (lastError.empty() || lastError == "-") {
      lastError = cell(q, "lastError");
      lastErrorAt = cell(q, "lastErrorAt");
    }
    out_ << "blocking entry " << cell(*b, "id") << '\n';
    Pairs p{{"last error", lastError},
            {"last error at", lastErrorAt},
            {"attempts", cell(*b, "attempts")},
            {"packet", cell(*b, "packetId") + " (type " + typeText(b->find("type")) + ", " +
                           cell(*b, "filterKey") + ")"},
            {"device", cell(*b, "serial") + " (registration " + cell(*b, "registration") + ")"},
            {"received", cell(*b, "receivedAt")}};
    if (b->find("data")) p.emplace_back("data", cell(*b, "data"));
    renderPairs(p, out_, "  ");
    if (const JsonValue* h = b->find("history"); h && h->isArray() && !h->asArray().empty()) {
      out_ << "  history (oldest first):\n";
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : h->asArray())
        rows.push_back(
            {cell(e, "at"), cell(e, "outcome"), usText(e.find("durationUs")), cell(e, "reason")});
      std::ostringstream table;
      renderTable({{"AT"}, {"OUTCOME"}, {"DURATION", true}, {"REASON"}}, rows, table);
      std::istringstream lines(table.str());
      for (std::string line; std::getline(lines, line);) out_ << "    " << line << '\n';
    }
  }
  out_ << "queue " << cell(q, "destinationId") << " (" << cell(q, "name") << ", "
       << cell(q, "method") << ")\n";
  std::string oldest = cell(q, "oldestPendingAt");
  if (oldest != "-" && ageText(q) != "-") oldest += " (" + ageText(q) + " ago)";
  std::string next = cell(q, "nextRetryAt");
  if (next != "-") next += " (" + nextRetryText(q) + ")";
  Pairs p{{"state", cell(q, "state")},
          {"enabled", cell(q, "enabled")},
          {"next retry", next},
          {"depth", cell(q, "depth")},
          {"oldest pending", oldest},
          {"failures", cell(q, "consecutiveFailures") + " consecutive"},
          {"last error", cell(q, "lastError")},
          {"last error at", cell(q, "lastErrorAt")}};
  if (const JsonValue* c = q.find("counters"); c && c->isObject()) {
    static constexpr std::pair<const char*, const char*> kCounters[] = {
        {"queued", "queued"},
        {"delivered", "delivered"},
        {"failedAttempts", "failed attempts"},
        {"deadLetters", "dead letters"},
        {"filtered", "filtered"}};
    for (auto [key, label] : kCounters) p.emplace_back(label, cell(*c, key));
  }
  renderPairs(p, out_, "  ");
}

std::string Runner::usText(const JsonValue* us) {
  if (!us || !us->isNumber()) return "-";
  const double v = us->asDouble();
  char buf[32];
  if (v < 1000)
    std::snprintf(buf, sizeof buf, "%.0f us", v);
  else if (v < 1e6)
    std::snprintf(buf, sizeof buf, "%.1f ms", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.2f s", v / 1e6);
  return buf;
}

}  // namespace dcgw::cli::admin_impl
