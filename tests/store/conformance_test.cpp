// The conformance suite's tests: atomic ingest with fan-out, sequence dedupe, routing snapshots
// and their version, in-order reads per destination, attempts and backoff state, dead letters,
// skip, requeue, replay, pause, retention, counters, restarts, a full disk, admin transactions
// with their audit rows, error categories, tokens, logins and the queue views.
#include "tests/store/conformance.hpp"

#include <chrono>
#include <future>

namespace dcgw::testing {

using store::AppendOutcome;
using store::AttemptResult;
using store::DeliveryState;
using Out = store::AttemptResult::Outcome;

TEST_P(StoreConformance, AppendFansOutToTheLocationsDestinationsThroughTheirFilters) {
  const auto all = destination("all");
  const auto sensors = destination("sensors", std::vector<std::string>{"Sensors"});
  device("12345678", location("Depot", {all, sensors}));
  ASSERT_EQ(append({item(tracking(1)), item(sensor(2))}),
            (std::vector<AppendOutcome>{AppendOutcome::Stored, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(all), (std::vector<int>{1, 2}));
  EXPECT_EQ(pendingMarks(sensors), (std::vector<int>{2}));
  EXPECT_EQ(db_->counters(all).queued, 2);
  EXPECT_EQ(db_->counters(sensors).queued, 1);
  EXPECT_EQ(db_->counters(sensors).filtered, 1);
  const auto p = db_->pendingBatch(all, 1).at(0);
  EXPECT_EQ(p.serial, "12345678");
  EXPECT_EQ(p.registration, "AB12CDE") << "the device's, as the packet carried none";
  EXPECT_EQ(p.receivedAtMs, 5000);
}

TEST_P(StoreConformance, AnUnknownDeviceIsRefusedAndTheRestOfTheBatchGoesOn) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  auto r = append({item(tracking(1), 0, 1, "99999999"), item(tracking(2))});
  EXPECT_EQ(r, (std::vector<AppendOutcome>{AppendOutcome::UnknownDevice, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{2}));
}

TEST_P(StoreConformance, ADeviceWithoutALocationStoresItsPacketsForNoDestination) {
  const auto d = destination("d");
  location("Depot", {d});
  device("12345678", std::nullopt);
  EXPECT_EQ(append({item(tracking(1))}), (std::vector<AppendOutcome>{AppendOutcome::Stored}));
  EXPECT_TRUE(pendingMarks(d).empty());
}

TEST_P(StoreConformance, ASequenceNotAboveTheMarkIsADuplicateStoredOnce) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  EXPECT_EQ(append({item(tracking(5), 5), item(tracking(5), 5), item(tracking(4), 4)}),
            (std::vector<AppendOutcome>{AppendOutcome::Stored, AppendOutcome::Duplicate,
                                        AppendOutcome::Duplicate}));
  EXPECT_EQ(db_->device("12345678")->lastSequence, 5u);
  restart();
  EXPECT_EQ(db_->deviceAuth("12345678")->lastSequence, 5u) << "the mark is durable";
  EXPECT_EQ(append({item(tracking(5), 5), item(tracking(6), 6)}),
            (std::vector<AppendOutcome>{AppendOutcome::Duplicate, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{5, 6}));
  EXPECT_EQ(db_->duplicates(), 1u);
}

TEST_P(StoreConformance, PacketsWithoutASequenceAreNeverDuplicates) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1)), item(tracking(1))});
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 1}));
}

TEST_P(StoreConformance, TheRoutingTableIsTheEnabledConfigurationWithItsVersion) {
  const auto on = destination("on", std::vector<std::string>{"Tracking suppression"});
  const auto off = destination("off");
  auto cfg = db_->destination(off);
  cfg->enabled = false;
  ASSERT_TRUE(db_->updateDestination(*cfg, 2000).ok());
  const auto loc = location("Depot", {on, off});
  device("12345678", loc, "REG1");
  const store::RoutingTable t = db_->routingTable();
  ASSERT_EQ(t.devices.count("12345678"), 1u);
  EXPECT_EQ(t.devices.at("12345678").location, loc);
  EXPECT_EQ(t.devices.at("12345678").registration, "REG1");
  ASSERT_EQ(t.routes.count(loc), 1u);
  ASSERT_EQ(t.routes.at(loc).size(), 1u) << "a disabled destination takes nothing";
  EXPECT_EQ(t.routes.at(loc)[0].destination, on);
  EXPECT_EQ(t.routes.at(loc)[0].filter, (std::vector<std::string>{"Tracking suppression"}));
  device("87654321", loc);
  EXPECT_GT(db_->routingTable().version, t.version) << "every configuration change raises it";
}

