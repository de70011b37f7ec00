// This process as one node of several on one database (issue 14; schema/postgres/README.md,
// "Nodes and ownership"). It joins (a node row and its liveness lock), beats every
// `heartbeatMs`, and each pass gives every enabled destination to one live node by rendezvous
// hashing: it takes the ones that fall to it (their lock and a new epoch, so a stale owner can
// no longer record), and hands back the ones that no longer do (worker stopped first, then the
// lock freed). The forwarder runs workers only for what this node owns. The change feed is
// carried between nodes as hints (debounced: one per destination per 100 ms at most), with a
// poll of the owned queues every `pollMs` as the safety net. A node that loses its lock
// connection owns nothing from that moment and joins again as a new node. The heartbeat has a
// thread of its own, so a hand-over waiting for a worker's delivery never delays it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/common/change_feed.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::cluster {

struct NodeOptions {
  std::string name;               // for people: host name and port, say
  std::string adminUrl;           // where this node's admin API answers ("" if none)
  std::int64_t heartbeatMs{250};  // beat, and rebalance
  // A heartbeat older than this: the node is gone, and its lock connection is ended by the
  // others (it stopped, or it is cut off and the server has not noticed). Longer than a cut-off
  // node takes to find out by itself (the 10 s tcp_user_timeout of its connections), so it has
  // stopped its workers by then. A node that dies frees its locks at once, whatever this says.
  std::int64_t staleMs{20'000};
  std::int64_t pollMs{1'000};  // the owned queues looked at without a hint
  std::int64_t hintMs{100};    // hints are sent at most this often
};

// The rendezvous winner among `nodes` for `destination` (the highest score; ties: lower id).
std::int64_t ownerOf(std::int64_t destination, const std::vector<std::int64_t>& nodes);

class Node {
 public:
  Node(store::Backend& store, store::Cluster& cluster, forward::Forwarder& forwarder,
       common::ChangeFeed& feed, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Joins and restricts the forwarder to what this node owns (call before forwarder.start()).
  // Throws StoreError when it cannot join.
  void start();
  // Stops the owned workers, frees the locks and leaves (a clean stop; kill -9 frees them too).
  void stop();

  std::int64_t id() const { return id_.load(); }
  bool owns(std::int64_t destination) const;
  // Holds the cluster's leader lock, as of the last pass: it runs what one node must run alone
  // (the alert rules' evaluation).
  bool leader() const { return leader_.load(); }
  // The same, asked of the server now (one round trip): what a run that must not happen on two
  // nodes checks first, since a node stopped and resumed may not have noticed yet that the
  // others ended its lock connection and another node leads.
  bool confirmLeader();
  std::vector<std::int64_t> owned() const;
  // One pass now (the tests' way to not wait for the next beat).
  void rebalance();

 private:
  void heartLoop();  // the heartbeat alone: nothing else can hold it up
  void workLoop();   // hints out, rebalancing, the poll, joining again
  void listenLoop();
  void onLocalChanges(const std::vector<common::Change>& changes);
  void flushHints();
  void loseAll(const std::string& why);
  void broadRefresh();

  store::Backend& store_;
  store::Cluster& cluster_;
  forward::Forwarder& forwarder_;
  common::ChangeFeed& feed_;
  NodeOptions options_;
  std::atomic<std::int64_t> id_{0};

  mutable std::mutex mu_;
  std::set<std::int64_t> owned_;             // guarded by mu_
  std::set<std::int64_t> workHints_;         // to send; guarded by mu_
  std::vector<common::Change> changeHints_;  // to send; guarded by mu_
  std::mutex passMu_;                        // one rebalance at a time
  bool stop_{false};                         // guarded by mu_
  std::condition_variable cv_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> leader_{false};  // the heartbeat found the lock connection gone
  std::thread heart_, work_, listen_;
  common::ChangeFeed::Subscription subscription_;
};

}  // namespace dcgw::cluster
