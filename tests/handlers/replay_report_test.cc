// The replay report's counting and rendering (docs/reference/timing.md, decisions-and-replay.md). The worked
// examples in tests/testdata/replay-examples run through the real command in tests/daemon.
#include "handlers/replay_report.h"

#include <gtest/gtest.h>

#include "handlers/line_splitter.h"

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

std::string EventsLine(std::string_view report) {
  auto begin = report.find(R"("events":)");
  return std::string(report.substr(begin, report.find('}', begin) - begin + 1));
}

// The file in chunks of every size gives the report the lines give, including a last
// line without a newline.
TEST(ReplayReport, BytesInAnyChunkingReadLikeLines) {
  std::string file = std::string(kStart) + "\n\nnot json\r\n" + kStop;
  ReplayReport by_line(Slas({AcceptSla(kHour)}), Options());
  for (std::string_view line : {std::string_view(kStart), std::string_view(""),
                                std::string_view("not json\r"), std::string_view(kStop)}) {
    by_line.AddLine(line);
  }
  const std::string expected = by_line.Finish();
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, file.size()}) {
    ReplayReport replay(Slas({AcceptSla(kHour)}), Options());
    LineSplitter lines([&](std::string_view line) { replay.AddLine(line); });
    for (std::size_t at = 0; at < file.size(); at += chunk) {
      lines.Add(std::string_view(file).substr(at, chunk));
    }
    lines.Finish();
    EXPECT_EQ(replay.Finish(), expected) << "chunks of " << chunk;
  }
}

// A line over 1 MiB is one rejected record (too_large), of which no more than 1 MiB + 1
// byte is kept: the lines around it still count, and a line with no newline at all
// (/dev/zero) never grows a buffer past that.
TEST(ReplayReport, OverLongLineIsRejectedUnreadAndTheRestStillCounts) {
  ReplayReport replay(Slas({AcceptSla(kHour)}), Options());
  std::size_t longest = 0;
  LineSplitter lines([&](std::string_view line) {
    longest = std::max(longest, line.size());
    replay.AddLine(line);
  });
  lines.Add(std::string(kStart) + "\n");
  const std::string chunk(64 * 1024, '\0');
  for (int i = 0; i < 64; ++i) lines.Add(chunk);  // 4 MiB, no newline
  lines.Add("\n" + std::string(kStop) + "\n");
  lines.Add(std::string(kMaxRecordBytes + 1, 'x'));
  lines.Finish();
  EXPECT_EQ(longest, kMaxRecordBytes + 1);
  EXPECT_EQ(replay.read(), 4u);
  EXPECT_EQ(replay.rejected(), 2u);
  EXPECT_EQ(EventsLine(replay.Finish()),
            R"("events":{"read":4,"applied":2,"rejected":2,"duplicate":0,"late":0,)"
            R"("ignored":0,"pending":0})");
}

// --now: an event more than max_future ahead of it is rejected (future_time) and never
// moves the frontier; without --now a file is history and nothing is checked.
TEST(ReplayReport, NowRejectsEventsTooFarAheadOfIt) {
  const std::string poisoned =
      R"({"id":"9","type":"other","time":"9999-12-31T00:00:00Z","subject":"p"})";
  ReplayOptions options = Options();
  options.now = *ParseRfc3339("2026-11-27T10:45:00Z");
  options.max_future = 10 * kMinute;
  ReplayReport checked(Slas({AcceptSla(kHour)}), options);
  checked.AddLine(kStart);
  checked.AddLine(poisoned);
  checked.AddLine(kStop);  // 10:30, within max_future of now
  std::string report = checked.Finish();
  EXPECT_EQ(EventsLine(report),
            R"("events":{"read":3,"applied":2,"rejected":1,"duplicate":0,"late":0,)"
            R"("ignored":0,"pending":0})");
  EXPECT_NE(report.find(R"("as_of":"2026-11-27T10:30:00Z")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("met":1,"breached":0)"), std::string::npos) << report;

  ReplayReport history(Slas({AcceptSla(kHour)}), Options());
  history.AddLine(kStart);
  history.AddLine(poisoned);
  history.AddLine(kStop);
  EXPECT_EQ(history.rejected(), 0u);
}

}  // namespace
}  // namespace handoff
