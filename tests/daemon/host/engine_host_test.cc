#include "daemon/host/engine_host.h"

#include <gtest/gtest.h>

#include "tests/fakes/recording_decision_sink.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

std::shared_ptr<const Config> OneSlaConfig() {
  auto config = std::make_shared<Config>();
  config->slas = {AcceptSla(kHour)};
  config->time.lateness = 5 * kSecond;
  config->time.idle_timeout = 10 * kSecond;
  return config;
}

class EngineHostTest : public ::testing::Test {
 protected:
  EngineHostTest() : host_(OneSlaConfig()) { host_.AddSink(&sink_); }
  EngineHost host_;
  RecordingDecisionSink sink_;
};

TEST_F(EngineHostTest, DecisionsReachSinksWithTheirPartition) {
  host_.Assign(3);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(3, Requested("e1", t, "o"), t);
  host_.Offer(3, Ev("n", "order.note", t + 10 * kSecond, "z"), t);
  ASSERT_EQ(sink_.decisions().size(), 1u);
  EXPECT_EQ(sink_.decisions()[0].first, 3);
  EXPECT_EQ(sink_.decisions()[0].second.kind, DecisionKind::kStarted);
  EXPECT_EQ(host_.totals().applied, 1u);
}

TEST_F(EngineHostTest, EventsForUnassignedPartitionsAreDropped) {
  host_.Assign(0);
  host_.Revoke(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("e1", t, "o"), t);
  EXPECT_TRUE(sink_.decisions().empty());
  EXPECT_TRUE(host_.partitions().empty());
}

// A batch longer than the prefetch distance, mixing partitions, one of them unassigned:
// each event reaches its own partition's engine in order, and only the stray one is lost.
TEST_F(EngineHostTest, BatchGoesToEachEventsPartitionInOrder) {
  host_.Assign(0);
  host_.Assign(1);
  TimeMs t = T("2026-11-27T10:00:00Z");
  std::vector<std::pair<std::int32_t, Event>> batch;
  for (int i = 0; i < 20; ++i) {
    std::int32_t partition = i % 5 == 4 ? 7 : i % 2;  // 7 is not assigned
    batch.emplace_back(partition, Requested("e" + std::to_string(i), t, "o" + std::to_string(i)));
  }
  batch.emplace_back(0, Requested("e0", t, "o0"));  // a duplicate of the first
  batch.emplace_back(0, Ev("n", "order.note", t + 10 * kSecond, "z"));  // releases partition 0
  batch.emplace_back(1, Ev("n", "order.note", t + 10 * kSecond, "z"));  // and 1
  host_.Offer(batch, t);

  std::vector<std::string> started[2];
  for (const auto& [partition, decision] : sink_.decisions()) {
    ASSERT_TRUE(partition == 0 || partition == 1) << partition;
    EXPECT_EQ(decision.kind, DecisionKind::kStarted);
    started[partition].push_back(decision.instance.key);
  }
  EXPECT_EQ(started[0], (std::vector<std::string>{"o0", "o2", "o6", "o8", "o10", "o12", "o16",
                                                  "o18"}));
  EXPECT_EQ(started[1], (std::vector<std::string>{"o1", "o3", "o5", "o7", "o11", "o13", "o15",
                                                  "o17"}));
  EXPECT_EQ(host_.totals().duplicate, 1u);
}

TEST_F(EngineHostTest, IdleCaughtUpPartitionBreachesOnWallClock) {
  host_.Assign(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("e1", t, "o"), t);
  host_.SetCaughtUp(0, true);
  // Not idle yet: the next call is due when the idle timeout passes.
  EXPECT_EQ(host_.Tick(t + 5 * kSecond), t + 10 * kSecond);
  // Idle: F = wall - lateness, and the next wake is deadline + lateness.
  EXPECT_EQ(host_.Tick(t + 10 * kSecond), t + kHour + 5 * kSecond);
  EXPECT_EQ(host_.partitions().at(0).engine.frontier(), t + 5 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
  host_.Tick(t + kHour + 5 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 1u);
  EXPECT_EQ(host_.open_counts(0).overdue, 1u);
  std::vector<InstanceSnapshot> open;
  host_.VisitOpenInstances([&](std::int32_t, const InstanceSnapshot& s) { open.push_back(s); });
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].state, InstanceState::kOverdue);
  EXPECT_EQ(open[0].deadline, t + kHour);
}

