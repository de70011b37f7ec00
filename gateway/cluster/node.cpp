// A node of a multi-node installation: liveness, ownership by rendezvous hashing, hints.
#include "gateway/cluster/node.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "gateway/cluster/hints.hpp"

namespace dcgw::cluster {
namespace {

// Set while this thread publishes what another node sent: not sent back out.
thread_local bool tPublishingRemote = false;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::int64_t ownerOf(std::int64_t destination, const std::vector<std::int64_t>& nodes) {
  std::int64_t best = 0;
  std::uint64_t bestScore = 0;
  for (std::int64_t n : nodes) {
    const std::uint64_t score =
        mix(mix(static_cast<std::uint64_t>(destination)) ^ static_cast<std::uint64_t>(n));
    if (best == 0 || score > bestScore || (score == bestScore && n < best)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

Node::Node(store::Backend& store, store::Cluster& cluster, forward::Forwarder& forwarder,
           common::ChangeFeed& feed, NodeOptions options)
    : store_(store),
      cluster_(cluster),
      forwarder_(forwarder),
      feed_(feed),
      options_(std::move(options)) {}

Node::~Node() {
  stop();
}

void Node::start() {
  id_ = cluster_.joinCluster(options_.name, options_.adminUrl);
  try {
    cluster_.listenHints();
  } catch (...) {
    cluster_.leaveCluster();
    id_ = 0;
    throw;
  }
  forwarder_.setOwnership([this](std::int64_t d) { return owns(d); });
  subscription_ = feed_.subscribe([this](const auto& changes) { onLocalChanges(changes); });
  spdlog::info("dcgw serve: joined the cluster as node {} ({})", id_.load(), options_.name);
  rebalance();
  heart_ = std::thread([this] { heartLoop(); });
  work_ = std::thread([this] { workLoop(); });
  listen_ = std::thread([this] { listenLoop(); });
}

void Node::stop() {
  {
    std::lock_guard l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (heart_.joinable()) heart_.join();
  if (work_.joinable()) work_.join();
  if (listen_.joinable()) listen_.join();
  subscription_.reset();
  if (id_ == 0) return;
  std::set<std::int64_t> owned;
  {
    std::lock_guard l(mu_);
    owned.swap(owned_);
  }
  forwarder_.dropUnowned();  // the workers stop before their locks go
  for (std::int64_t d : owned) cluster_.releaseDestination(d);
  try {
    flushHints();
  } catch (const store::StoreError&) {
  }
  cluster_.leaveCluster();
}

bool Node::confirmLeader() {
  if (!leader_) return false;
  try {
    leader_ = cluster_.holdLeadership();
  } catch (const store::StoreError&) {
    leader_ = false;  // the lock connection is gone: the heartbeat joins again
  }
  return leader_;
}

bool Node::owns(std::int64_t destination) const {
  std::lock_guard l(mu_);
  return owned_.count(destination) > 0;
}

std::vector<std::int64_t> Node::owned() const {
  std::lock_guard l(mu_);
  return {owned_.begin(), owned_.end()};
}

void Node::loseAll(const std::string& why) {
  leader_ = false;
  std::set<std::int64_t> owned;
  {
    std::lock_guard l(mu_);
    owned.swap(owned_);
  }
  if (!owned.empty())
    spdlog::error(
        "cluster: node {} lost its lock connection ({}); it stops forwarding its {} "
        "destination(s) and joins again",
        id_.load(), why, owned.size());
  forwarder_.dropUnowned();  // without the store, which may be out of reach
  for (std::int64_t d : owned) cluster_.releaseDestination(d);
}

void Node::rebalance() {
  std::lock_guard pass(passMu_);
  const auto nodes = cluster_.clusterNodes(options_.staleMs);
  std::vector<std::int64_t> live;
  for (const auto& n : nodes) live.push_back(n.id);
  const std::int64_t me = id_;
  if (std::find(live.begin(), live.end(), me) == live.end()) live.push_back(me);
  leader_ = cluster_.holdLeadership();
  std::set<std::int64_t> wanted;
  for (const store::DestinationConfig& d : store_.destinations())
    if (d.enabled && ownerOf(d.id, live) == me) wanted.insert(d.id);
  // What the database says: a destination taken over by another node is not ours any more,
  // whatever this node thought (it may have missed a beat).
  std::map<std::int64_t, store::DestinationOwner> owners;
  for (const auto& o : cluster_.destinationOwners()) owners[o.destinationId] = o;
  std::vector<std::int64_t> release, acquire;
  {
    std::lock_guard l(mu_);
    for (std::int64_t d : owned_) {
      auto o = owners.find(d);
      if (!wanted.count(d) || o == owners.end() || o->second.nodeId != me) release.push_back(d);
    }
    for (std::int64_t d : wanted)
      if (!owned_.count(d)) acquire.push_back(d);
    for (std::int64_t d : release) owned_.erase(d);
  }
  if (!release.empty()) {
    forwarder_.reload();  // their workers stop first
    for (std::int64_t d : release) cluster_.releaseDestination(d);
    spdlog::info("cluster: node {} hands over {} destination(s)", me, release.size());
  }
  std::vector<std::int64_t> taken;
  for (std::int64_t d : acquire) {
    try {
      if (auto epoch = cluster_.acquireDestination(d)) {
        taken.push_back(d);
        std::lock_guard l(mu_);
        owned_.insert(d);
      }
    } catch (const store::StoreError& e) {
      if (e.category() == store::ErrorCategory::Unavailable) {
        if (!taken.empty()) forwarder_.reload();
        throw;
      }
      spdlog::warn("cluster: node {}: destination {}: {}", me, d, e.what());  // the others go on
    }
  }
  if (!taken.empty()) {
    spdlog::info("cluster: node {} forwards {} more destination(s)", me, taken.size());
    forwarder_.reload();
  }
}

void Node::onLocalChanges(const std::vector<common::Change>& changes) {
  if (tPublishingRemote) return;
  std::lock_guard l(mu_);
  for (const common::Change& c : changes) {
    if (c.kind == common::Change::Kind::QueueHasWork) {
      if (!owned_.count(c.id)) workHints_.insert(c.id);  // its owner is elsewhere
    } else {
      changeHints_.push_back(c);
    }
  }
}

void Node::flushHints() {
  std::vector<std::int64_t> work;
  std::vector<common::Change> changes;
  {
    std::lock_guard l(mu_);
    work.assign(workHints_.begin(), workHints_.end());
    workHints_.clear();
    changes.swap(changeHints_);
  }
  const std::int64_t me = id_;
  for (const std::string& p : encodeChangeHints(me, changes)) cluster_.sendHint(p);
  for (const std::string& p : encodeWorkHints(me, work)) cluster_.sendHint(p);
}

void Node::heartLoop() {
  for (;;) {
    {
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(options_.heartbeatMs), [&] { return stop_; });
      if (stop_) return;
    }
    if (lost_) continue;  // the work loop joins again
    try {
      cluster_.heartbeat();
    } catch (const store::StoreError& e) {
      spdlog::warn("cluster: node {}: heartbeat: {}", id_.load(), e.what());
      if (e.category() == store::ErrorCategory::Unavailable) {
        lost_ = true;
        cv_.notify_all();
      }
    }
  }
}

void Node::workLoop() {
  std::int64_t nextPass = steadyMs() + options_.heartbeatMs;
  std::int64_t nextPoll = steadyMs() + options_.pollMs;
  bool handled = false;  // loseAll done for the current loss
  std::int64_t nextJoin = 0;
  for (;;) {
    {
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(options_.hintMs),
                   [&] { return stop_ || (lost_ && !handled); });
      if (stop_) return;
    }
    const std::int64_t now = steadyMs();
    try {
      if (lost_) {
        if (!handled) {
          loseAll("its heartbeat failed");
          handled = true;
          nextJoin = now + 1000;
        }
        if (now < nextJoin) continue;
        nextJoin = now + 1000;  // not faster than once a second
        id_ = cluster_.joinCluster(options_.name, options_.adminUrl);
        spdlog::info("cluster: joined again as node {}", id_.load());
        lost_ = false;
        handled = false;
        nextPass = now;
      }
      flushHints();
      if (now >= nextPass) {
        nextPass = now + options_.heartbeatMs;
        rebalance();
      }
      if (now >= nextPoll) {
        nextPoll = now + options_.pollMs;
        forwarder_.notify(owned());  // the safety net for a hint that never came
      }
    } catch (const store::StoreError& e) {
      if (e.category() == store::ErrorCategory::Unavailable && !lost_) {
        loseAll(e.what());
        lost_ = true;
        handled = true;
        nextJoin = now + 1000;
      } else if (!lost_) {
        spdlog::warn("cluster: node {}: {}", id_.load(), e.what());
      }
    }
  }
}

void Node::broadRefresh() {
  std::vector<common::Change> all;
  for (const auto& d : store_.destinations()) all.push_back(common::Change::destination(d.id));
  for (const auto& l : store_.locations()) all.push_back(common::Change::location(l.id));
  for (const auto& d : store_.devices()) all.push_back(common::Change::device(d.serial));
  for (const auto& c : store_.companyCards()) all.push_back(common::Change::card(c.number));
  for (const auto& b : store_.cardBridges()) all.push_back(common::Change::cardBridge(b.ident));
  tPublishingRemote = true;
  feed_.publish(all);
  tPublishingRemote = false;
}

void Node::listenLoop() {
  bool reconnect = false;
  for (;;) {
    {
      std::lock_guard l(mu_);
      if (stop_) return;
    }
    try {
      if (reconnect) {
        cluster_.listenHints();
        reconnect = false;
        // Hints sent while this node was not listening are lost: every cached view is read
        // again, as if everything changed.
        broadRefresh();
      }
      const std::int64_t me = id_;
      std::vector<common::Change> changes;
      for (const std::string& p : cluster_.waitHints(250)) {
        auto h = decodeHint(p);
        if (!h || h->node == me) continue;
        changes.insert(changes.end(), h->changes.begin(), h->changes.end());
      }
      if (changes.empty()) continue;
      tPublishingRemote = true;
      feed_.publish(changes);
      tPublishingRemote = false;
    } catch (const store::StoreError& e) {
      tPublishingRemote = false;
      if (!reconnect) spdlog::warn("cluster: hints from other nodes: {}", e.what());
      reconnect = true;
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(500), [&] { return stop_; });
    }
  }
}

}  // namespace dcgw::cluster
