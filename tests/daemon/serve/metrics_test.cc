#include "daemon/serve/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/serve/process_metrics.h"
#include "tests/daemon/serve/exposition_tools.h"
#include "tests/daemon/serve/http_test_config.h"
#include "tests/fakes/journey_builder.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

const std::string kAccept = "sla=\"sales_to_ops_accept\"";
const std::string kShip = "sla=\"ops_to_fulfillment_ship\"";

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : host_(HttpTestConfig()), metrics_(host_, T("2026-11-27T09:00:00Z")) {
    host_.AddSink(&metrics_);
    host_.Assign(0);
  }
  void Offer(Event event) { host_.Offer(0, std::move(event), t0_); }

  // A mix: met (one exactly at the deadline, one gold), resolved (one gold, whose
  // unscaled elapsed would sit below the default target), one left overdue, one paused
  // and met; then the frontier moves to t0 + 3h.
  void FeedMix() {
    const TimeMs t = t0_;
    Offer(Requested("r1", t, "o1"));
    Offer(Requested("r2", t, "o2"));
    Offer(Requested("r3", t, "o3"));
    Offer(Requested("r4", t, "o4", "gold"));
    Offer(Requested("r5", t, "o5", "gold"));
    Offer(Requested("r6", t, "o6"));
    Offer(Requested("r7", t, "o7"));
    // In event-time order, so none is late.
    Offer(OnHold("h7", t + 10 * kMinute, "o7"));
    Offer(Accepted("a5", t + 20 * kMinute, "o5"));
    Offer(Accepted("a1", t + 30 * kMinute, "o1"));
    Offer(Accepted("a4", t + 45 * kMinute, "o4"));
    Offer(Accepted("a2", t + kHour, "o2"));
    Offer(Released("l7", t + 70 * kMinute, "o7"));
    Offer(Accepted("a7", t + 80 * kMinute, "o7"));
    Offer(Accepted("a3", t + 2 * kHour, "o3"));
    Offer(Ev("noise", "order.note", t + 3 * kHour + 5 * kSecond, "zz"));
  }

  const TimeMs t0_ = T("2026-11-27T10:00:00Z");
  EngineHost host_;
  Metrics metrics_;
};

TEST_F(MetricsTest, EverySlaSeriesExistsAtStartWithZero) {
  std::string scrape = metrics_.Scrape();
  for (const std::string& sla : {kAccept, kShip}) {
    for (const char* name : {"handoff_sla_started_total", "handoff_sla_met_total",
                             "handoff_sla_breached_total", "handoff_sla_cancelled_total",
                             "handoff_sla_max_overdue_seconds", "handoff_sla_elapsed_seconds_count",
                             "handoff_sla_elapsed_seconds_sum"}) {
      EXPECT_EQ(SampleValue(scrape, name, {sla}), 0.0) << name << " " << sla;
    }
    for (const char* state : {"running", "paused", "overdue"}) {
      EXPECT_EQ(SampleValue(scrape, "handoff_sla_open", {sla, std::string("state=\"") + state + "\""}),
                0.0);
    }
  }
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_started_total",
                        {kAccept, "from=\"sales\"", "to=\"operations\"", "owner=\"operations\""}),
            0.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_warnings_total", {kAccept, "threshold=\"0.5\""}), 0.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_warnings_total", {kAccept, "threshold=\"0.8\""}), 0.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_warnings_total", {kShip}), std::nullopt);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_target_seconds", {kAccept}), 3600.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_target_seconds", {kShip}), 7200.0);
  // Ten buckets at the listed fractions of the target, and +Inf.
  for (const char* le : {"900", "1800", "2700", "3240", "3600", "4500", "5400", "7200", "10800",
                         "18000", "+Inf"}) {
    EXPECT_EQ(SampleValue(scrape, "handoff_sla_elapsed_seconds_bucket",
                          {kAccept, std::string("le=\"") + le + "\""}),
              0.0)
        << le;
  }
  for (RejectReason reason : kAllRejectReasons) {
    EXPECT_EQ(SampleValue(scrape, "handoff_events_rejected_total",
                          {"reason=\"" + std::string(RejectReasonName(reason)) + "\""}),
              0.0);
  }
  for (const char* topic : {"orders", "handoffs"}) {
    EXPECT_EQ(SampleValue(scrape, "handoff_events_consumed_total",
                          {std::string("topic=\"") + topic + "\""}),
              0.0);
    // Partition 0 is assigned but has no event yet: frontier 0.
    EXPECT_EQ(SampleValue(scrape, "handoff_partition_frontier_timestamp_seconds",
                          {std::string("topic=\"") + topic + "\"", "partition=\"0\""}),
              0.0);
  }
  for (const char* name : {"handoff_events_duplicate_total", "handoff_events_late_total",
                           "handoff_events_ignored_total",
                           "handoff_checkpoint_last_success_timestamp_seconds",
                           "handoff_checkpoint_duration_seconds_count"}) {
    EXPECT_EQ(SampleValue(scrape, name), 0.0) << name;
  }
  EXPECT_EQ(SampleValue(scrape, "handoff_build_info", {"version=\"", "revision=\""}), 1.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_config_last_reload_successful"), 1.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_config_last_reload_success_timestamp_seconds"),
            T("2026-11-27T09:00:00Z") / 1000.0);
  EXPECT_NE(scrape.find("# TYPE handoff_sla_elapsed_seconds histogram"), std::string::npos);
  EXPECT_NE(scrape.find("# TYPE handoff_sla_open gauge"), std::string::npos);
  EXPECT_NE(scrape.find("# TYPE handoff_sla_met_total counter"), std::string::npos);
}

