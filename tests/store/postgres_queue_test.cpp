// The PostgreSQL backend's in-order head read (schema/postgres/005_head_cursor.sql): it starts
// after the rows it has seen, which is safe only because a destination's delivery rows become
// visible in id order (ingest takes the destination's id lock before it inserts them) and
// because a replay or a requeue, which make rows with lower ids pending again, tell it to start
// from the first entry again. Also the shape of its plans whatever the statistics say.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gateway/ingest/routing.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "tests/store/postgres_server.hpp"

namespace dcgw::testing {
namespace {

std::int64_t scalar(store::PostgresStore& s, const std::string& sql) {
  auto st = s.db().prepare(sql);
  st.step();
  return st.integer(0);
}

std::vector<std::uint8_t> tracking(int n) {
  return {0x47, 0x02, 0x6A, 0x00, 0x00, static_cast<std::uint8_t>(n), 0x01};
}

using Attempt = store::DeliveryQueue::Attempt;
using Outcome = store::AttemptResult::Outcome;

class HeadRead : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ =
        std::string("dcgw_head_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    url_ = pgFreshDatabase(name_);
    admin_ = std::make_unique<store::PostgresStore>(url_);
    store::DestinationConfig d;
    d.settings.name = "d";
    d.settings.method = "rest";
    d.settings.host = "http://127.0.0.1:9/d";
    auto id = admin_->createDestination(d, 1);
    ASSERT_TRUE(id.ok());
    dest_ = *id;
    auto l = admin_->createLocation({0, "Depot", "", {dest_}});
    ASSERT_TRUE(l.ok());
    for (int i = 0; i < 8; ++i)
      ASSERT_TRUE(admin_->upsertDevice({serial(i), *l, "AB12CDE", std::nullopt}).ok());
  }
  void TearDown() override {
    admin_.reset();
    pgDropDatabase(name_);
  }
  static std::string serial(int i) { return std::to_string(12345600 + i); }

