// `handoffd replay` end to end, in-process: every worked example in
// tests/testdata/replay-examples must give exactly its expected.json (key order aside).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "daemon/commands.h"

namespace handoff {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Structural equality; numbers compare to the millisecond. Appends a path on mismatch.
bool SameJson(simdjson::dom::element a, simdjson::dom::element b, std::string path,
              std::string& where) {
  if (a.is_number() && b.is_number()) {
    if (std::abs(double(a) - double(b)) < 5e-4) return true;
    where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
    return false;
  }
  if (a.type() != b.type()) {
    where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
    return false;
  }
  switch (a.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object oa = a, ob = b;
      if (oa.size() != ob.size()) {
        where = path + ": " + std::to_string(oa.size()) + " keys != " + std::to_string(ob.size());
        return false;
      }
      for (auto field : oa) {
        simdjson::dom::element other;
        if (ob[field.key].get(other) != simdjson::SUCCESS) {
          where = path + "." + std::string(field.key) + ": missing";
          return false;
        }
        if (!SameJson(field.value, other, path + "." + std::string(field.key), where)) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array xa = a, xb = b;
      if (xa.size() != xb.size()) {
        where = path + ": " + std::to_string(xa.size()) + " items != " + std::to_string(xb.size());
        return false;
      }
      for (size_t i = 0; i < xa.size(); ++i) {
        if (!SameJson(xa.at(i), xb.at(i), path + "[" + std::to_string(i) + "]", where)) {
          return false;
        }
      }
      return true;
    }
    default:
      if (simdjson::to_string(a) == simdjson::to_string(b)) return true;
      where = path + ": " + simdjson::to_string(a) + " != " + simdjson::to_string(b);
      return false;
  }
}

// A case folder holds events.jsonl, args.txt, expected.json and config.yaml, or uses
// config/examples/orders.yaml when it has none.
ReplayArgs ArgsFor(const fs::path& dir) {
  fs::path config = dir / "config.yaml";
  if (!fs::exists(config)) config = fs::path(HANDOFF_SOURCE_DIR) / "config/examples/orders.yaml";
  ReplayArgs args{.config = config.string(),
                  .input = (dir / "events.jsonl").string(),
                  .as_of = {},
                  .output = {},
                  .instances = false};
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
  simdjson::dom::parser p1, p2;
  simdjson::dom::element actual = p1.parse(simdjson::padded_string(out.str()));
  simdjson::padded_string expected_text = simdjson::padded_string::load((dir / "expected.json").string());
  simdjson::dom::element expected = p2.parse(expected_text);
  std::string where;
  EXPECT_TRUE(SameJson(actual, expected, "$", where)) << where << "\n" << out.str();
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
