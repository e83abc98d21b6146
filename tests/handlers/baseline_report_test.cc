// `handoffd baseline`'s figures on hand-checked data: nearest-rank percentiles with ties
// and with one instance, suggested targets rounded up, grouping by the start event's
// attribute (a missing one is its own group), and the table and JSON renderings.
#include "handlers/baseline_report.h"

#include <gtest/gtest.h>

#include "handlers/baseline_format.h"
#include "tests/fakes/sla_builder.h"
#include "tests/handlers/report_lines.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

BaselineOptions Options(std::optional<std::size_t> by = std::nullopt) {
  return BaselineOptions{.format = ReportFormat(), .engine = {.lateness = 5 * kSecond},
                         .as_of = kNoTime, .by = by};
}

Baseline RunBaseline(const SlaEngine::Slas& slas, const std::vector<std::string>& lines,
             BaselineOptions options = Options()) {
  BaselineReport report(slas, std::move(options));
  for (const std::string& line : lines) report.AddLine(line);
  return report.Finish();
}

// Six stopped instances, target 1h: 10m, 10m, 10m, 20m, 50m met and 70m breached.
std::vector<std::string> TiedHistory() {
  return {RequestedLine("o1", "10:00:00"), RequestedLine("o2", "10:00:00"),
          RequestedLine("o3", "10:05:00"), RequestedLine("o4", "10:05:00"),
          RequestedLine("o5", "10:10:00"), RequestedLine("o6", "10:10:00"),
          AcceptedLine("o1", "10:10:00"),  AcceptedLine("o2", "10:10:00"),
          AcceptedLine("o3", "10:15:00"),  AcceptedLine("o4", "10:25:00"),
          AcceptedLine("o5", "11:00:00"),  RequestedLine("o7", "11:00:00"),
          AcceptedLine("o6", "11:20:00")};  // o7 is still running at as_of 11:20
}

TEST(BaselineReport, NearestRankPercentilesWithTies) {
  Baseline baseline = RunBaseline(Slas({AcceptSla(kHour)}), TiedHistory());
  const BaselineGroup& all = baseline.slas[0].all;
  EXPECT_EQ(all.met, 5u);
  EXPECT_EQ(all.breached, 1u);
  EXPECT_EQ(all.open, 1u);
  EXPECT_EQ(all.target, kHour);
  // Sorted [10, 10, 10, 20, 50, 70] minutes: rank ceil(6 p / 100).
  std::string json = BaselineJson(baseline, {AcceptSla(kHour)}, "", /*pretty=*/false);
  EXPECT_NE(json.find(R"("elapsed_seconds":{"p50":600,"p75":3000,"p90":4200,"p95":4200,)"
                      R"("p99":4200})"),
            std::string::npos)
      << json;
  // p90 = 70m is over an hour: rounded up to the quarter hour.
  EXPECT_NE(json.find(R"("target_for_share_seconds":{"p50":600,"p90":4500,"p95":4500,)"
                      R"("p99":4500},"target_for_share":{"p50":"10m","p90":"1h15m",)"
                      R"("p95":"1h15m","p99":"1h15m"})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("met_share":0.8333)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("as_of":"2026-11-27T11:20:00Z","by":null)"), std::string::npos) << json;
}

TEST(BaselineReport, SingleInstanceIsEveryPercentile) {
  Baseline baseline = RunBaseline(Slas({AcceptSla(kHour)}),
                          {RequestedLine("o1", "10:00:00"), AcceptedLine("o1", "10:37:30")});
  std::string json = BaselineJson(baseline, {AcceptSla(kHour)}, "", false);
  EXPECT_NE(json.find(R"("elapsed_seconds":{"p50":2250,"p75":2250,"p90":2250,"p95":2250,)"
                      R"("p99":2250})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("target_for_share":{"p50":"38m","p90":"38m","p95":"38m","p99":"38m"})"),
            std::string::npos)
      << json;
}

TEST(BaselineReport, NoStoppedInstanceGivesNulls) {
  Baseline baseline = RunBaseline(Slas({AcceptSla(kHour)}), {RequestedLine("o1", "10:00:00")});
  std::string json = BaselineJson(baseline, {AcceptSla(kHour)}, "", false);
  EXPECT_NE(json.find(R"("stopped":0,"met":0,"breached":0,"open":1,"overdue":0,)"
                      R"("target_seconds":3600,"met_share":null,"elapsed_seconds":{"p50":null,)"),
            std::string::npos)
      << json;
}