TEST_P(StoreConformance, AnAppendRoutedOnAnOldConfigurationStoresNothing) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  const store::RoutingTable old = db_->routingTable();
  ASSERT_TRUE(db_->removeDestination(d, 3000).ok());
  const store::IngestItem one = item(tracking(1), 1);
  const auto routed = ingest::route(old, one);
  ASSERT_EQ(routed.deliverTo, (std::vector<std::int64_t>{d}));
  EXPECT_FALSE(db_->append({routed}, old.version, store::SequenceRules{}).has_value());
  EXPECT_EQ(db_->counters(d).queued, 0) << "no row for a removed destination";
  EXPECT_EQ(db_->device("12345678")->lastSequence, 0u) << "nor a raised mark";
  EXPECT_EQ(append({item(tracking(1), 1)}), (std::vector<AppendOutcome>{AppendOutcome::Stored}))
      << "routed again on the current configuration";
  EXPECT_TRUE(db_->deliveryIds(d, DeliveryState::Pending).empty());
}

TEST_P(StoreConformance, EachQueueIsReadInIngestOrderAndAttemptsMoveItOn) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  for (std::uint8_t i = 1; i <= 5; ++i) append({item(tracking(i))});
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3, 4, 5}));
  auto batch = db_->pendingBatch(d, 2);
  ASSERT_EQ(batch.size(), 2u);
  db_->recordAttempts(
      d,
      {{batch[0].id, {Out::Delivered, "", 5}, 6000}, {batch[1].id, {Out::Delivered, "", 5}, 6001}},
      {});
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(db_->nextPending(d)->packet.at(5), 3);
  EXPECT_TRUE(db_->hasPending(d));
}

TEST_P(StoreConformance, AFailureKeepsTheRowAndStoresTheBackoffASuccessResetsIt) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1))});
  const auto p = *db_->nextPending(d);
  db_->recordAttempt(d, p.id, {Out::Retry, "connection refused", 7}, 7000,
                     {1, 67000, "connection refused"});
  auto st = db_->state(d);
  EXPECT_EQ(st.consecutiveFailures, 1);
  EXPECT_EQ(st.nextAttemptAtMs, 67000);
  EXPECT_EQ(st.lastError, "connection refused");
  EXPECT_EQ(db_->nextPending(d)->id, p.id) << "the head stays the head";
  EXPECT_EQ(db_->nextPending(d)->attempts, 1);
  EXPECT_EQ(db_->counters(d).failedAttempts, 1);
  db_->recordAttempt(d, p.id, {Out::Delivered, "", 7}, 68000, {});
  st = db_->state(d);
  EXPECT_EQ(st.consecutiveFailures, 0);
  EXPECT_EQ(st.nextAttemptAtMs, 0);
  EXPECT_FALSE(db_->hasPending(d));
  const auto e = db_->entry(d, p.id);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->history.size(), 2u);
  EXPECT_EQ(e->history[0].outcome, "failed");
  EXPECT_EQ(e->history[0].reason, "connection refused");
  EXPECT_EQ(e->history[1].outcome, "delivered");
}

TEST_P(StoreConformance, APacketAMethodCannotCarryIsADeadLetterAndTheQueueGoesOn) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1)), item(tracking(2))});
  const auto batch = db_->pendingBatch(d, 2);
  db_->recordAttempts(d,
                      {{batch[0].id, {Out::Never, "over 255 bytes", 1}, 8000},
                       {batch[1].id, {Out::Delivered, "", 1}, 8001}},
                      {});
  EXPECT_EQ(db_->deliveryIds(d, DeliveryState::Dead).size(), 1u);
  EXPECT_EQ(db_->counters(d).deadLetters, 1);
  EXPECT_EQ(db_->counters(d).delivered, 1);
  EXPECT_EQ(db_->entry(d, batch[0].id)->reason, "over 255 bytes");
}

