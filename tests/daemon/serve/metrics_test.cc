#include "daemon/serve/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/serve/open_metrics_serializer.h"
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

  // Every kind of series with a value: a shadow SLA, the mix, lag, a rejection and a
  // checkpoint.
  void FillEverySeries() {
    std::shared_ptr<Config> with_shadow = HttpTestConfig();
    with_shadow->slas[1].shadow = true;
    ASSERT_TRUE(host_.Reconfigure(with_shadow).ok());
    metrics_.OnReconfigured();
    FeedMix();
    host_.SetLag(0, "orders", 3);
    host_.CountRejected(RejectReason::kNotJson);
    metrics_.RecordCheckpoint(12, t0_);
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
  FillEverySeries();
  EXPECT_EQ(PromtoolCheckMetrics(metrics_.Scrape()), "rc=0\n");
}

// The same scrape in OpenMetrics, exemplars included: Prometheus' own OpenMetrics parser
// takes it (promtool check metrics reads only the 0.0.4 text).
TEST_F(MetricsTest, PrometheusParsesTheOpenMetricsScrape) {
  if (!HavePromtool()) GTEST_SKIP() << "no promtool";
  FillEverySeries();
  std::string scrape = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  ASSERT_NE(scrape.find(" # {order=\""), std::string::npos) << scrape;
  EXPECT_EQ(PromtoolParseOpenMetrics(scrape), "rc=0\n");
}

// And the Python client's strict parser: suffixes, metadata order, histogram rules,
// escaping and the exemplar limit.
TEST_F(MetricsTest, PythonClientParsesTheOpenMetricsScrape) {
  if (!HavePythonOpenMetricsParser()) GTEST_SKIP() << "no python3-prometheus-client";
  FillEverySeries();
  EXPECT_EQ(PythonParseOpenMetrics(metrics_.Scrape(ExpositionFormat::kOpenMetrics100)), "rc=0\n");
}

// Both formats hold the same samples: the 0.0.4 text as it always was, OpenMetrics with
// its own number forms (le="3600.0", 2.0) and families (counters without _total).
TEST_F(MetricsTest, BothFormatsHoldTheSameSamples) {
  FillEverySeries();
  std::string text = metrics_.Scrape();
  std::string open_metrics = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
  EXPECT_EQ(text.find(" # {"), std::string::npos);  // exemplars only in OpenMetrics
  EXPECT_TRUE(open_metrics.ends_with("\n# EOF\n"));
  EXPECT_NE(text.find("# TYPE handoff_sla_breached_total counter\n"), std::string::npos);
  EXPECT_NE(open_metrics.find("# TYPE handoff_sla_breached counter\n"), std::string::npos);
  for (const std::string& sla : {kAccept, kShip}) {
    for (const char* name : {"handoff_sla_started_total", "handoff_sla_met_total",
                             "handoff_sla_breached_total", "handoff_sla_open",
                             "handoff_sla_elapsed_seconds_count", "handoff_sla_elapsed_seconds_sum",
                             "handoff_sla_max_overdue_seconds", "handoff_sla_target_seconds"}) {
      EXPECT_EQ(SampleValue(open_metrics, name, {sla}), SampleValue(text, name, {sla}))
          << name << " " << sla;
    }
  }
  EXPECT_EQ(
      SampleValue(open_metrics, "handoff_sla_elapsed_seconds_bucket", {kAccept, "le=\"3600.0\""}),
      SampleValue(text, "handoff_sla_elapsed_seconds_bucket", {kAccept, "le=\"3600\""}));
  EXPECT_EQ(
      SampleValue(open_metrics, "handoff_checkpoint_duration_seconds_bucket", {"le=\"0.001\""}),
      SampleValue(text, "handoff_checkpoint_duration_seconds_bucket", {"le=\"0.001\""}));
}

