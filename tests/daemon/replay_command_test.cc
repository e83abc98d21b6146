// `handoffd replay` end to end, in-process: every worked example in
// tests/testdata/replay-examples must give exactly its expected.json (key order aside).
#include <filesystem>
#include <sstream>

#include <sys/resource.h>

#include <gtest/gtest.h>
#include "daemon/commands.h"
#include "tests/daemon/report_files.h"

namespace handoff {
namespace {

using testing::ReadFile;
using testing::SameJsonAsFile;
namespace fs = std::filesystem;

// A case folder holds events.jsonl, args.txt, expected.json and config.yaml, or uses
// config/examples/orders.yaml when it has none.
ReplayArgs ArgsFor(const fs::path& dir) {
  fs::path config = dir / "config.yaml";
  if (!fs::exists(config)) config = fs::path(HANDOFF_SOURCE_DIR) / "config/examples/orders.yaml";
  ReplayArgs args{.config = config.string(),
                  .input = (dir / "events.jsonl").string(),
                  .as_of = {},
                  .now = {},
                  .output = {},
                  .instances = false,
                  .compare = {},
                  .renames = {}};
  std::istringstream words(ReadFile(dir / "args.txt"));
  for (std::string word; words >> word;) {
    if (word == "--instances") args.instances = true;
    if (word == "--as-of") words >> args.as_of;
  }
  return args;
}

class ReplayExample : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplayExample, MatchesExpectedReport) {
  fs::path dir = GetParam();
  std::ostringstream out, err;
  ASSERT_EQ(ReplayCommand(ArgsFor(dir), out, err), kExitOk) << err.str();
  std::string where;
  EXPECT_TRUE(SameJsonAsFile(out.str(), dir / "expected.json", where)) << where << "\n" << out.str();
}

const std::string kShared = std::string(HANDOFF_SHARED_DIR) + "/replay-examples/";
INSTANTIATE_TEST_SUITE_P(SharedExamples, ReplayExample,
                         ::testing::Values(kShared + "met_exactly_at_deadline",
                                           kShared + "pause_resume_extends_deadline",
                                           kShared + "late_event_beyond_lateness",
                                           kShared + "calendar_weekend"));
// The README's example: a working day of config/examples/orders.yaml, checked by hand; and
// docs/accountability.md's journey example.
INSTANTIATE_TEST_SUITE_P(OwnExamples, ReplayExample,
                         ::testing::Values(std::string(HANDOFF_SOURCE_DIR) +
                                               "/tests/testdata/replay/orders_day",
                                           std::string(HANDOFF_SOURCE_DIR) +
                                               "/tests/testdata/replay/journey_baton"));

TEST(ReplayCommand, BadAsOfAndMissingInputAreUsageErrors) {
  fs::path dir = fs::path(HANDOFF_SHARED_DIR) / "replay-examples" / "met_exactly_at_deadline";
  ReplayArgs args = ArgsFor(dir);
  args.as_of = "yesterday";
  std::ostringstream out, err;
  EXPECT_EQ(ReplayCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("--as-of"), std::string::npos);
  args.as_of.clear();
  args.input = "/nonexistent/events.jsonl";
  EXPECT_EQ(ReplayCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("/nonexistent/events.jsonl"), std::string::npos);
}

TEST(ReplayCommand, WritesReportToOutputFile) {
  fs::path dir = fs::path(HANDOFF_SHARED_DIR) / "replay-examples" / "late_event_beyond_lateness";
  ReplayArgs args = ArgsFor(dir);
  args.output = (fs::temp_directory_path() / "handoff-replay-test.json").string();
  std::ostringstream out, err;
  ASSERT_EQ(ReplayCommand(args, out, err), kExitOk) << err.str();
  EXPECT_TRUE(out.str().empty());
  EXPECT_NE(ReadFile(args.output).find(R"("late": 3)"), std::string::npos);
  fs::remove(args.output);
}

// --now: an event more than time.max_future (1h by default) after it is rejected; the
// rest of the file replays as without the event. Without --now, nothing is checked.
TEST(ReplayCommand, NowRejectsEventsFromTheFuture) {
  fs::path dir = fs::path(HANDOFF_SHARED_DIR) / "replay-examples" / "met_exactly_at_deadline";
  ReplayArgs args = ArgsFor(dir);
  fs::path input = fs::temp_directory_path() / "handoff-replay-future.jsonl";
  {
    std::ofstream file(input);
    file << ReadFile(args.input)
         << R"({"specversion":"1.0","id":"poison","source":"/x","type":"other",)"
         << R"("time":"9999-12-31T00:00:00Z","subject":"order-x"})" << "\n";
  }
  args.input = input.string();
  std::ostringstream history, checked, err;
  ASSERT_EQ(ReplayCommand(args, history, err), kExitOk) << err.str();
  EXPECT_NE(history.str().find(R"("rejected": 0)"), std::string::npos) << history.str();
  args.now = "2026-12-03T10:00:00Z";
  ASSERT_EQ(ReplayCommand(args, checked, err), kExitOk) << err.str();
  EXPECT_NE(checked.str().find(R"("rejected": 1)"), std::string::npos) << checked.str();
  EXPECT_EQ(checked.str().find("9999"), std::string::npos) << checked.str();
  args.now = "soon\n";
  EXPECT_EQ(ReplayCommand(args, checked, err), kExitUsage);
  EXPECT_NE(err.str().find(R"(--now: "soon\n" is not an RFC 3339 time)"), std::string::npos)
      << err.str();
  fs::remove(input);
}

long MaxRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A line far over 1 MiB (here 256 MiB of zero bytes, as from /dev/zero) is one rejected
// record, read through in chunks: memory does not grow with it.
TEST(ReplayCommand, OverLongLineIsRejectedWithBoundedMemory) {
  fs::path dir = fs::path(HANDOFF_SHARED_DIR) / "replay-examples" / "met_exactly_at_deadline";
  ReplayArgs args = ArgsFor(dir);
  fs::path input = fs::temp_directory_path() / "handoff-replay-zeros.jsonl";
  std::string events = ReadFile(args.input);
  {
    std::ofstream file(input, std::ios::binary);
    file << events;
  }
  fs::resize_file(input, events.size() + (std::uintmax_t{256} << 20));  // sparse zeros
  args.input = input.string();
  long before = MaxRssKiB();
  std::ostringstream out, err;
  ASSERT_EQ(ReplayCommand(args, out, err), kExitOk) << err.str();
  EXPECT_LT(MaxRssKiB() - before, 64 * 1024) << "KiB";
  EXPECT_NE(out.str().find(R"("rejected": 1)"), std::string::npos) << out.str();
  fs::remove(input);
}

}  // namespace
}  // namespace handoff