// Rule 2: a partition is idle from its last event or from its assignment, whichever is
// later. A freshly assigned, caught-up partition with no event yet keeps its frontier for
// idle_timeout, so a day-old backlog that arrives a moment later is applied in time, not
// as late at wall clock - lateness.
TEST_F(EngineHostTest, FreshlyAssignedPartitionIsNotIdleUntilIdleTimeoutPasses) {
  host_.Assign(0);
  host_.SetCaughtUp(0, true);  // an empty topic: caught up at once
  TimeMs wall = T("2026-11-28T10:00:00Z");
  EXPECT_EQ(host_.Tick(wall), wall + 10 * kSecond);
  EXPECT_EQ(host_.Tick(wall + 9 * kSecond), wall + 10 * kSecond);
  EXPECT_EQ(host_.partitions().at(0).engine.frontier(), kNoTime);

  TimeMs day_old = wall - 24 * kHour;  // the backlog arrives
  host_.Offer(0, Requested("e1", day_old, "o"), wall + 9 * kSecond);
  host_.Offer(0, Accepted("e2", day_old + 30 * kMinute, "o"), wall + 9 * kSecond);
  host_.Offer(0, Ev("n", "order.note", day_old + 3 * kHour, "z"), wall + 9 * kSecond);
  EXPECT_EQ(host_.totals().late, 0u);
  EXPECT_EQ(sink_.Count(DecisionKind::kMet), 1u);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
}

// The same holds for a partition that was restored (Install): its idle clock restarts.
TEST_F(EngineHostTest, RestoredPartitionIsNotIdleAtOnce) {
  host_.Assign(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("e1", t, "o"), t);
  std::string state = host_.partitions().at(0).engine.SaveState();
  TimeMs wall = t + 24 * kHour;
  ASSERT_TRUE(host_.Restore(0, state).ok());
  host_.SetCaughtUp(0, true);
  EXPECT_EQ(host_.Tick(wall), wall + 10 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
  host_.Tick(wall + 10 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 1u);
}

// Several members: a member stopped (SIGSTOP) past its session lost its partitions
// without knowing it. When it continues, the wall clock has jumped; for the hold after
// such a stall its idle partitions do not follow it, so it decides no breach on the
// wall clock before its consumer learned that the partitions are gone.
TEST_F(EngineHostTest, AfterAStallTheWallClockIsHeldBeforeItDecidesAgain) {
  host_.GuardWallClockAfterStalls(5 * kSecond, 10 * kSecond);
  host_.Assign(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("e1", t, "o"), t);
  host_.SetCaughtUp(0, true);
  host_.Tick(t + kSecond);
  host_.Tick(t + 2 * kSecond);  // ticks a second apart: no stall
  TimeMs resumed = t + 2 * kHour;  // the process was stopped for two hours
  EXPECT_EQ(host_.Tick(resumed), resumed + 10 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
  host_.Tick(resumed + 5 * kSecond);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
  host_.Tick(resumed + 10 * kSecond);  // still running, still assigned: the member owns it
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 1u);
}

TEST_F(EngineHostTest, PartitionStillReadingBacklogDoesNotFollowWallClock) {
  host_.Assign(0);
  TimeMs t = T("2026-11-27T10:00:00Z");
  host_.Offer(0, Requested("e1", t, "o"), t);
  EXPECT_EQ(host_.Tick(t + 2 * kHour), kEndOfTime);
  EXPECT_EQ(sink_.Count(DecisionKind::kBreached), 0u);
}

TEST_F(EngineHostTest, RejectionsAreCountedByReason) {
  host_.CountRejected(RejectReason::kBadTime);
  host_.CountRejected(RejectReason::kBadTime);
  EXPECT_EQ(host_.rejected(RejectReason::kBadTime), 2u);
  EXPECT_EQ(host_.rejected(RejectReason::kNotJson), 0u);
}

}  // namespace
}  // namespace handoff