// A breach and a stop within target each leave the order's key on their series, with the
// decision's event time (the deadline, for a breach).
TEST_F(MetricsTest, BreachedAndMetCountersCarryTheLatestOrderAsExemplar) {
  Offer(Requested("r1", t0_, "order-41"));
  Offer(Requested("r2", t0_, "order-42"));
  Offer(Accepted("a1", t0_ + 10 * kMinute, "order-41"));
  Offer(Ev("n1", "order.note", t0_ + 2 * kHour, "zz"));  // order-42 breaches at t0 + 1h
  auto exemplar = [](const std::string& key, TimeMs at) {
    return " # {order=\"" + key + "\"} 1.0 " + OpenMetricsTimestamp(at);
  };
  std::string scrape = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(
      SampleLine(scrape, "handoff_sla_breached_total", {kAccept}),
      "handoff_sla_breached_total{from=\"sales\",owner=\"operations\",sla=\"sales_to_ops_accept\","
      "to=\"operations\"} 1.0" +
          exemplar("order-42", t0_ + kHour));
  EXPECT_TRUE(SampleLine(scrape, "handoff_sla_met_total", {kAccept})
                  .ends_with(" 1.0" + exemplar("order-41", t0_ + 10 * kMinute)));
  // Only where an order was decided, and only on met and breached.
  EXPECT_EQ(SampleLine(scrape, "handoff_sla_breached_total", {kShip}).find('#'), std::string::npos);
  EXPECT_EQ(SampleLine(scrape, "handoff_sla_started_total", {kAccept}).find('#'),
            std::string::npos);

  // The next breach replaces it.
  Offer(Requested("r3", t0_ + 2 * kHour, "order-43"));
  Offer(Ev("n2", "order.note", t0_ + 4 * kHour, "zz"));
  scrape = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  EXPECT_TRUE(SampleLine(scrape, "handoff_sla_breached_total", {kAccept})
                  .ends_with(" 2.0" + exemplar("order-43", t0_ + 3 * kHour)));
  EXPECT_EQ(metrics_.Scrape().find(" # {"), std::string::npos);
}

// OpenMetrics allows 128 code points of label names and values in an exemplar: "order"
// and a key of 123. A longer key, or one that is not UTF-8, leaves the previous exemplar
// (a cut key would point at another order). Quotes, backslashes and line feeds are escaped.
TEST_F(MetricsTest, ExemplarKeysAreEscapedAndTooLongOnesKeepThePrevious) {
  std::string longest;
  for (int i = 0; i < 123; ++i) longest += "\xc3\xa9";  // 123 code points, 246 bytes
  const std::string odd = "a\"b\\c\nd";
  TimeMs t = t0_;
  auto breach = [&](const std::string& key) {
    Offer(Requested("r" + std::to_string(t), t, key));
    t += 2 * kHour;
    Offer(Ev("n" + std::to_string(t), "order.note", t, "zz"));
    return SampleLine(metrics_.Scrape(ExpositionFormat::kOpenMetrics100),
                      "handoff_sla_breached_total", {kAccept});
  };
  EXPECT_NE(breach(odd).find(" # {order=\"a\\\"b\\\\c\\nd\"} 1.0 "), std::string::npos);
  EXPECT_NE(breach(longest).find(" # {order=\"" + longest + "\"} 1.0 "), std::string::npos);
  const std::string kept =
      " # {order=\"" + longest + "\"} 1.0 " + OpenMetricsTimestamp(t0_ + 3 * kHour);
  EXPECT_TRUE(breach(std::string(124, 'k')).ends_with(kept));
  std::string line = breach("bad\xff");
  EXPECT_TRUE(line.ends_with(kept));
  EXPECT_EQ(SampleValue(metrics_.Scrape(), "handoff_sla_breached_total", {kAccept}), 4.0);
  if (HavePythonOpenMetricsParser()) {
    Offer(Requested("r-odd", t, odd));  // the odd key on met too
    Offer(Accepted("a-odd", t + kMinute, odd));
    EXPECT_EQ(PythonParseOpenMetrics(metrics_.Scrape(ExpositionFormat::kOpenMetrics100)), "rc=0\n");
  }
}

// A reload keeps the exemplar of a series it keeps and drops that of one it replaces.
TEST_F(MetricsTest, ExemplarsFollowReloads) {
  Offer(Requested("r1", t0_, "order-1"));
  Offer(Ev("s1", "ship.requested", t0_, "order-2"));
  Offer(Ev("n1", "order.note", t0_ + 3 * kHour, "zz"));
  std::string scrape = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  ASSERT_NE(SampleLine(scrape, "handoff_sla_breached_total", {kAccept}).find("order-1"),
            std::string::npos);
  ASSERT_NE(SampleLine(scrape, "handoff_sla_breached_total", {kShip}).find("order-2"),
            std::string::npos);

  std::shared_ptr<Config> next = HttpTestConfig();
  next->slas[1].target = 3 * kHour;  // new series for the ship SLA
  ASSERT_TRUE(host_.Reconfigure(next).ok());
  metrics_.OnReconfigured();
  scrape = metrics_.Scrape(ExpositionFormat::kOpenMetrics100);
  EXPECT_NE(SampleLine(scrape, "handoff_sla_breached_total", {kAccept}).find("order-1"),
            std::string::npos);
  EXPECT_EQ(SampleLine(scrape, "handoff_sla_breached_total", {kShip}).find('#'), std::string::npos);
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
  if (HavePythonOpenMetricsParser()) {
    EXPECT_EQ(PythonParseOpenMetrics(metrics_.Scrape(ExpositionFormat::kOpenMetrics100)), "rc=0\n");
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
