#include "daemon/serve/timeline_store.h"

#include <gtest/gtest.h>

#include "daemon/host/engine_host.h"
#include "tests/daemon/serve/http_test_config.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

Decision Make(DecisionKind kind, std::string key, TimeMs at, std::string event_id = "") {
  Decision d;
  d.kind = kind;
  d.at = at;
  d.event_id = std::move(event_id);
  d.instance.key = std::move(key);
  d.instance.cycle = 1;
  d.instance.started_at = at;
  return d;
}

TEST(TimelineStore, KeepsEveryDecisionOfAnOrderFromTheEngine) {
  auto config = HttpTestConfig();
  EngineHost host(config);
  TimelineStore store(TimelineLimits{.retention = config->time.retention});
  host.AddSink(&store);
  host.Assign(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host.Offer(0, Requested("r1", t, "o1"), t);
  host.Offer(0, OnHold("h1", t + kMinute, "o1"), t);
  host.Offer(0, Released("l1", t + 2 * kMinute, "o1"), t);
  host.Offer(0, Accepted("a1", t + 3 * kHour, "o1"), t);
  host.Offer(0, Ev("noise", "order.note", t + 4 * kHour, "zz"), t);

  const TimelineStore::Order* order = store.Find("o1");
  ASSERT_NE(order, nullptr);
  std::vector<DecisionKind> kinds;
  for (const auto& e : order->entries) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<DecisionKind>{
                       DecisionKind::kStarted, DecisionKind::kPaused, DecisionKind::kResumed,
                       DecisionKind::kWarning, DecisionKind::kWarning, DecisionKind::kBreached,
                       DecisionKind::kResolved}));
  EXPECT_EQ(order->entries.front().event_id, "r1");
  EXPECT_EQ(order->entries.back().event_id, "a1");
  EXPECT_EQ(order->open, 0u);
  EXPECT_EQ(store.Find("zz"), nullptr);  // no decision, no timeline
}

TEST(TimelineStore, DropsAClosedOrderRetentionAfterItsLastClose) {
  TimelineStore store(TimelineLimits{.retention = kDay});
  TimeMs t = T("2026-11-27T10:00:00Z");
  std::vector<Decision> batch = {Make(DecisionKind::kStarted, "o1", t, "r1"),
                                 Make(DecisionKind::kMet, "o1", t + kHour, "a1"),
                                 Make(DecisionKind::kStarted, "o2", t, "r2")};
  store.OnDecisions(0, batch);
  EXPECT_EQ(store.order_count(), 2u);
  // Just before the day is over: still there.
  std::vector<Decision> later = {Make(DecisionKind::kStarted, "o3", t + kHour + kDay - 1)};
  store.OnDecisions(0, later);
  EXPECT_NE(store.Find("o1"), nullptr);
  later = {Make(DecisionKind::kStarted, "o4", t + kHour + kDay)};
  store.OnDecisions(0, later);
  EXPECT_EQ(store.Find("o1"), nullptr);
  EXPECT_NE(store.Find("o2"), nullptr);  // still open: kept
  EXPECT_EQ(store.entry_count(), 3u);
}

TEST(TimelineStore, AnOrderThatReopensIsNotDroppedByItsEarlierClose) {
  TimelineStore store(TimelineLimits{.retention = kDay});
  TimeMs t = T("2026-11-27T10:00:00Z");
  std::vector<Decision> batch = {Make(DecisionKind::kStarted, "o1", t),
                                 Make(DecisionKind::kMet, "o1", t + kHour),
                                 Make(DecisionKind::kStarted, "o1", t + 2 * kHour)};
  store.OnDecisions(0, batch);
  batch = {Make(DecisionKind::kStarted, "o9", t + 3 * kDay)};
  store.OnDecisions(0, batch);
  ASSERT_NE(store.Find("o1"), nullptr);
  EXPECT_EQ(store.Find("o1")->entries.size(), 3u);
}

TEST(TimelineStore, CapsEntriesPerOrderAndInTotal) {
  TimelineStore store(TimelineLimits{.retention = kDay, .max_entries = 10, .max_entries_per_order = 4});
  TimeMs t = T("2026-11-27T10:00:00Z");
  std::vector<Decision> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(Make(DecisionKind::kWarning, "busy", t + i));
  store.OnDecisions(0, batch);
  ASSERT_NE(store.Find("busy"), nullptr);
  EXPECT_EQ(store.Find("busy")->entries.size(), 4u);
  EXPECT_TRUE(store.Find("busy")->truncated);
  EXPECT_EQ(store.Find("busy")->entries.front().at, t + 2);  // the oldest went

  // Eight more orders of one entry: the least recently touched ("busy") goes first.
  for (int i = 0; i < 8; ++i) {
    batch = {Make(DecisionKind::kStarted, "o" + std::to_string(i), t + 10 + i)};
    store.OnDecisions(0, batch);
  }
  EXPECT_LE(store.entry_count(), 10u);
  EXPECT_EQ(store.Find("busy"), nullptr);
  EXPECT_NE(store.Find("o7"), nullptr);
}

