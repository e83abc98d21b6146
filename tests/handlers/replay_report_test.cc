// The replay report's counting and rendering (docs/reference/timing.md, decisions-and-replay.md). The worked
// examples in tests/testdata/replay-examples run through the real command in tests/daemon.
#include "handlers/replay_report.h"

#include <gtest/gtest.h>

#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

ReplayOptions Options(TimeMs as_of = kNoTime, bool instances = false) {
  ReplayOptions options{.format = {}, .engine = {.lateness = 5 * kSecond}, .as_of = as_of,
                        .instances = instances, .pretty = false};
  options.format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}};
  return options;
}

constexpr const char* kStart =
    R"({"id":"1","type":"handoff.requested","time":"2026-11-27T10:00:00Z","subject":"o",)"
    R"("data":{"from":"sales","to":"operations"}})";
constexpr const char* kStop =
    R"({"id":"2","type":"handoff.accepted","time":"2026-11-27T10:30:00Z","subject":"o",)"
    R"("data":{"to":"operations"}})";

TEST(ReplayReport, BlankLinesAreSkippedAndRejectedLinesCounted) {
  ReplayReport replay(Slas({AcceptSla(kHour)}), Options());
  replay.AddLine("");
  replay.AddLine("   \t");
  replay.AddLine(kStart);
  replay.AddLine("not json");
  // A replay has no Kafka key, so a line without a key is rejected.
  replay.AddLine(R"({"id":"3","type":"x","time":"2026-11-27T10:00:00Z"})");
  replay.AddLine(kStart);  // duplicate id
  replay.AddLine(kStop);
  std::string report = replay.Finish();
  EXPECT_NE(report.find(R"("events":{"read":5,"applied":2,"rejected":2,"duplicate":1,)"
                        R"("late":0,"ignored":0,"pending":0})"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find(R"("as_of":"2026-11-27T10:30:00Z")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("elapsed_seconds":{"p50":1800,"p90":1800,"p99":1800})"),
            std::string::npos)
      << report;
}

TEST(ReplayReport, AsOfKeepsLaterEventsPendingAndBreachesDueDeadlines) {
  ReplayReport replay(Slas({AcceptSla(10 * kMinute)}),
                      Options(T("2026-11-27T10:20:00Z"), /*instances=*/true));
  replay.AddLine(kStart);
  replay.AddLine(kStop);
  std::string report = replay.Finish();
  EXPECT_NE(report.find(R"("pending":1)"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("applied":1)"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("state":"overdue","started_at":"2026-11-27T10:00:00Z",)"
                        R"("deadline":"2026-11-27T10:10:00Z","breached_at":"2026-11-27T10:10:00Z",)"
                        R"("ended_at":null,"elapsed_seconds":1200})"),
            std::string::npos)
      << report;
}

TEST(ReplayReport, EveryConfiguredSlaAppearsWithZerosAndNullPercentiles) {
  SlaDefinition other = AcceptSla(kHour);
  other.name = "ops_to_fulfillment";
  ReplayReport replay(Slas({AcceptSla(kHour), other}), Options());
  std::string report = replay.Finish();
  EXPECT_NE(report.find(R"("as_of":null)"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("ops_to_fulfillment":{"started":0,"met":0,"breached":0,)"
                        R"("cancelled":0,"open":{"running":0,"paused":0,"overdue":0},)"
                        R"("elapsed_seconds":{"p50":null,"p90":null,"p99":null}})"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("instances"), std::string::npos);
}

}  // namespace
}  // namespace handoff
