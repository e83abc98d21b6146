#include "daemon/demo/demo_orders.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/demo/demo_generator.h"
#include "handlers/decoder.h"

namespace handoff {
namespace {

constexpr int kOrders = 20'000;

TEST(DemoOrderPlanner, MixMatchesTheDemoPromise) {
  DemoOrderPlanner planner(42);
  int gold = 0, paused = 0, cancelled = 0, handoffs = 0, late = 0;
  for (int i = 0; i < kOrders; ++i) {
    DemoOrder order = planner.Plan(i);
    gold += order.gold;
    paused += order.paused;
    cancelled += order.cancelled;
    handoffs += order.handoffs;
    late += order.late;
  }
  auto share = [](int n, int of) { return static_cast<double>(n) / of; };
  EXPECT_NEAR(share(late, handoffs), 0.10, 0.01);  // about 10 % of handoffs are late
  EXPECT_NEAR(share(gold, kOrders), 0.20, 0.015);
  EXPECT_NEAR(share(paused, kOrders), 0.10, 0.015);
  EXPECT_NEAR(share(cancelled, kOrders), 0.03 * 0.9, 0.01);
}

TEST(DemoOrderPlanner, OrdersMoveThroughTheFourDepartmentsInTimeOrder) {
  DemoOrderPlanner planner(7);
  for (int i = 0; i < 500; ++i) {
    DemoOrder order = planner.Plan(i);
    ASSERT_FALSE(order.events.empty());
    EXPECT_EQ(order.events.front().type, "handoff.requested");
    EXPECT_EQ(order.events.front().from, "sales");
    EXPECT_TRUE(std::is_sorted(order.events.begin(), order.events.end(),
                               [](const auto& a, const auto& b) { return a.at < b.at; }));
    if (order.cancelled) {
      EXPECT_EQ(order.events.back().type, "order.cancelled");
    } else {
      EXPECT_EQ(order.events.back().type, "invoice.issued");
      EXPECT_EQ(order.handoffs, 3);
    }
  }
}

TEST(DemoOrderPlanner, SameSeedSamePlans) {
  DemoOrderPlanner a(1), b(1);
  for (int i = 0; i < 100; ++i) {
    DemoOrder x = a.Plan(i), y = b.Plan(i);
    ASSERT_EQ(x.events.size(), y.events.size());
    for (std::size_t e = 0; e < x.events.size(); ++e) EXPECT_EQ(x.events[e].at, y.events[e].at);
  }
}

TEST(DemoOrderPlanner, EventsAreCloudEventsTheDecoderAccepts) {
  EventFormat format;
  format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/customer_tier"}};
  EventDecoder decoder(format);
  DemoOrderPlanner planner(3);
  DemoOrder order = planner.Plan(12);
  for (std::size_t i = 0; i < order.events.size(); ++i) {
    std::string json = DemoOrderPlanner::CloudEvent(order, i, 1'790'000'000'123 + i);
    auto event = decoder.Decode({.value = json, .key = order.key, .headers = {}});
    ASSERT_TRUE(event) << json;
    EXPECT_EQ(event->key, "order-000012");
    EXPECT_EQ(event->type, order.events[i].type);
    EXPECT_EQ(event->time, 1'790'000'000'123 + static_cast<TimeMs>(i));
    EXPECT_EQ(event->attributes[2], order.gold ? "gold" : "standard");
  }
}

TEST(DemoPartitionOf, IsStableAndSpreadsKeys) {
  EXPECT_EQ(DemoPartitionOf("order-000001", 4), DemoPartitionOf("order-000001", 4));
  int counts[4] = {};
  for (int i = 0; i < 4000; ++i) ++counts[DemoPartitionOf("order-" + std::to_string(i), 4)];
  for (int c : counts) EXPECT_GT(c, 800);
}

}  // namespace
}  // namespace handoff