TEST_F(MetricsTest, ReloadAddsNewSlaSeriesAtZeroDropsRemovedOnesAndKeepsCounting) {
  FeedMix();
  std::string before = metrics_.Scrape();
  const double started = *SampleValue(before, "handoff_sla_started_total", {kAccept});
  ASSERT_GT(started, 0.0);

  // Reload: the ship SLA goes, a new one comes, accept moves to the end unchanged.
  std::shared_ptr<Config> next = HttpTestConfig();
  SlaDefinition accept = next->slas[0];
  SlaDefinition fresh = accept;
  fresh.name = "fresh";
  next->slas = {fresh, accept};
  ASSERT_TRUE(host_.Reconfigure(next).ok());
  metrics_.OnReconfigured();

  std::string after = metrics_.Scrape();
  const std::string kFresh = "sla=\"fresh\"";
  EXPECT_EQ(SampleValue(after, "handoff_sla_started_total", {kFresh}), 0.0);
  EXPECT_EQ(SampleValue(after, "handoff_sla_breached_total", {kFresh}), 0.0);
  EXPECT_EQ(SampleValue(after, "handoff_sla_target_seconds", {kFresh}), 3600.0);
  EXPECT_EQ(SampleValue(after, "handoff_sla_started_total", {kShip}), std::nullopt);
  EXPECT_EQ(SampleValue(after, "handoff_sla_started_total", {kAccept}), started);
  // Decisions now land on the SLA's new position.
  Offer(Requested("r9", t0_ + 4 * kHour, "o9"));
  Offer(Ev("noise2", "order.note", t0_ + 5 * kHour, "zz"));  // moves the frontier past it
  after = metrics_.Scrape();
  EXPECT_EQ(SampleValue(after, "handoff_sla_started_total", {kAccept}), started + 1);
  EXPECT_EQ(SampleValue(after, "handoff_sla_started_total", {kFresh}), 1.0);
}

TEST_F(MetricsTest, CountsFailedLogins) {
  EXPECT_EQ(SampleValue(metrics_.Scrape(), "handoff_http_auth_failures_total", {}), 0.0);
  metrics_.RecordAuthFailure();
  metrics_.RecordAuthFailure();
  EXPECT_EQ(SampleValue(metrics_.Scrape(), "handoff_http_auth_failures_total", {}), 2.0);
}

TEST_F(MetricsTest, ShadowGaugeExistsOnlyForShadowSlasAndFollowsReloads) {
  EXPECT_EQ(metrics_.Scrape().find("handoff_sla_shadow"), std::string::npos);

  std::shared_ptr<Config> next = HttpTestConfig();
  next->slas[1].shadow = true;
  ASSERT_TRUE(host_.Reconfigure(next).ok());
  metrics_.OnReconfigured();
  FeedMix();
  std::string scrape = metrics_.Scrape();
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_shadow",
                        {kShip, "from=\"operations\"", "to=\"fulfillment\"", "owner=\"fulfillment\""}),
            1.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_shadow", {kAccept}), std::nullopt);
  // A shadow SLA's other series are as any SLA's: flipping the flag keeps them counting.
  const double started = *SampleValue(scrape, "handoff_sla_started_total", {kAccept});

  ASSERT_TRUE(host_.Reconfigure(HttpTestConfig()).ok());
  metrics_.OnReconfigured();
  scrape = metrics_.Scrape();
  EXPECT_EQ(scrape.find("handoff_sla_shadow"), std::string::npos);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_started_total", {kAccept}), started);
}

