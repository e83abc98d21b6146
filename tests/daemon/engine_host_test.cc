#include "daemon/engine_host.h"

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
  EXPECT_EQ(host_.EarliestOpenBreach(0), t + kHour);
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