TEST_P(StoreConformance, SkipDeadLettersOnlyTheEntryTheAdminSawBlocking) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1)), item(tracking(2))});
  const auto head = db_->nextPending(d)->id;
  db_->recordAttempt(d, head, {Out::Retry, "refused", 1}, 9000, {3, 99000, "refused"});
  EXPECT_FALSE(db_->skipBlocking(d, "bad", 9100, head + 1000)) << "not the blocking one";
  EXPECT_TRUE(db_->skipBlocking(d, "receiver rejects it", 9100, head));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{2}));
  EXPECT_EQ(db_->state(d).consecutiveFailures, 0) << "a skip clears the backoff";
  EXPECT_EQ(db_->state(d).nextAttemptAtMs, 0);
  const auto e = db_->entry(d, head);
  EXPECT_EQ(e->state, DeliveryState::Dead);
  EXPECT_EQ(e->reason, "skipped by an admin: receiver rejects it");
  EXPECT_EQ(e->history.back().outcome, "skipped");
}

TEST_P(StoreConformance, AnAttemptOnARowSkippedMeanwhileIsNotRecordedAsADelivery) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1)), item(tracking(2))});
  const auto batch = db_->pendingBatch(d, 2);  // a worker took both
  EXPECT_TRUE(db_->skipBlocking(d, "admin", 9000, batch[0].id));
  db_->recordAttempts(
      d,
      {{batch[0].id, {Out::Delivered, "", 1}, 9001}, {batch[1].id, {Out::Delivered, "", 1}, 9002}},
      {});
  EXPECT_EQ(db_->entry(d, batch[0].id)->state, DeliveryState::Dead) << "stays skipped";
  EXPECT_EQ(db_->counters(d).delivered, 1);
  EXPECT_EQ(db_->counters(d).deadLetters, 1);
  // ... but its history says the third party got it all the same.
  const auto skipped = db_->entry(d, batch[0].id);
  ASSERT_EQ(skipped->history.size(), 2u);
  EXPECT_EQ(skipped->history[0].outcome, "skipped");
  EXPECT_EQ(skipped->history[1].outcome, "delivered");
  EXPECT_EQ(skipped->history[1].atMs, 9001);
}

TEST_P(StoreConformance, RequeueAndReplayPutEntriesBackInOrderAndCountThemQueued) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 0, 1000), item(tracking(2), 0, 2000), item(tracking(3), 0, 3000)});
  const auto batch = db_->pendingBatch(d, 3);
  db_->recordAttempts(d,
                      {{batch[0].id, {Out::Delivered, "", 1}, 4000},
                       {batch[1].id, {Out::Never, "too big", 1}, 4001},
                       {batch[2].id, {Out::Delivered, "", 1}, 4002}},
                      {});
  EXPECT_EQ(db_->requeueDead(d), 1);
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{2}));
  EXPECT_FALSE(db_->entry(d, batch[1].id)->reason) << "the dead-letter reason goes";
  EXPECT_EQ(db_->replayFrom(d, 3000), 1) << "delivered rows received at or after 3000";
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{2, 3}));
  const auto c = db_->counters(d);
  EXPECT_EQ(c.queued, 5);
  EXPECT_EQ(c.queued, c.delivered + c.deadLetters + c.depth + 0 * c.filtered)
      << "queued = delivered + dead + pending";
}

// Every attempt is in an entry's history, in order, the successful one too (kept in the row
// itself since the footprint migrations), and a replay keeps the earlier delivery in it.
TEST_P(StoreConformance, AnEntrysHistoryHoldsEveryAttemptThroughDeliveryAndReplay) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 0, 1000)});
  const auto id = db_->nextPending(d)->id;
  db_->recordAttempt(d, id, {Out::Retry, "HTTP 503", 11}, 2000, {1, 62000, "HTTP 503"});
  db_->recordAttempt(d, id, {Out::Delivered, "", 22}, 3000, {});
  auto history = [&] {
    std::vector<std::string> out;
    const auto e = db_->entry(d, id);
    for (const auto& h : e->history)
      out.push_back(std::to_string(h.atMs) + " " + h.outcome + " " + h.reason + " " +
                    std::to_string(h.durationUs));
    return out;
  };
  EXPECT_EQ(history(), (std::vector<std::string>{"2000 failed HTTP 503 11", "3000 delivered  22"}));
  EXPECT_EQ(db_->entry(d, id)->attempts, 2);
  EXPECT_EQ(db_->entry(d, id)->finishedAtMs, 3000);
  ASSERT_EQ(db_->replayFrom(d, 0), 1);
  EXPECT_EQ(history(), (std::vector<std::string>{"2000 failed HTTP 503 11", "3000 delivered  22"}))
      << "pending again, its history stays";
  db_->recordAttempt(d, id, {Out::Delivered, "", 33}, 4000, {});
  EXPECT_EQ(history(), (std::vector<std::string>{"2000 failed HTTP 503 11", "3000 delivered  22",
                                                 "4000 delivered  33"}));
}

