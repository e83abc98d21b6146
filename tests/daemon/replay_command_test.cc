// `handoffd replay` end to end, in-process: every worked example in
// tests/testdata/replay-examples must give exactly its expected.json (key order aside).
#include <filesystem>
#include <sstream>

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
// The README's example: a working day of config/examples/orders.yaml, checked by hand.
INSTANTIATE_TEST_SUITE_P(OrdersExample, ReplayExample,
                         ::testing::Values(std::string(HANDOFF_SOURCE_DIR) +
                                           "/tests/testdata/replay/orders_day"));

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

}  // namespace
}  // namespace handoff