  static void ingest(store::PostgresStore& via, int device, int from, int to) {
    std::vector<store::IngestItem> items;
    for (int i = from; i < to; ++i) items.push_back({serial(device), "", tracking(i), 1'000 + i});
    std::vector<std::int64_t> touched;
    ingest::RoutedAppender appender(via, via);
    for (const auto& s : appender.append(items, touched))
      ASSERT_EQ(s, store::AppendOutcome::Stored);
  }

  // Reads the head through `worker` and confirms what it read as delivered, until empty.
  std::vector<std::int64_t> drain(store::PostgresStore& worker) {
    std::vector<std::int64_t> ids;
    for (;;) {
      auto batch = worker.pendingBatch(dest_, 64);
      if (batch.empty()) return ids;
      std::vector<Attempt> attempts;
      for (const auto& p : batch) {
        ids.push_back(p.id);
        attempts.push_back({p.id, {Outcome::Delivered, "", 1}, 2'000});
      }
      worker.recordAttempts(dest_, attempts, {});
    }
  }

  std::string name_, url_;
  std::unique_ptr<store::PostgresStore> admin_;
  std::int64_t dest_{0};
};

// Two nodes ingest into one destination at once (different devices: no device row lock orders
// them) while a third reads the head after what it has seen and confirms. Were a row to commit
// after a row with a higher id had been read, the reader would pass it by: it would stay pending.
TEST_F(HeadRead, NoRowIsPassedByWhileTwoNodesIngestIntoOneDestination) {
  constexpr int kBatches = 150, kPerBatch = 6;
  store::PostgresStore nodeA(url_), nodeB(url_), worker(url_);
  std::atomic<int> writersDone{0};
  auto writer = [&](store::PostgresStore& via, int firstDevice) {
    for (int b = 0; b < kBatches; ++b) {
      // Three devices per batch: the delivery rows are inserted across the transaction.
      std::vector<store::IngestItem> items;
      for (int i = 0; i < kPerBatch; ++i)
        items.push_back({serial(firstDevice + i % 3), "", tracking(b), 1'000 + b});
      std::vector<std::int64_t> touched;
      ingest::RoutedAppender appender(via, via);
      for (const auto& s : appender.append(items, touched))
        EXPECT_EQ(s, store::AppendOutcome::Stored);
    }
    ++writersDone;
  };
  std::thread a(writer, std::ref(nodeA), 0), b(writer, std::ref(nodeB), 4);
  std::vector<std::int64_t> seen;
  while (writersDone.load() < 2) {
    auto more = drain(worker);
    seen.insert(seen.end(), more.begin(), more.end());
  }
  a.join();
  b.join();
  auto rest = drain(worker);
  seen.insert(seen.end(), rest.begin(), rest.end());

  EXPECT_EQ(scalar(*admin_, "SELECT COUNT(*) FROM deliveries WHERE state = 0"), 0)
      << "rows the head read passed by";
  EXPECT_EQ(seen.size(), std::size_t{2 * kBatches * kPerBatch});
  for (std::size_t i = 1; i < seen.size(); ++i)
    ASSERT_LT(seen[i - 1], seen[i]) << "delivered out of id order at " << i;
}

// The worker's cursor is past every row; an admin on another node replays, then requeues dead
// letters: the rows with lower ids are read again, from the first, in order.
TEST_F(HeadRead, AReplayOrARequeueOnAnotherNodeIsReadFromItsFirstRow) {
  store::PostgresStore worker(url_);
  ingest(*admin_, 0, 1, 11);
  const auto first = drain(worker);
  ASSERT_EQ(first.size(), 10u);
  ingest(*admin_, 0, 11, 16);  // the cursor moves past the first ten
  ASSERT_EQ(drain(worker).size(), 5u);
  ASSERT_TRUE(worker.pendingBatch(dest_, 64).empty());

  EXPECT_EQ(admin_->replayFrom(dest_, 0), 15);
  auto again = worker.pendingBatch(dest_, 64);
  ASSERT_EQ(again.size(), 15u);
  EXPECT_EQ(again.front().id, first.front());

  // Dead-letter the first three, deliver the rest, requeue the dead letters.
  std::vector<Attempt> attempts;
  for (std::size_t i = 0; i < again.size(); ++i)
    attempts.push_back({again[i].id,
                        i < 3 ? store::AttemptResult{Outcome::Never, "refused", 1}
                              : store::AttemptResult{Outcome::Delivered, "", 1},
                        3'000});
  worker.recordAttempts(dest_, attempts, {});
  ingest(*admin_, 0, 16, 18);
  ASSERT_EQ(drain(worker).size(), 2u);
  EXPECT_EQ(admin_->requeueDead(dest_), 3);
  auto requeued = worker.pendingBatch(dest_, 64);
  ASSERT_EQ(requeued.size(), 3u);
  EXPECT_EQ(requeued.front().id, first.front());
  EXPECT_TRUE(worker.hasPending(dest_));
}

// After a crash or failover of the server its last commits may be lost and their ids taken
// again, below a cursor: a worker whose connection was made again reads from the first entry.
// (Simulated: a delivered row replaced by a pending one of the same id, the worker's session
// ended by the server.)
TEST_F(HeadRead, ANewSessionReadsFromTheFirstEntry) {
  store::PostgresStore worker(url_);
  ingest(*admin_, 0, 1, 11);
  const auto first = drain(worker);
  ingest(*admin_, 0, 11, 16);
  ASSERT_EQ(drain(worker).size(), 5u);  // the cursor is past the first ten
  const std::string id = std::to_string(first.at(1));
  auto& db = admin_->db();
  db.exec("DELETE FROM deliveries WHERE id = " + id);
  db.exec("INSERT INTO deliveries (id, destination_id, packet_id) SELECT " + id + ", " +
          std::to_string(dest_) + ", MIN(id) FROM packets");
  db.exec("SELECT pg_terminate_backend(" + std::to_string(worker.db().backendPid()) + ")");
  auto again = worker.pendingBatch(dest_, 64);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again.front().id, first.at(1));
}

// A node older than the database's schema would ingest without the id lock and replay without
// rewinds: it refuses to start, and says why.
TEST_F(HeadRead, ADatabaseMigratedByANewerDcgwIsRefused) {
  admin_->db().exec("INSERT INTO schema_version (version) VALUES (999)");
  try {
    store::PostgresStore older(url_);
    FAIL() << "opened";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("version 999, newer than this dcgw knows"),
              std::string::npos)
        << e.what();
  }
}

bool usesIndexes(const std::vector<std::string>& plan, std::string& text) {
  text.clear();
  for (const auto& l : plan) text += l + "\n";
  return text.find("Seq Scan on deliveries") == std::string::npos &&
         text.find("Seq Scan on packets") == std::string::npos &&
         text.find("deliveries_pending") != std::string::npos &&
         text.find("deliveries_pkey") != std::string::npos;
}

// The head read stays on the pending index and the confirmation on the primary key, with the
// statistics of an empty table over 200,000 rows, and with statistics that say every row is
// pending when all but a few are delivered.
TEST_F(HeadRead, ItsPlansStayOnTheIndexesWhateverTheStatisticsSay) {
  auto& db = admin_->db();
  db.exec("ALTER TABLE deliveries SET (autovacuum_enabled = false)");
  db.exec("ALTER TABLE packets SET (autovacuum_enabled = false)");
  db.exec("ANALYZE deliveries");
  db.exec("ANALYZE packets");
  db.exec(
      "INSERT INTO packets (id, received_at, serial, registration, type, data) SELECT g, g, "
      "'12345600', 'AB12CDE', 71, '\\x47026a00000101'::bytea FROM generate_series(1, 200000) g");
  db.exec("INSERT INTO deliveries (destination_id, packet_id) SELECT " + std::to_string(dest_) +
          ", g FROM generate_series(1, 200000) g");
  std::string text;
  EXPECT_TRUE(usesIndexes(admin_->forwardingQueryPlans(dest_), text))
      << "statistics of an empty table:\n"
      << text;
  db.exec("ANALYZE deliveries");
  db.exec("ANALYZE packets");
  db.exec("UPDATE deliveries SET state = 1 WHERE id <= 199990");
  EXPECT_TRUE(usesIndexes(admin_->forwardingQueryPlans(dest_), text))
      << "statistics of a queue all pending:\n"
      << text;
}

}  // namespace
}  // namespace dcgw::testing
