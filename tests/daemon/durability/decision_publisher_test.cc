#include "daemon/durability/decision_publisher.h"

#include <gtest/gtest.h>

#include "tests/fakes/journey_builder.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

Decision Breach() {
  Decision d;
  d.kind = DecisionKind::kBreached;
  d.at = T("2026-11-27T11:00:00Z");
  d.instance = InstanceSnapshot{.sla = 0,
                                .key = "order-42",
                                .cycle = 2,
                                .state = InstanceState::kOverdue,
                                .started_at = T("2026-11-27T10:00:00Z"),
                                .deadline = T("2026-11-27T11:00:00Z"),
                                .breached_at = T("2026-11-27T11:00:00Z"),
                                .ended_at = kNoTime,
                                .elapsed = kHour,
                                .target = kHour,
                                .held = {},
                                .baton = InstanceSnapshot::kUndecided,
                                .first_late_stage = InstanceSnapshot::kUndecided};
  return d;
}

TEST(DecisionCloudEvent, BreachIsAStructuredCloudEvent) {
  auto json = DecisionCloudEvent(Breach(), AcceptSla(kHour));
  ASSERT_TRUE(json);
  EXPECT_EQ(*json, R"({"specversion":"1.0","id":"sales_to_ops_accept/order-42/2/breached",)"
                   R"("source":"/handoffd","type":"handoff.sla.breached","subject":"order-42",)"
                   R"("time":"2026-11-27T11:00:00Z","datacontenttype":"application/json",)"
                   R"("data":{"sla":"sales_to_ops_accept","key":"order-42","cycle":2,)"
                   R"("state":"overdue","started_at":"2026-11-27T10:00:00Z",)"
                   R"("deadline":"2026-11-27T11:00:00Z","breached_at":"2026-11-27T11:00:00Z",)"
                   R"("ended_at":null,"elapsed_seconds":3600,"from":"sales","to":"operations",)"
                   R"("owner":"operations","at":"2026-11-27T11:00:00Z","target_seconds":3600}})");
}

// A journey's breach names the baton and the first late stage; its close adds held time.
TEST(DecisionCloudEvent, JourneyDecisionsCarryHeldTimeBatonAndFirstLateStage) {
  std::vector<SlaDefinition> slas = JourneySlaList();
  JourneyPlan plan = JourneyPlan::Of(slas, kShip);
  Decision d = Breach();
  d.instance.sla = kShip;
  d.instance.held = {1800 * kSecond, 41400 * kSecond, 46800 * kSecond, 0};
  d.instance.baton = 2;             // fulfillment
  d.instance.first_late_stage = 0;  // sales_to_ops_accept
  auto breach = DecisionCloudEvent(d, slas[kShip], &plan);
  ASSERT_TRUE(breach);
  EXPECT_NE(breach->find(R"("held_seconds":{"sales":1800,"operations":41400,"fulfillment":46800,)"
                         R"("paused":0},"baton":"fulfillment","first_late_stage":"sales_to_ops_accept"})"),
            std::string::npos)
      << *breach;
  d.kind = DecisionKind::kMet;
  d.instance.baton = d.instance.first_late_stage = InstanceSnapshot::kUndecided;
  auto met = DecisionCloudEvent(d, slas[kShip], &plan);
  ASSERT_TRUE(met);
  EXPECT_NE(met->find(R"("paused":0},"baton":null,"first_late_stage":null})"), std::string::npos)
      << *met;
  EXPECT_EQ(DecisionCloudEvent(d, slas[kShip])->find("held_seconds"), std::string::npos);
}

TEST(DecisionCloudEvent, WarningCarriesItsThreshold) {
  Decision d = Breach();
  d.kind = DecisionKind::kWarning;
  d.threshold = 0.8;
  d.at = T("2026-11-27T10:48:00Z");
  d.instance.state = InstanceState::kRunning;
  d.instance.breached_at = kNoTime;
  d.instance.elapsed = 48 * kMinute;
  EXPECT_EQ(DecisionEventId(d, AcceptSla(kHour)), "sales_to_ops_accept/order-42/2/warning-0.8");
  auto json = DecisionCloudEvent(d, AcceptSla(kHour));
  ASSERT_TRUE(json);
  EXPECT_NE(json->find(R"("type":"handoff.sla.warning")"), std::string::npos);
  EXPECT_NE(json->find(R"("elapsed_seconds":2880,)"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("target_seconds":3600,"threshold":0.8})"),
            std::string::npos)
      << *json;
  d.threshold = 0.5;
  EXPECT_EQ(DecisionEventId(d, AcceptSla(kHour)), "sales_to_ops_accept/order-42/2/warning-0.5");
}

TEST(DecisionCloudEvent, OutcomesHaveTheirTypesAndIds) {
  const std::pair<DecisionKind, std::string> cases[] = {
      {DecisionKind::kMet, "met"},
      {DecisionKind::kCancelled, "cancelled"},
      {DecisionKind::kResolved, "resolved"},
      {DecisionKind::kBreached, "breached"},
  };
  for (const auto& [kind, name] : cases) {
    Decision d = Breach();
    d.kind = kind;
    EXPECT_EQ(DecisionEventType(kind), "handoff.sla." + name);
    EXPECT_EQ(DecisionEventId(d, AcceptSla(kHour)), "sales_to_ops_accept/order-42/2/" + name);
  }
}

TEST(DecisionCloudEvent, ProgressIsNotPublished) {
  for (DecisionKind kind :
       {DecisionKind::kStarted, DecisionKind::kPaused, DecisionKind::kResumed}) {
    Decision d = Breach();
    d.kind = kind;
    EXPECT_TRUE(DecisionEventType(kind).empty());
    EXPECT_FALSE(DecisionEventId(d, AcceptSla(kHour)));
    EXPECT_FALSE(DecisionCloudEvent(d, AcceptSla(kHour)));
  }
}

TEST(DecisionCloudEvent, KeysAreEscaped) {
  Decision d = Breach();
  d.instance.key = "a\"b\\c";
  auto json = DecisionCloudEvent(d, AcceptSla(kHour));
  ASSERT_TRUE(json);
  EXPECT_NE(json->find(R"("subject":"a\"b\\c")"), std::string::npos) << *json;
}

TEST(DecisionCloudEvent, SameDecisionSameBytes) {
  EXPECT_EQ(DecisionCloudEvent(Breach(), AcceptSla(kHour)),
            DecisionCloudEvent(Breach(), AcceptSla(kHour)));
}

}  // namespace
}  // namespace handoff