TEST_P(StoreConformance, PauseAndRetryNowAreKeptOnTheDestination) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->setPaused(d, true).ok());
  EXPECT_TRUE(db_->destination(d)->paused);
  device("12345678", location("Depot", {d}));
  append({item(tracking(1))});
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1})) << "a paused destination still queues";
  db_->recordAttempt(d, db_->nextPending(d)->id, {Out::Retry, "x", 1}, 100, {1, 60100, "x"});
  db_->retryNow(d);
  EXPECT_EQ(db_->state(d).nextAttemptAtMs, 0);
  EXPECT_EQ(db_->state(d).consecutiveFailures, 1);
  ASSERT_TRUE(db_->setPaused(d, false).ok());
  EXPECT_FALSE(db_->destination(d)->paused);
  EXPECT_EQ(db_->setPaused(d + 100, true).error().category, store::ErrorCategory::NotFound);
}

TEST_P(StoreConformance, PruningDeletesOnlyOldDeliveredRowsInBatches) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1)), item(tracking(2)), item(tracking(3)), item(tracking(4))});
  const auto batch = db_->pendingBatch(d, 3);
  db_->recordAttempts(d,
                      {{batch[0].id, {Out::Delivered, "", 1}, 10'000},
                       {batch[1].id, {Out::Delivered, "", 1}, 10'000},
                       {batch[2].id, {Out::Delivered, "", 1}, 50'000}},
                      {});
  EXPECT_EQ(db_->prune(20'000, 1), 1);
  EXPECT_EQ(db_->prune(20'000, 1), 1);
  EXPECT_EQ(db_->prune(20'000, 1), 0) << "the newer delivered row stays";
  EXPECT_EQ(db_->deliveryIds(d, DeliveryState::Delivered).size(), 1u);
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{4})) << "pending rows are never pruned";
  EXPECT_FALSE(db_->entry(d, batch[0].id)) << "gone with its packet";
}

// A packet stays while any destination still holds its row, and goes with the last one; a
// row delivered later (a replay) is passed over without holding back the rows after it.
TEST_P(StoreConformance, PruningTakesEachDestinationsOldRowsAndAPacketWithItsLastRow) {
  const auto d1 = destination("d1");
  const auto d2 = destination("d2");
  device("12345678", location("Depot", {d1, d2}));
  append({item(tracking(1), 0, 1000), item(tracking(2), 0, 2000), item(tracking(3), 0, 3000)});
  deliverAll(d1, 10'000);
  deliverAll(d2, 30'000);  // a day behind, say
  const auto first = db_->pendingBatch(d1, 1);
  ASSERT_TRUE(first.empty());
  ASSERT_EQ(db_->replayFrom(d1, 0), 3);
  const auto again = db_->pendingBatch(d1, 1);
  db_->recordAttempts(d1, {{again[0].id, {Out::Delivered, "", 1}, 50'000}}, {});  // packet 1
  deliverAll(d1, 12'000);                                                         // 2 and 3
  while (db_->prune(20'000, 1) == 1) {
  }
  EXPECT_EQ(db_->deliveryIds(d1, DeliveryState::Delivered).size(), 1u)
      << "only the replayed row, delivered after the cutoff, stays";
  EXPECT_EQ(db_->deliveryIds(d2, DeliveryState::Delivered).size(), 3u);
  EXPECT_EQ(db_->size().packets, 3) << "d2 still holds every packet";
  while (db_->prune(40'000, 1) == 1) {
  }
  EXPECT_EQ(db_->deliveryIds(d2, DeliveryState::Delivered).size(), 0u);
  EXPECT_EQ(db_->size().packets, 1) << "packet 1 stays with its replayed row";
  while (db_->prune(60'000, 1) == 1) {
  }
  EXPECT_EQ(db_->size().packets, 0);
}

TEST_P(StoreConformance, PruningTakesOldPacketsThatWentToNoDestination) {
  const auto d = destination("d");
  location("Depot", {d});
  device("12345678", std::nullopt);
  append({item(tracking(1), 0, 1000), item(tracking(2), 0, 2000)});
  EXPECT_EQ(db_->size().packets, 2);
  db_->prune(1500, 10);
  EXPECT_EQ(db_->size().packets, 1) << "the one received before the cutoff went";
  db_->prune(2500, 10);
  EXPECT_EQ(db_->size().packets, 0);
}

TEST_P(StoreConformance, DeadLettersStayThroughPruningAndGoOnlyWhenRoomIsNeeded) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 0, 1000), item(tracking(2), 0, 2000), item(tracking(3), 0, 3000)});
  const auto batch = db_->pendingBatch(d, 3);
  db_->recordAttempts(d,
                      {{batch[0].id, {Out::Never, "too big", 1}, 4000},
                       {batch[1].id, {Out::Never, "too big", 1}, 4001},
                       {batch[2].id, {Out::Delivered, "", 1}, 4002}},
                      {});
  EXPECT_EQ(db_->prune(10'000, 10), 1) << "the delivered row only";
  EXPECT_EQ(db_->deliveryIds(d, DeliveryState::Dead).size(), 2u);
  EXPECT_EQ(db_->pruneDeadLetters(10'000, 1), 1);
  EXPECT_FALSE(db_->entry(d, batch[0].id)) << "the oldest dead letter first";
  EXPECT_TRUE(db_->entry(d, batch[1].id));
  EXPECT_EQ(db_->pruneDeadLetters(4001, 10), 0) << "only those finished before the cutoff";
  EXPECT_EQ(db_->pruneDeadLetters(10'000, 10), 1);
  EXPECT_EQ(db_->size().packets, 0) << "their packets went with them";
}

TEST_P(StoreConformance, RemovingADestinationDeadLettersItsQueueAndKeepsItsHistory) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1))});
  ASSERT_TRUE(db_->removeDestination(d, 2000).ok());
  EXPECT_TRUE(db_->destinations().empty());
  ASSERT_TRUE(db_->destination(d)) << "still readable";
  EXPECT_EQ(db_->deliveryIds(d, DeliveryState::Dead).size(), 1u);
  EXPECT_TRUE(db_->locationsOf(d).empty());
  EXPECT_EQ(db_->removeDestination(d, 2001).error().category, store::ErrorCategory::NotFound);
}

TEST_P(StoreConformance, EverythingCommittedSurvivesARestart) {
  const auto d = destination("d", std::vector<std::string>{"Tracking suppression"});
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 1), item(tracking(2), 2)});
  const int version = db_->schemaVersion();
  EXPECT_GT(version, 0);
  restart();
  EXPECT_EQ(db_->schemaVersion(), version) << "migrations are not applied twice";
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2}));
  EXPECT_EQ(db_->destination(d)->filter, (std::vector<std::string>{"Tracking suppression"}));
  EXPECT_EQ(db_->locations().size(), 1u);
  EXPECT_EQ(db_->devices().size(), 1u);
  EXPECT_FALSE(db_->empty());
}

TEST_P(StoreConformance, AFullDiskRefusesTheWholeBatchAndRecoversWhenSpaceReturns) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 1)});
  GetParam().fillDisk(*db_);
  std::vector<store::IngestItem> big;
  for (std::uint32_t i = 0; i < 200; ++i) {
    codecs::Bytes p(4000, 0x47);
    big.push_back(item(std::move(p), 10 + i));
  }
  try {
    append(big);
    ADD_FAILURE() << "the batch should not fit";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Full);
  }
  GetParam().freeDisk(*db_);
  EXPECT_EQ(db_->counters(d).depth, 1) << "nothing of the failed batch, nothing lost";
  EXPECT_EQ(db_->device("12345678")->lastSequence, 1u) << "the mark did not move";
  EXPECT_EQ(append({item(tracking(2), 10)}), (std::vector<AppendOutcome>{AppendOutcome::Stored}));
}

TEST_P(StoreConformance, AnAdminChangeAndItsAuditRowCommitTogetherOrNotAtAll) {
  {
    auto tx = db_->begin();
    store::LocationConfig l{0, "Depot", "", {}};
    auto id = tx->createLocation(l);
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(tx->location(*id)) << "the transaction reads its own writes";
    tx->appendAudit({0, 1000, "alice", "admin", "location.create", "location", std::nullopt,
                     R"({"name":"Depot"})"});
    // No commit: rolled back.
  }
  EXPECT_TRUE(db_->locations().empty());
  EXPECT_TRUE(db_->audit(1'000'000, 10).empty());
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->createLocation({0, "Depot", "", {}}).ok());
    tx->appendAudit({0, 1000, "alice", "admin", "location.create", "location 1", std::nullopt,
                     R"({"name":"Depot"})"});
    tx->commit();
  }
  EXPECT_EQ(db_->locations().size(), 1u);
  const auto audit = db_->audit(1'000'000, 10);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].actor, "alice");
  EXPECT_EQ(audit[0].action, "location.create");
  EXPECT_FALSE(audit[0].before);
  EXPECT_EQ(audit[0].after, R"({"name":"Depot"})");
}