// The slab reuses the slots of evicted and expired orders, and the index and both lists
// stay consistent through it: every live order is found with its own decisions, every
// dropped one is gone, and eviction keeps following recency.
TEST(TimelineStore, ReusedSlotsKeepEveryOrderAndListStraight) {
  TimelineStore store(TimelineLimits{.retention = kHour, .max_entries = 300, .max_entries_per_order = 8});
  TimeMs t = T("2026-11-27T10:00:00Z");
  for (int i = 0; i < 5000; ++i) {
    std::string key = "o" + std::to_string(i);
    std::vector<Decision> batch = {Make(DecisionKind::kStarted, key, t + i, key + "-s")};
    // Every third order closes at once (expires an hour later); the rest stay open.
    if (i % 3 == 0) batch.push_back(Make(DecisionKind::kMet, key, t + i, key + "-m"));
    // Order "o1" is touched again and again: eviction must never pick it.
    if (i % 50 == 0) batch.push_back(Make(DecisionKind::kWarning, "o1", t + i));
    store.OnDecisions(0, batch);
  }
  EXPECT_LE(store.entry_count(), 300u);
  ASSERT_NE(store.Find("o1"), nullptr);
  EXPECT_TRUE(store.Find("o1")->truncated);
  std::size_t found = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string key = "o" + std::to_string(i);
    const TimelineStore::Order* order = store.Find(key);
    if (order == nullptr) continue;
    ++found;
    if (key == "o1") continue;
    EXPECT_EQ(order->key, key);
    EXPECT_EQ(order->entries.front().event_id, key + "-s");
    EXPECT_GE(i, 4700) << key << " outlived newer orders";
  }
  EXPECT_EQ(found, store.order_count());
  EXPECT_EQ(store.Find("o4999")->entries.size(), 1u);

  // Two hours of event time later, the closed ones expire; the open ones stay.
  std::vector<Decision> later = {Make(DecisionKind::kStarted, "late", t + 2 * kHour)};
  for (int i = 0; i < 10; ++i) store.OnDecisions(0, later);
  EXPECT_EQ(store.Find("o4998"), nullptr);  // 4998 % 3 == 0: closed
  EXPECT_NE(store.Find("o4999"), nullptr);
}

// A partition's timeline moves with its checkpoints: saved from one store and restored
// into another (a restart, or the partition's new owner), exactly, and no other
// partition's; forgotten when the partition leaves.
TEST(TimelineStore, APartitionsTimelineIsSavedRestoredAndForgotten) {
  auto config = HttpTestConfig();
  const std::vector<SlaDefinition>& slas = config->slas;
  EngineHost host(config);
  TimelineStore store(TimelineLimits{.retention = config->time.retention});
  host.AddSink(&store);
  host.Assign(0);
  host.Assign(1);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host.Offer(0, Requested("r1", t, "o1"), t);
  host.Offer(0, OnHold("h1", t + kMinute, "o1"), t);
  host.Offer(0, Released("l1", t + 2 * kMinute, "o1"), t);
  host.Offer(0, Ev("noise", "order.note", t + 4 * kHour, "zz"), t);  // warnings, breach
  host.Offer(1, Requested("r2", t, "o2"), t);
  host.Offer(1, Ev("noise", "order.note", t + kMinute, "zz"), t);
  ASSERT_NE(store.Find("o2"), nullptr);
  const std::string saved = store.Save(0, slas);

  TimelineStore other(TimelineLimits{.retention = config->time.retention});
  ASSERT_TRUE(other.Restore(0, saved, slas));
  ASSERT_EQ(other.order_count(), 1u);  // o2 is partition 1's
  const TimelineStore::Order* was = store.Find("o1");
  const TimelineStore::Order* is = other.Find("o1");
  ASSERT_NE(is, nullptr);
  ASSERT_EQ(is->entries.size(), was->entries.size());
  for (std::size_t i = 0; i < is->entries.size(); ++i) {
    const TimelineStore::Entry& a = was->entries[i];
    const TimelineStore::Entry& b = is->entries[i];
    EXPECT_EQ(std::tie(a.partition, a.kind, a.at, a.threshold, a.event_id),
              std::tie(b.partition, b.kind, b.at, b.threshold, b.event_id));
    EXPECT_EQ(std::tie(a.instance.sla, a.instance.cycle, a.instance.state, a.instance.started_at,
                       a.instance.deadline, a.instance.breached_at, a.instance.elapsed,
                       a.instance.target),
              std::tie(b.instance.sla, b.instance.cycle, b.instance.state, b.instance.started_at,
                       b.instance.deadline, b.instance.breached_at, b.instance.elapsed,
                       b.instance.target));
  }
  EXPECT_EQ(is->open, was->open);
  EXPECT_EQ(other.Save(0, slas), saved);  // restoring twice does not double it
  ASSERT_TRUE(other.Restore(0, saved, slas));
  EXPECT_EQ(other.entry_count(), was->entries.size());

  // Partition 0 leaves: its orders go, partition 1's stay.
  host.set_attachment(&store);
  host.Revoke(0);
  EXPECT_EQ(store.Find("o1"), nullptr);
  EXPECT_NE(store.Find("o2"), nullptr);

  // Under a config without the SLA its entries are dropped; bytes of another format are
  // refused and leave nothing.
  EXPECT_TRUE(other.Restore(0, saved, {}));
  EXPECT_EQ(other.order_count(), 0u);
  EXPECT_FALSE(other.Restore(0, saved.substr(0, saved.size() - 1), slas));
  EXPECT_EQ(other.order_count(), 0u);
  EXPECT_TRUE(other.Restore(0, "", slas));  // a checkpoint from before timelines were kept
}

