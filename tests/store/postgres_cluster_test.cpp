// Several gateway nodes on one PostgreSQL database (issue 14): the cluster seam of the
// PostgreSQL backend (liveness, destination locks, epochs, the fence on recording deliveries,
// hints) and gateway/cluster's nodes over it, each with its own store connections, change feed
// and forwarder, as three `dcgw serve` processes would have. A node's crash is its lock
// connection ended by the server (what a kill -9 or a partition does to its locks).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gateway/cluster/hints.hpp"
#include "gateway/cluster/node.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "tests/store/postgres_server.hpp"

namespace dcgw::testing {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

std::int64_t scalar(store::PostgresStore& s, const std::string& sql) {
  auto st = s.db().prepare(sql);
  st.step();
  return st.integer(0);
}

// What every node's adapters delivered: per destination name, the packets' markers in order.
struct Deliveries {
  std::mutex mu;
  std::map<std::string, std::vector<int>> byDestination;
  std::map<std::string, std::set<int>> nodesOf;  // which nodes delivered for it
};

class RecordingAdapter : public adapters::Adapter {
 public:
  RecordingAdapter(Deliveries& d, std::string name, int node)
      : d_(d), name_(std::move(name)), node_(node) {}
  adapters::DeliveryResult deliver(const adapters::Envelope& e) override {
    std::lock_guard l(d_.mu);
    d_.byDestination[name_].push_back(e.packet.at(5));
    d_.nodesOf[name_].insert(node_);
    return {adapters::Outcome::Delivered, "", 1us};
  }
  codecs::Result<std::string> render(const adapters::Envelope&) const override {
    return std::string();
  }

 private:
  Deliveries& d_;
  std::string name_;
  int node_;
};

// One gateway node: its store, feed, forwarder and cluster node.
struct TestNode {
  TestNode(const std::string& url, Deliveries& d, int index)
      : store(url),
        forwarder(
            store, clock, forward::BackoffPolicy{60'000, 3'600'000},
            [&d, index](const adapters::DestinationSettings& s)
                -> codecs::Result<std::unique_ptr<adapters::Adapter>> {
              return std::unique_ptr<adapters::Adapter>(
                  std::make_unique<RecordingAdapter>(d, s.name, index));
            },
            &feed),
        node(store, store, forwarder, feed,
             cluster::NodeOptions{"node-" + std::to_string(index), "", 50, 1'000, 200, 20}) {
    node.start();
    forwarder.start();
  }
  ~TestNode() {
    node.stop();
    forwarder.stop();
  }
  common::SystemClock clock;
  store::PostgresStore store;
  common::ChangeFeed feed;
  forward::Forwarder forwarder;
  cluster::Node node;
};

std::vector<std::uint8_t> tracking(int n) {
  return {0x47, 0x02, 0x6A, 0x00, 0x00, static_cast<std::uint8_t>(n), 0x01};
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = std::string("dcgw_cluster_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    url_ = pgFreshDatabase(name_);
    admin_ = std::make_unique<store::PostgresStore>(url_);
  }
  void TearDown() override {
    nodes_.clear();
    admin_.reset();
    pgDropDatabase(name_);
  }

  // `n` destinations in one location with one device.
  void configure(int n) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) {
      store::DestinationConfig d;
      d.settings.name = "d" + std::to_string(i);
      d.settings.method = "rest";
      d.settings.host = "http://127.0.0.1:9/" + d.settings.name;
      auto id = admin_->createDestination(d, 1);
      ASSERT_TRUE(id.ok());
      ids.push_back(*id);
    }
    destinations_ = ids;
    auto l = admin_->createLocation({0, "Depot", "", ids});
    ASSERT_TRUE(l.ok());
    ASSERT_TRUE(admin_->upsertDevice({"12345678", *l, "AB12CDE", std::nullopt}).ok());
  }

