#include "daemon/durability/decision_publisher.h"

#include <gtest/gtest.h>

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
                                .target = kHour};
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