TEST(BaselineReport, GroupsByStartAttributeWithTheMissingOneLast) {
  SlaDefinition sla = AcceptSla(kHour);
  sla.targets = {{.when = {.types = {}, .where = {{kTier, {"gold"}}}}, .target = 15 * kMinute}};
  // gold: 20m (breached under 15m) and 10m; silver: 30m; no tier: 40m and 50m. The start
  // of g2 comes 3 s after a later event, within `lateness`: it waits in the reorder
  // buffer and applies only when the frontier passes it.
  std::vector<std::string> lines = {
      RequestedLine("g1", "10:00:00", "gold"),   RequestedLine("m1", "10:00:00"),
      RequestedLine("s1", "10:00:00", "silver"), RequestedLine("m2", "10:00:00"),
      AcceptedLine("g1", "10:20:00"),            RequestedLine("g2", "10:19:57", "gold"),
      AcceptedLine("g2", "10:29:57"),            AcceptedLine("s1", "10:30:00"),
      AcceptedLine("m1", "10:40:00"),            RequestedLine("m3", "10:45:00"),
      AcceptedLine("m2", "10:50:00")};
  Baseline baseline = RunBaseline(Slas({sla}), lines, Options(kTier));
  const BaselineSla& result = baseline.slas[0];
  ASSERT_EQ(result.groups.size(), 3u);
  EXPECT_EQ(result.groups[0].value, "gold");
  EXPECT_EQ(result.groups[0].met, 1u);
  EXPECT_EQ(result.groups[0].breached, 1u);
  EXPECT_EQ(result.groups[0].target, 15 * kMinute);
  EXPECT_EQ(result.groups[1].value, "silver");
  EXPECT_EQ(result.groups[2].value, std::nullopt);
  EXPECT_EQ(result.groups[2].stopped(), 2u);
  EXPECT_EQ(result.groups[2].open, 1u);
  EXPECT_EQ(result.all.stopped(), 5u);
  EXPECT_EQ(result.all.target, kMixedTargets);

  std::string json = BaselineJson(baseline, {sla}, "tier", false);
  EXPECT_NE(json.find(R"("by":"tier")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"value":null,"stopped":2,"met":2,"breached":0,"open":1,)"
                      R"("overdue":0,"target_seconds":3600,"met_share":1,)"
                      R"("elapsed_seconds":{"p50":2400,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("stopped":5,"met":4,"breached":1,"open":1,"overdue":0,)"
                      R"("target_seconds":null,"met_share":0.8,)"),
            std::string::npos)
      << json;

  std::string table = BaselineTable(baseline, {sla}, "tier");
  // [10, 20, 30, 40, 50] minutes over all; the missing tier's [40, 50] and open m3.
  EXPECT_NE(table.find("sales_to_ops_accept  (all)            5   mixed   80.0%  30m  40m  50m  "
                       "50m  50m      30m      50m      50m      50m     1\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("\n                     (missing)        2      1h  100.0%  40m  50m"),
            std::string::npos)
      << table;
}

TEST(BaselineReport, CalendarSlasShowWorkingHoursNotDays) {
  EXPECT_EQ(TargetText(30 * kHour, /*working_time=*/true), "30h");
  EXPECT_EQ(TargetText(30 * kHour + 15 * kMinute, true), "30h15m");
  EXPECT_EQ(TargetText(30 * kHour, /*working_time=*/false), "1d6h");
  EXPECT_EQ(TargetText(90 * kMinute + 500, false), "1h30m");
}

TEST(BaselineReport, RoundsTargetsUpToMinuteQuarterHourOrHour) {
  EXPECT_EQ(RoundUpTarget(0), kMinute);
  EXPECT_EQ(RoundUpTarget(59 * kMinute + 1), kHour);
  EXPECT_EQ(RoundUpTarget(kHour), kHour);
  EXPECT_EQ(RoundUpTarget(kHour + 1), kHour + 15 * kMinute);
  EXPECT_EQ(RoundUpTarget(23 * kHour + 46 * kMinute), kDay);
  EXPECT_EQ(RoundUpTarget(kDay + 1), 25 * kHour);
}

}  // namespace
}  // namespace handoff