  // Packets with markers [from, to) ingested through `via`, whose feed says so (the ingestor's
  // way): the owners elsewhere hear of it by a hint.
  void ingest(TestNode& via, int from, int to) {
    std::vector<store::IngestItem> items;
    for (int i = from; i < to; ++i) items.push_back({"12345678", "", tracking(i), 1'000 + i});
    std::vector<std::int64_t> touched;
    ingest::RoutedAppender appender(via.store, via.store);
    for (const auto& s : appender.append(items, touched))
      ASSERT_EQ(s, store::AppendOutcome::Stored);
    std::vector<common::Change> changes;
    for (std::int64_t d : touched) changes.push_back(common::Change::queueHasWork(d));
    via.feed.publish(changes);
  }

  // Each destination owned by exactly one of the nodes, as they and the database say.
  bool ownedOnceEach() {
    std::map<std::int64_t, int> count;
    for (auto& n : nodes_)
      for (std::int64_t d : n->node.owned()) ++count[d];
    for (std::int64_t d : destinations_)
      if (count[d] != 1) return false;
    for (const auto& o : admin_->destinationOwners()) {
      bool found = false;
      for (auto& n : nodes_)
        if (n->node.id() == o.nodeId && n->node.owns(o.destinationId)) found = true;
      if (!found) return false;
    }
    return true;
  }

  // Settled: each destination owned by the node rendezvous hashing gives it to.
  bool balanced() {
    std::vector<std::int64_t> ids;
    for (auto& n : nodes_) ids.push_back(n->node.id());
    for (std::int64_t d : destinations_) {
      const std::int64_t owner = cluster::ownerOf(d, ids);
      for (auto& n : nodes_)
        if (n->node.id() == owner && !n->node.owns(d)) return false;
    }
    return ownedOnceEach();
  }

  // Nodes that believe they lead, as of their last pass.
  int leaders() {
    int n = 0;
    for (auto& node : nodes_) n += node->node.leader() ? 1 : 0;
    return n;
  }

  bool allDelivered(int upTo) {
    std::lock_guard l(deliveries_.mu);
    for (int i = 0; i < static_cast<int>(destinations_.size()); ++i) {
      std::set<int> got(deliveries_.byDestination["d" + std::to_string(i)].begin(),
                        deliveries_.byDestination["d" + std::to_string(i)].end());
      if (static_cast<int>(got.size()) != upTo) return false;
    }
    return true;
  }

  std::string name_, url_;
  std::unique_ptr<store::PostgresStore> admin_;
  std::vector<std::int64_t> destinations_;
  Deliveries deliveries_;
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

TEST(ClusterHints, EncodeAndDecodeEveryKindOfChange) {
  std::vector<common::Change> changes = {common::Change::destination(7),
                                         common::Change::queueActed(8),
                                         common::Change::location(9),
                                         common::Change::device("12345678"),
                                         common::Change::sequenceReset("12345678"),
                                         common::Change::card("DF000000012345"),
                                         common::Change::cardBridge("office 1%\n")};
  auto payloads = cluster::encodeChangeHints(3, changes);
  ASSERT_EQ(payloads.size(), 1u);
  auto h = cluster::decodeHint(payloads[0]);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->node, 3);
  ASSERT_EQ(h->changes.size(), changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(h->changes[i].kind, changes[i].kind) << i;
    EXPECT_EQ(h->changes[i].id, changes[i].id) << i;
    EXPECT_EQ(h->changes[i].serial, changes[i].serial) << i;
  }
  // Many destinations: several payloads, each under NOTIFY's limit, together all of them.
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 1; i <= 3000; ++i) ids.push_back(i * 1000);
  auto work = cluster::encodeWorkHints(12, ids);
  EXPECT_GT(work.size(), 1u);
  std::vector<std::int64_t> back;
  for (const auto& p : work) {
    EXPECT_LE(p.size(), cluster::kMaxHintBytes);
    auto w = cluster::decodeHint(p);
    ASSERT_TRUE(w) << p.substr(0, 80);
    for (const auto& c : w->changes) {
      EXPECT_EQ(c.kind, common::Change::Kind::QueueHasWork);
      back.push_back(c.id);
    }
  }
  EXPECT_EQ(back, ids);
  for (const char* bad : {"", "x w 1", "3 w", "3 w 1,x", "3 c\nnonsense 1", "3 c\ndevice 1 %4"})
    EXPECT_FALSE(cluster::decodeHint(bad)) << bad;
}

TEST(ClusterHints, RendezvousGivesEachDestinationOneNodeAndMovesFewOnAJoin) {
  int moved = 0, toNew = 0;
  for (std::int64_t d = 1; d <= 1000; ++d) {
    const auto before = cluster::ownerOf(d, {1, 2, 3});
    const auto after = cluster::ownerOf(d, {1, 2, 3, 4});
    EXPECT_EQ(before, cluster::ownerOf(d, {3, 1, 2})) << "the order of the nodes matters not";
    if (before != after) {
      ++moved;
      toNew += after == 4;
    }
  }
  EXPECT_EQ(moved, toNew) << "a join only moves destinations to the new node";
  EXPECT_GT(moved, 150);
  EXPECT_LT(moved, 350);  // about a quarter
}

TEST_F(ClusterTest, AStaleOwnerIsFencedOutOfRecordingDeliveries) {
  configure(1);
  const std::int64_t d = destinations_[0];
  store::PostgresStore a(url_), b(url_);
  const auto idA = a.joinCluster("a", "");
  const auto idB = b.joinCluster("b", "");
  EXPECT_NE(idA, idB);
  EXPECT_EQ(a.clusterNodes(5'000).size(), 2u);
  ASSERT_EQ(a.acquireDestination(d), std::optional<std::int64_t>(1));
  EXPECT_FALSE(b.acquireDestination(d)) << "held by a";
  // b is not the owner: it cannot record either.
  ingest::RoutedAppender appender(a, a);
  std::vector<std::int64_t> touched;
  appender.append({{"12345678", "", tracking(1), 1'000}}, touched);
  const auto head = a.nextPending(d);
  ASSERT_TRUE(head);
  const store::AttemptResult ok{store::AttemptResult::Outcome::Delivered, "", 10};
  try {
    b.recordAttempt(d, head->id, ok, 2'000, {});
    FAIL() << "b recorded a delivery of a destination it does not own";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Fenced) << e.what();
  }
  // a's lock connection ends (a crash, a partition the server noticed): its locks are free.
  const auto pid = scalar(*admin_, "SELECT lock_pid FROM nodes WHERE id = " + std::to_string(idA));
  admin_->db().exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  EXPECT_TRUE(eventually([&] { return b.clusterNodes(5'000).size() == 1; }));
  std::optional<std::int64_t> epoch;
  EXPECT_TRUE(eventually([&] { return (epoch = b.acquireDestination(d)).has_value(); }));
  EXPECT_EQ(epoch, std::optional<std::int64_t>(2)) << "a new owner, a new epoch";
  // a still thinks it owns d: what it sent is not recorded, the row stays pending for b.
  try {
    a.recordAttempt(d, head->id, ok, 2'000, {});
    FAIL() << "the stale owner recorded a delivery";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Fenced) << e.what();
    EXPECT_NE(std::string(e.what()).find("epoch 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(b.nextPending(d)->id, head->id);
  EXPECT_THROW(a.heartbeat(), store::StoreError) << "a is told it lost its locks";
  b.recordAttempt(d, head->id, ok, 2'000, {});
  EXPECT_FALSE(b.nextPending(d));
  EXPECT_EQ(b.counters(d).delivered, 1);
}

TEST_F(ClusterTest, ThreeNodesShareTheDestinationsAndDeliverEveryPacketInOrder) {
  configure(12);
  for (int i = 0; i < 3; ++i) nodes_.push_back(std::make_unique<TestNode>(url_, deliveries_, i));
  ASSERT_TRUE(eventually([&] { return balanced(); })) << "one owner per destination";
  for (auto& n : nodes_) EXPECT_FALSE(n->node.owned().empty()) << "node " << n->node.id();
  // One leader (the holder of the leader lock), which alone evaluates the alert rules.
  EXPECT_TRUE(eventually([&] { return leaders() == 1; }));
  // Packets arrive at every node; each destination's owner delivers them, in order.
  ingest(*nodes_[0], 0, 10);
  ingest(*nodes_[1], 10, 20);
  ingest(*nodes_[2], 20, 30);
  ASSERT_TRUE(eventually([&] { return allDelivered(30); }));
  std::lock_guard l(deliveries_.mu);
  for (auto& [name, got] : deliveries_.byDestination) {
    std::vector<int> expected;
    for (int i = 0; i < 30; ++i) expected.push_back(i);
    EXPECT_EQ(got, expected) << name << ": once each, in order";
    EXPECT_EQ(deliveries_.nodesOf[name].size(), 1u) << name << ": one node delivered it";
  }
}

TEST_F(ClusterTest, ALostNodesDestinationsResumeElsewhereWithinTwoSecondsAndItRejoins) {
  configure(12);
  for (int i = 0; i < 3; ++i) nodes_.push_back(std::make_unique<TestNode>(url_, deliveries_, i));
  ASSERT_TRUE(eventually([&] { return balanced(); }));
  ingest(*nodes_[0], 0, 10);
  ASSERT_TRUE(eventually([&] { return allDelivered(10); }));
  std::map<std::int64_t, std::int64_t> epochsBefore;
  for (const auto& o : admin_->destinationOwners()) epochsBefore[o.destinationId] = o.epoch;

  // Node 1 loses its lock connection.
  TestNode& lost = *nodes_[1];
  const auto lostId = lost.node.id();
  const auto lostOwned = lost.node.owned();
  ASSERT_FALSE(lostOwned.empty());
  const auto pid =
      scalar(*admin_, "SELECT lock_pid FROM nodes WHERE id = " + std::to_string(lostId));
  const auto t0 = std::chrono::steady_clock::now();
  admin_->db().exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& o : admin_->destinationOwners())
          if (o.nodeId == lostId) return false;
        return true;
      },
      2s))
      << "the survivors took every destination of the lost node within 2 s";
  const auto tookMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << "[ cluster ] destinations of the lost node resumed elsewhere after " << tookMs
            << " ms\n";
  // Packets meanwhile are delivered by the new owners, and epochs only rise.
  ingest(*nodes_[2], 10, 20);
  ASSERT_TRUE(eventually([&] { return allDelivered(20); }));
  for (const auto& o : admin_->destinationOwners())
    EXPECT_GE(o.epoch, epochsBefore[o.destinationId]) << "destination " << o.destinationId;
  // One node leads all along (the lost one, if it was the leader, lost the lock with its
  // connection, and another took it).
  EXPECT_TRUE(eventually([&] { return leaders() == 1; }));
  // The lost node joins again as a new node, and takes its share back.
  ASSERT_TRUE(eventually([&] { return lost.node.id() != lostId; }, 5s));
  ASSERT_TRUE(eventually([&] { return balanced() && !lost.node.owned().empty(); }));
  ingest(*nodes_[1], 20, 30);
  ASSERT_TRUE(eventually([&] { return allDelivered(30); }));
  std::lock_guard l(deliveries_.mu);
  for (auto& [name, got] : deliveries_.byDestination) {
    // In order; a packet sent by a node that lost the destination may be sent again by the
    // next owner (at-least-once), never out of order after it.
    int last = -1;
    for (int m : got) {
      EXPECT_GE(m, last - 64) << name;
      last = std::max(last, m);
    }
  }
}

TEST_F(ClusterTest, AChangeOnOneNodeReachesTheOthersFeedsWithinASecond) {
  configure(1);
  for (int i = 0; i < 2; ++i) nodes_.push_back(std::make_unique<TestNode>(url_, deliveries_, i));
  std::mutex mu;
  std::vector<common::Change> heard;
  auto sub = nodes_[1]->feed.subscribe([&](const std::vector<common::Change>& cs) {
    std::lock_guard l(mu);
    heard.insert(heard.end(), cs.begin(), cs.end());
  });
  const auto t0 = std::chrono::steady_clock::now();
  nodes_[0]->feed.publish({common::Change::device("12345678"), common::Change::location(5)});
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard l(mu);
        return heard.size() >= 2;
      },
      1s));
  std::lock_guard l(mu);
  EXPECT_EQ(heard[0].kind, common::Change::Kind::DeviceChanged);
  EXPECT_EQ(heard[0].serial, "12345678");
  EXPECT_EQ(heard[1].kind, common::Change::Kind::LocationChanged);
  EXPECT_EQ(heard[1].id, 5);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // A disabled destination is handed back by its owner and owned by nobody.
  const std::int64_t d = destinations_[0];
  auto config = admin_->destination(d);
  config->enabled = false;
  ASSERT_TRUE(admin_->updateDestination(*config, 2).ok());
  nodes_[0]->feed.publish(common::Change::destination(d));
  EXPECT_TRUE(eventually([&] { return !nodes_[0]->node.owns(d) && !nodes_[1]->node.owns(d); }));
}

// Leadership is the leader lock: one node holds it, and when its lock connection ends another
// node takes it (within a rebalance pass); asked of the server, never two nodes at once.
TEST_F(ClusterTest, TheLeaderLockMovesToAnotherNodeWhenTheLeadersConnectionEnds) {
  configure(3);
  for (int i = 0; i < 3; ++i) nodes_.push_back(std::make_unique<TestNode>(url_, deliveries_, i));
  ASSERT_TRUE(eventually([&] { return leaders() == 1; }));
  std::int64_t oldId = 0;
  for (auto& n : nodes_)
    if (n->node.leader()) oldId = n->node.id();
  const auto pid =
      scalar(*admin_, "SELECT lock_pid FROM nodes WHERE id = " + std::to_string(oldId));
  admin_->db().exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  const auto until = std::chrono::steady_clock::now() + 2s;
  bool moved = false;
  while (std::chrono::steady_clock::now() < until) {
    int confirmed = 0;
    std::int64_t leaderId = 0;
    for (auto& n : nodes_)
      if (n->node.confirmLeader()) {
        ++confirmed;
        leaderId = n->node.id();
      }
    ASSERT_LE(confirmed, 1) << "two nodes held the leader lock at once";
    if (confirmed == 1 && leaderId != oldId) moved = true;
    if (moved) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(moved) << "no other node took the leader lock within 2 s";
}

}  // namespace
}  // namespace dcgw::testing

namespace dcgw::testing {
namespace {

// Card sessions across nodes (schema/postgres/README.md, "Card sessions across nodes"): what a
// node publishes of its cards, as the others read it.
TEST(ClusterCards, EachNodesCardsAreReadByTheOthersWhileItLivesAndKeepTheirSince) {
  const std::string url = pgFreshDatabase("dcgw_cluster_cards");
  {
    store::PostgresStore a(url), b(url), reader(url);
    const auto ida = a.joinCluster("a", "");
    const auto idb = b.joinCluster("b", "");
    // One key for the database, whichever node asks first.
    const auto key = a.clusterKey();
    EXPECT_EQ(key.size(), 32u);
    EXPECT_EQ(b.clusterKey(), key);
    a.publishCards({{"CARD-1", 0, "10.0.0.1:7710", "office-1", "Reader 0", 0},
                    {"CARD-2", 0, "10.0.0.1:7710", "office-1", "Reader 1", 0}});
    std::this_thread::sleep_for(5ms);
    b.publishCards({{"CARD-2", 0, "10.0.0.2:7710", "office-2", "Reader 0", 0}});
    auto seen = reader.cardPresence(20'000);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].card, "CARD-1");
    EXPECT_EQ(seen[0].nodeId, ida);
    EXPECT_EQ(seen[0].link, "10.0.0.1:7710");
    EXPECT_EQ(seen[0].bridge, "office-1");
    EXPECT_EQ(seen[0].reader, "Reader 0");
    // CARD-2 at both: the node that reported it first comes first.
    EXPECT_EQ(seen[1].card, "CARD-2");
    EXPECT_EQ(seen[1].nodeId, ida);
    EXPECT_EQ(seen[2].nodeId, idb);
    const auto since = seen[1].sinceMs;
    // Published again (a reader renamed, CARD-1 gone): the row stays first, its since kept.
    std::this_thread::sleep_for(5ms);
    a.publishCards({{"CARD-2", 0, "10.0.0.1:7710", "office-1", "Reader 9", 0}});
    seen = reader.cardPresence(20'000);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].nodeId, ida);
    EXPECT_EQ(seen[0].reader, "Reader 9");
    EXPECT_EQ(seen[0].sinceMs, since);
    // A node whose lock connection ends (killed) no longer counts; one that leaves withdraws.
    const auto pid = scalar(reader, "SELECT lock_pid FROM nodes WHERE id = " + std::to_string(ida));
    reader.db().exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    ASSERT_TRUE(eventually([&] { return reader.cardPresence(20'000).size() == 1; }));
    EXPECT_EQ(reader.cardPresence(20'000)[0].nodeId, idb);
    b.leaveCluster();
    EXPECT_TRUE(reader.cardPresence(20'000).empty());
    EXPECT_EQ(
        scalar(reader, "SELECT count(*) FROM card_presence WHERE node_id = " + std::to_string(idb)),
        0);
  }
  pgDropDatabase("dcgw_cluster_cards");
}

}  // namespace
}  // namespace dcgw::testing
