// The card relay's part of /metrics (Prometheus text format).
#include <sstream>

#include "gateway/cardauth/service.hpp"
#include "gateway/common/prometheus.hpp"

namespace dcgw::cardauth {

using common::promLabel;

std::string CardAuth::prometheus() const {
  std::ostringstream m;
  auto family = [&](const char* name, const char* type, const char* help) {
    m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  const RelayStats rs = relay_.stats();
  family("dcgw_card_bridges_connected", "gauge", "Card bridges logged in.");
  m << "dcgw_card_bridges_connected " << stats_.bridgesConnected.load() << '\n';
  family("dcgw_card_bridge_logins_refused_total", "counter", "Card-bridge logins refused.");
  m << "dcgw_card_bridge_logins_refused_total " << stats_.refusedBridgeLogins.load() << '\n';
  family("dcgw_cards_online", "gauge", "Company cards inserted at a connected bridge.");
  m << "dcgw_cards_online " << rs.cardsOnline << '\n';
  family("dcgw_card_sessions_open", "gauge", "Card sessions starting, open or being ended.");
  m << "dcgw_card_sessions_open " << rs.sessionsOpen << '\n';
  family("dcgw_card_queue_length", "gauge", "Trackers waiting for the company card.");
  for (const auto& v : relay_.cards())
    m << "dcgw_card_queue_length{card=\"" << promLabel(v.number) << "\"} " << v.waiting << '\n';
  family("dcgw_card_sessions_total", "counter",
         "Card requests ended, by outcome (FINISHED, IDLE_TIMEOUT, OFFLINE, ...).");
  for (const auto& [outcome, n] : rs.outcomes)
    m << "dcgw_card_sessions_total{outcome=\"" << promLabel(outcome) << "\"} " << n << '\n';
  family("dcgw_card_apdu_round_trip_seconds", "histogram",
         "APDU round trips through the relay: gateway -> bridge -> card -> gateway.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < std::size(CardAuthStats::kApduBucketsUs); ++i) {
    cumulative += stats_.apduBuckets[i].load();
    m << "dcgw_card_apdu_round_trip_seconds_bucket{le=\""
      << static_cast<double>(CardAuthStats::kApduBucketsUs[i]) / 1e6 << "\"} " << cumulative
      << '\n';
  }
  cumulative += stats_.apduBuckets[std::size(CardAuthStats::kApduBucketsUs)].load();
  m << "dcgw_card_apdu_round_trip_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  m << "dcgw_card_apdu_round_trip_seconds_sum "
    << static_cast<double>(stats_.apduSumUs.load()) / 1e6 << '\n';
  m << "dcgw_card_apdu_round_trip_seconds_count " << stats_.apduCount.load() << '\n';
  return m.str();
}

}  // namespace dcgw::cardauth