TEST_P(StoreConformance, ACommittedTransactionFreesTheWriterBeforeItIsDropped) {
  // The admin layer publishes a change after commit() while the transaction object may still
  // live; a subscriber (a worker reloading its destination) then writes from another thread.
  auto tx = db_->begin();
  ASSERT_TRUE(tx->createLocation({0, "Depot", "", {}}).ok());
  tx->commit();
  auto other = std::async(std::launch::async, [&] {
    return db_->createLocation({0, "Yard", "", {}}).ok();
  });
  ASSERT_EQ(other.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the writer is still held after commit()";
  EXPECT_TRUE(other.get());
  tx.reset();
  EXPECT_EQ(db_->locations().size(), 2u);
}

TEST_P(StoreConformance, RefusalsCarryACategoryAndTheField) {
  destination("d");
  store::DestinationConfig again;
  again.settings.name = "d";
  auto dup = db_->createDestination(again, 1);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().category, store::ErrorCategory::Conflict);
  EXPECT_EQ(dup.error().field, "name");
  location("Depot", {});
  auto loc = db_->createLocation({0, "Depot", "", {}});
  EXPECT_EQ(loc.error().category, store::ErrorCategory::Conflict);
  auto missing = db_->createLocation({0, "Yard", "", {424242}});
  EXPECT_EQ(missing.error().category, store::ErrorCategory::NotFound);
  EXPECT_EQ(missing.error().field, "destinationIds");
  EXPECT_EQ(db_->upsertDevice({"1", 424242, "", std::nullopt}).error().category,
            store::ErrorCategory::NotFound);
  EXPECT_EQ(db_->removeDevice("nobody").error().category, store::ErrorCategory::NotFound);
  EXPECT_EQ(db_->removeLocation(424242).error().category, store::ErrorCategory::NotFound);
  EXPECT_FALSE(db_->location(424242));
}

