// `handoffd baseline` and `handoffd replay --compare` end to end, in-process, on the
// worked examples in tests/testdata/baseline/orders_day and tests/testdata/compare/
// orders_day (each README shows the hand arithmetic), and their usage errors.
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

const fs::path kSource = HANDOFF_SOURCE_DIR;
const fs::path kOrdersDay = kSource / "tests/testdata/replay/orders_day/events.jsonl";
const fs::path kBaselineDir = kSource / "tests/testdata/baseline/orders_day";
const fs::path kCompareDir = kSource / "tests/testdata/compare/orders_day";

BaselineArgs OrdersBaseline(std::string format) {
  return BaselineArgs{.config = (kSource / "config/examples/orders.yaml").string(),
                      .input = kOrdersDay.string(),
                      .as_of = "2026-12-01T12:00:00Z",
                      .by = "tier",
                      .format = std::move(format),
                      .output = {}};
}

ReplayArgs OrdersCompare() {
  return ReplayArgs{.config = (kSource / "config/examples/orders.yaml").string(),
                    .input = kOrdersDay.string(),
                    .as_of = "2026-12-01T12:00:00Z",
                    .now = {},
                    .output = {},
                    .instances = false,
                    .compare = (kCompareDir / "candidate.yaml").string(),
                    .renames = {"ops_return_to_sales=sales_completes_return"}};
}

TEST(BaselineCommand, OrdersDayByTierMatchesTheWorkedTable) {
  std::ostringstream out, err;
  ASSERT_EQ(BaselineCommand(OrdersBaseline("table"), out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str(), ReadFile(kBaselineDir / "expected_by_tier.txt"));
}

TEST(BaselineCommand, OrdersDayByTierMatchesTheWorkedJson) {
  std::ostringstream out, err;
  ASSERT_EQ(BaselineCommand(OrdersBaseline("json"), out, err), kExitOk) << err.str();
  std::string where;
  EXPECT_TRUE(SameJsonAsFile(out.str(), kBaselineDir / "expected_by_tier.json", where))
      << where << "\n" << out.str();
}

TEST(BaselineCommand, UnknownAttributeAndFormatAreUsageErrors) {
  BaselineArgs args = OrdersBaseline("table");
  args.by = "customer_tier";
  std::ostringstream out, err;
  EXPECT_EQ(BaselineCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("--by: \"customer_tier\" is not an attribute of"), std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("(events.attributes: from to tier reason)"), std::string::npos)
      << err.str();
  args = OrdersBaseline("csv");
  EXPECT_EQ(BaselineCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("--format: \"csv\""), std::string::npos) << err.str();
}

TEST(CompareCommand, OrdersDayCandidateMatchesTheWorkedReport) {
  std::ostringstream out, err;
  ASSERT_EQ(ReplayCommand(OrdersCompare(), out, err), kExitOk) << err.str();
  std::string where;
  EXPECT_TRUE(SameJsonAsFile(out.str(), kCompareDir / "expected.json", where))
      << where << "\n" << out.str();
}

TEST(CompareCommand, BadRenamesAndInstancesAreUsageErrors) {
  ReplayArgs args = OrdersCompare();
  args.renames = {"ops_return_to_sales"};
  std::ostringstream out, err;
  EXPECT_EQ(ReplayCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("is not OLD=NEW"), std::string::npos) << err.str();
  args.renames = {"ops_return_to_sales=nope"};
  EXPECT_EQ(ReplayCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("the candidate has no SLA `nope`"), std::string::npos) << err.str();
  args = OrdersCompare();
  args.instances = true;
  EXPECT_EQ(ReplayCommand(args, out, err), kExitUsage);
  EXPECT_NE(err.str().find("--instances: not with --compare"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace handoff
