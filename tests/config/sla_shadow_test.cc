// `shadow:` on an SLA (a new definition runs beside the old one before it counts): read
// as a YAML boolean, false when absent, and shown by check-config.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

using testing::AddToSla;
using testing::Dump;
using testing::ExpectOnlyError;
using testing::kMinimalConfig;
using testing::NoEnv;

bool ShadowOf(std::string_view yaml) {
  auto result = LoadConfigString(yaml, "test.yaml", NoEnv());
  EXPECT_TRUE(result.ok()) << Dump(result.error());
  return result.ok() && result.value().slas.at(0).shadow;
}

TEST(SlaShadow, IsFalseUnlessSetTrue) {
  EXPECT_FALSE(ShadowOf(kMinimalConfig));
  EXPECT_FALSE(ShadowOf(AddToSla("    shadow: false")));
  EXPECT_TRUE(ShadowOf(AddToSla("    shadow: true")));
}

TEST(SlaShadow, RejectsAnythingButTrueOrFalseWithPosition) {
  ExpectOnlyError(AddToSla("    shadow: yes"), 15, 13, "slas[0].shadow",
                  "expected true or false, got \"yes\"");
  ExpectOnlyError(AddToSla("    shadow: 1"), 15, 13, "slas[0].shadow", "expected true or false");
}

TEST(SlaShadow, CheckConfigSaysTheSlaIsShadow) {
  auto result = LoadConfigString(AddToSla("    shadow: true"), "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  EXPECT_NE(DescribeConfig(result.value()).find("calendar 24x7, shadow (no decisions sent)"),
            std::string::npos)
      << DescribeConfig(result.value());
}

TEST(SlaShadow, TheOneLineSummaryNamesShadowSlas) {
  auto plain = LoadConfigString(kMinimalConfig, "test.yaml", NoEnv());
  ASSERT_TRUE(plain.ok()) << Dump(plain.error());
  EXPECT_EQ(DescribeConfigOneLine(plain.value()).find("shadow"), std::string::npos);
  auto shadow = LoadConfigString(AddToSla("    shadow: true"), "test.yaml", NoEnv());
  ASSERT_TRUE(shadow.ok()) << Dump(shadow.error());
  EXPECT_TRUE(DescribeConfigOneLine(shadow.value()).ends_with(" shadow=accept"))
      << DescribeConfigOneLine(shadow.value());
}

}  // namespace
}  // namespace handoff