TEST_F(MetricsTest, TargetBucketEqualsMetCounter) {
  FeedMix();
  std::string scrape = metrics_.Scrape();
  auto met = SampleValue(scrape, "handoff_sla_met_total", {kAccept});
  auto target_bucket = SampleValue(scrape, "handoff_sla_elapsed_seconds_bucket", {kAccept, "le=\"3600\""});
  EXPECT_EQ(met, 4.0);
  EXPECT_EQ(target_bucket, met);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_breached_total", {kAccept}), 3.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_started_total", {kAccept}), 7.0);
  // Observed at met and at resolved: 4 + 2.
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_elapsed_seconds_count", {kAccept}), 6.0);
  // The gold one resolved at 45m of a 30m target lands at 1.5 x the default target.
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_elapsed_seconds_bucket", {kAccept, "le=\"4500\""}), 4.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_elapsed_seconds_bucket", {kAccept, "le=\"5400\""}), 5.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_open", {kAccept, "state=\"overdue\""}), 1.0);
  // o6 breached at t0+1h; the frontier is t0+3h.
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_max_overdue_seconds", {kAccept}), 7200.0);
  // Threshold 0.5: o2, o3, o6 (at 30m), gold o4 and o5 (at 15m); not o1 (its stop at 30m
  // applies before the warning due then) nor o7 (20 working minutes in all).
  EXPECT_EQ(SampleValue(scrape, "handoff_sla_warnings_total", {kAccept, "threshold=\"0.5\""}), 5.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_partition_frontier_timestamp_seconds",
                        {"topic=\"orders\"", "partition=\"0\""}),
            (t0_ + 3 * kHour) / 1000.0);
}

TEST_F(MetricsTest, EventTotalsComeFromTheHost) {
  host_.CountRejected(RejectReason::kBadTime);
  host_.CountConsumed("orders");
  host_.CountConsumed("orders");
  host_.SetLag(0, "orders", 42);
  Offer(Requested("r1", t0_, "o1"));
  Offer(Requested("r1", t0_, "o1"));  // duplicate
  std::string scrape = metrics_.Scrape();
  EXPECT_EQ(SampleValue(scrape, "handoff_events_rejected_total", {"reason=\"bad_time\""}), 1.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_events_consumed_total", {"topic=\"orders\""}), 2.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_events_duplicate_total"), 1.0);
  EXPECT_EQ(SampleValue(scrape, "handoff_kafka_consumer_lag", {"topic=\"orders\"", "partition=\"0\""}),
            42.0);
}

// The real promtool, as docs/reference/metrics.md promises: no findings on a scrape with
// every kind of series filled.
TEST_F(MetricsTest, PromtoolCheckMetricsFindsNothing) {
  if (!HavePromtool()) GTEST_SKIP() << "no promtool";
  std::shared_ptr<Config> with_shadow = HttpTestConfig();
  with_shadow->slas[1].shadow = true;
  ASSERT_TRUE(host_.Reconfigure(with_shadow).ok());
  metrics_.OnReconfigured();
  FeedMix();
  host_.SetLag(0, "orders", 3);
  host_.CountRejected(RejectReason::kNotJson);
  metrics_.RecordCheckpoint(12, t0_);
  EXPECT_EQ(PromtoolCheckMetrics(metrics_.Scrape()), "rc=0\n");
}