// A key in two topics can have decisions from two partitions. When one partition leaves,
// what is left decides whether the order is open and when it expires, as if only those
// decisions had been added.
TEST(TimelineStore, ForgettingOnePartitionOfAnOrderKeepsItsRetentionRight) {
  TimelineStore store(TimelineLimits{.retention = kDay});
  TimeMs t = T("2026-11-27T10:00:00Z");
  std::vector<Decision> p0 = {Make(DecisionKind::kStarted, "o1", t, "r1"),
                              Make(DecisionKind::kMet, "o1", t + kHour, "a1")};
  std::vector<Decision> p1 = {Make(DecisionKind::kStarted, "o1", t + 2 * kHour, "r2")};
  store.OnDecisions(0, p0);
  store.OnDecisions(1, p1);
  ASSERT_EQ(store.Find("o1")->open, 1u);

  store.Forget(1);  // left: started and met on partition 0, closed at t + 1h
  ASSERT_NE(store.Find("o1"), nullptr);
  EXPECT_EQ(store.Find("o1")->open, 0u);
  EXPECT_EQ(store.Find("o1")->entries.size(), 2u);
  // A day after that close (event time moved on by another order), it is dropped.
  std::vector<Decision> later = {Make(DecisionKind::kStarted, "o2", t + kHour + kDay + kMinute, "r3")};
  store.OnDecisions(0, later);
  EXPECT_EQ(store.Find("o1"), nullptr);
  EXPECT_NE(store.Find("o2"), nullptr);
}

// A reload that reorders or removes SLAs: entries follow their SLA by name, those of a
// removed SLA go (and an order left with none), as the engines drop its instances.
TEST(TimelineStore, AReloadRehomesEntriesBySlaName) {
  auto sla = [](std::string name) {
    SlaDefinition d;
    d.name = std::move(name);
    return d;
  };
  TimelineStore store(TimelineLimits{.retention = kDay});
  TimeMs t = T("2026-11-27T10:00:00Z");
  Decision accept = Make(DecisionKind::kStarted, "o1", t, "r1");  // SLA 0: accept
  Decision ship = Make(DecisionKind::kStarted, "o1", t, "r2");
  ship.instance.sla = 1;                                           // SLA 1: ship
  Decision only_accept = Make(DecisionKind::kStarted, "o2", t, "r3");
  store.OnDecisions(0, std::vector<Decision>{accept, ship, only_accept});

  store.Rehome({sla("accept"), sla("ship")}, {sla("bill"), sla("ship")});
  const TimelineStore::Order* o1 = store.Find("o1");
  ASSERT_NE(o1, nullptr);
  ASSERT_EQ(o1->entries.size(), 1u);
  EXPECT_EQ(o1->entries[0].event_id, "r2");
  EXPECT_EQ(o1->entries[0].instance.sla, 1u);  // "ship" is still index 1
  EXPECT_EQ(store.Find("o2"), nullptr);
  EXPECT_EQ(store.entry_count(), 1u);

  store.Rehome({sla("bill"), sla("ship")}, {sla("ship")});
  EXPECT_EQ(store.Find("o1")->entries[0].instance.sla, 0u);
}

}  // namespace
}  // namespace handoff