TEST_P(StoreConformance, LocationsKeepTheirDestinationsAndCountTheirDevices) {
  const auto a = destination("a"), b = destination("b");
  const auto loc = location("Depot", {b, a});
  device("1", loc);
  device("2", loc);
  EXPECT_EQ(db_->location(loc)->destinationIds, (std::vector<std::int64_t>{a, b}));
  EXPECT_EQ(db_->locationsOf(a), (std::vector<std::int64_t>{loc}));
  EXPECT_EQ(db_->deviceCount(loc), 2);
  ASSERT_TRUE(db_->updateLocation({loc, "Depot", "north", {a}}).ok());
  EXPECT_TRUE(db_->locationsOf(b).empty());
  ASSERT_TRUE(db_->removeLocation(loc).ok());
  EXPECT_FALSE(db_->device("1")->locationId) << "its devices stay, without a location";
}

// Issue 13: a location's tachograph-file settings (schema/files.md).
TEST_P(StoreConformance, LocationsKeepTheirFileSettingsUnlessNewOnesAreGiven) {
  const auto loc = location("Depot", {});
  EXPECT_EQ(db_->location(loc)->files, store::LocationFiles{}) << "the defaults: eu, UTC, 90, 28";
  EXPECT_EQ(db_->location(loc)->files->vehicleUnitDownloadDays, 90);
  const store::LocationFiles paris{"fr", "Europe/Paris", 60, 21};
  ASSERT_TRUE(db_->updateLocation({loc, "Depot", "", {}, paris}).ok());
  EXPECT_EQ(db_->location(loc)->files, paris);
  ASSERT_TRUE(db_->updateLocation({loc, "Depot", "renamed", {}}).ok());
  EXPECT_EQ(db_->location(loc)->files, paris) << "an update without settings keeps them";
  auto madrid = db_->createLocation(
      {0, "Madrid", "", {}, store::LocationFiles{"es", "Europe/Madrid", 90, 28}});
  ASSERT_TRUE(madrid.ok());
  EXPECT_EQ(db_->locations().back().files->naming, "es");
}