// Journeys and pause reasons (docs/accountability.md): every series at 0 from the start,
// held time counted at the stop, breaches by baton and first late stage, paused time by
// reason when the pause ends.
class JourneyMetricsTest : public ::testing::Test {
 protected:
  static std::shared_ptr<Config> JourneyConfig() {
    auto config = std::make_shared<Config>();
    config->slas = JourneySlaList();
    config->kafka.topics = {"orders"};
    config->time.lateness = 1;
    return config;
  }
  JourneyMetricsTest() : host_(JourneyConfig()), metrics_(host_, T("2026-12-01T00:00:00Z")) {
    host_.AddSink(&metrics_);
    host_.Assign(0);
  }
  void Offer(Event event) { host_.Offer(0, std::move(event), T("2026-12-01T00:00:00Z")); }
  double Held(const char* department) {
    return SampleValue(metrics_.Scrape(), "handoff_journey_held_seconds_total",
                       {"sla=\"order_to_ship\"", std::string("department=\"") + department + "\""})
        .value_or(-1);
  }
  double Breached(const char* baton, const char* first_late_stage) {
    return SampleValue(metrics_.Scrape(), "handoff_journey_breached_total",
                       {"sla=\"order_to_ship\"", std::string("baton=\"") + baton + "\"",
                        std::string("first_late_stage=\"") + first_late_stage + "\""})
        .value_or(-1);
  }
  double Paused(const char* reason) {
    return SampleValue(metrics_.Scrape(), "handoff_sla_paused_seconds_total",
                       {"sla=\"ops_to_fulfillment_pick\"", std::string("reason=\"") + reason + "\""})
        .value_or(-1);
  }

  EngineHost host_;
  Metrics metrics_;
};

TEST_F(JourneyMetricsTest, EverySeriesExistsAtStartWithZero) {
  for (const char* department : {"sales", "operations", "fulfillment", "paused"}) {
    EXPECT_EQ(Held(department), 0.0) << department;
    for (const char* stage : {"sales_to_ops_accept", "ops_to_fulfillment_pick", "none"}) {
      EXPECT_EQ(Breached(department, stage), 0.0) << department << " " << stage;
    }
  }
  for (const char* reason : {"credit_check", "customer_request", "other"}) {
    EXPECT_EQ(Paused(reason), 0.0) << reason;
  }
}

TEST_F(JourneyMetricsTest, CountsHeldTimeBreachesAndPausedTime) {
  // docs/accountability.md's order A (met, its stage held for a credit check) and order C
  // (breached with every stage on time).
  std::vector<Event> events = OrderA("A", "credit_check");
  for (Event& e : OrderC("C")) events.push_back(std::move(e));
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  for (Event& e : events) Offer(std::move(e));
  Offer(Ev("tick", "order.note", T("2026-12-02T09:00:00Z"), "Z"));
  EXPECT_EQ(Held("sales"), 3600.0);
  EXPECT_EQ(Held("operations"), 18000.0);
  EXPECT_EQ(Held("fulfillment"), 14400.0);
  EXPECT_EQ(Held("paused"), 7200.0);
  EXPECT_EQ(Breached("operations", "none"), 1.0);
  EXPECT_EQ(Breached("fulfillment", "none"), 0.0);
  EXPECT_EQ(Paused("credit_check"), 7200.0);
  EXPECT_EQ(Paused("other"), 0.0);
  if (HavePromtool()) {
    EXPECT_EQ(PromtoolCheckMetrics(metrics_.Scrape()), "rc=0\n");
  }
}

TEST(HistogramSeconds, MetStaysAtOrBelowTheTargetAndResolvedAbove) {
  EXPECT_EQ(HistogramSeconds(kHour, kHour, kHour, true), 3600.0);
  EXPECT_EQ(HistogramSeconds(30 * kMinute, 30 * kMinute, kHour, true), 3600.0);
  EXPECT_EQ(HistogramSeconds(45 * kMinute, 30 * kMinute, kHour, false), 5400.0);
  EXPECT_EQ(HistogramSeconds(10 * kMinute, 30 * kMinute, kHour, true), 1200.0);
  // Stopped on a calendar's closed day after a breach: elapsed equals the target.
  EXPECT_GT(HistogramSeconds(kHour, kHour, kHour, false), 3600.0);
  EXPECT_LT(HistogramSeconds(kHour, kHour, kHour, false), 3600.001);
  // An odd override that rounds: 7 ms of a 7 ms target is exactly the default target.
  EXPECT_EQ(HistogramSeconds(7, 7, 3 * kSecond, true), 3.0);
}

TEST(ProcessStats, ReadsThisProcess) {
  auto stats = ReadProcessStats();
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->resident_memory_bytes, 1 << 20);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->open_fds, 3);
  EXPECT_GE(stats->max_fds, stats->open_fds);
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(stats->start_time_seconds, now + 1);
  EXPECT_GT(stats->start_time_seconds, now - 3600);
  EXPECT_GE(stats->cpu_seconds, 0);
}

}  // namespace
}  // namespace handoff