TEST_P(StoreConformance, DevicesKeepTheirKeyUnlessANewOneIsGiven) {
  const codecs::Bytes key(32, 0x5A);
  ASSERT_TRUE(db_->upsertDevice({"12345678", std::nullopt, "R1", key}).ok());
  EXPECT_TRUE(db_->device("12345678")->hasKey);
  ASSERT_TRUE(db_->upsertDevice({"12345678", std::nullopt, "R2", std::nullopt}).ok());
  const auto auth = db_->deviceAuth("12345678");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->key, key);
  EXPECT_EQ(db_->device("12345678")->registration, "R2");
  EXPECT_FALSE(db_->deviceAuth("87654321"));
}

TEST_P(StoreConformance, RefusedLoginsAreOneRowPerSerialMostRecentFirst) {
  db_->recordRefusedIdents({{"AAA", "127.0.0.1:1", "unknown device", 100, 0, 0},
                            {"BBB", "127.0.0.1:2", "wrong proof", 200, 0, 0}});
  db_->recordRefusedIdents({{"AAA", "127.0.0.1:3", "unknown device", 300, 0, 0}});
  const auto r = db_->refusedIdents();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].serial, "AAA");
  EXPECT_EQ(r[0].address, "127.0.0.1:3");
  EXPECT_EQ(r[0].firstAtMs, 100);
  EXPECT_EQ(r[0].attempts, 2);
  EXPECT_TRUE(db_->removeRefusedIdent("AAA"));
  EXPECT_FALSE(db_->removeRefusedIdent("AAA"));
}

TEST_P(StoreConformance, TokensAreKeptHashedAndCanBeRevoked) {
  auto [token, secret] = db_->createToken("alice", "admin", 1000);
  EXPECT_EQ(secret.rfind("dcgw_", 0), 0u);
  const auto who = db_->authenticate(secret, 2000);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->role, "admin");
  EXPECT_FALSE(db_->authenticate(secret + "x", 2000));
  EXPECT_EQ(db_->tokens().size(), 1u);
  EXPECT_TRUE(db_->revokeToken(token.id, 3000));
  EXPECT_FALSE(db_->authenticate(secret, 4000));
  EXPECT_TRUE(db_->tokens().empty());
}

TEST_P(StoreConformance, TheQueueViewsShowDepthTheBlockingEntryAndFilteredPages) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  append({item(tracking(1), 0, 1000), item(sensor(2), 0, 2000), item(tracking(3), 0, 3000)});
  const auto head = db_->nextPending(d)->id;
  db_->recordAttempt(d, head, {Out::Retry, "timeout", 1}, 4000, {1, 64000, "timeout"});
  const auto q = db_->queue(d);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->counters.depth, 3);
  EXPECT_EQ(q->blockingEntryId, head);
  EXPECT_EQ(q->counters.oldestPendingReceivedAtMs, 1000);
  EXPECT_EQ(q->state.lastError, "timeout");
  EXPECT_EQ(q->lastErrorAtMs, 4000);
  EXPECT_EQ(db_->queueOverview().size(), 1u);
  store::EntryFilter f;
  f.type = 0x53;
  auto page = db_->entries(d, f);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].filterKey, "Sensors");
  f = {};
  f.limit = 2;
  page = db_->entries(d, f);
  ASSERT_EQ(page.size(), 2u);
  f.afterId = page.back().id;
  EXPECT_EQ(db_->entries(d, f).size(), 1u) << "cursor paging";
  f = {};
  f.fromMs = 2000;
  f.toMs = 3000;
  EXPECT_EQ(db_->entries(d, f).size(), 1u);
  EXPECT_FALSE(db_->entry(d + 1, head)) << "an entry of another queue";
}

}  // namespace dcgw::testing
