#include "daemon/serve/quality_list.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(QualityList, ReadsValuesParametersAndQualities) {
  // What Prometheus 2 sends when it scrapes.
  auto elements = ParseQualityList(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  ASSERT_EQ(elements.size(), 4u);
  EXPECT_EQ(elements[0].value, "application/openmetrics-text");
  EXPECT_EQ(elements[0].Param("version"), "1.0.0");
  EXPECT_EQ(elements[0].q, 1.0);
  EXPECT_EQ(elements[1].Param("VERSION"), "0.0.1");
  EXPECT_EQ(elements[1].q, 0.75);
  EXPECT_EQ(elements[2].value, "text/plain");
  EXPECT_EQ(elements[2].q, 0.5);
  EXPECT_EQ(elements[3].value, "*/*");
  EXPECT_EQ(elements[3].Param("version"), std::nullopt);
  EXPECT_TRUE(elements[3].params.empty());  // q is not a parameter
  EXPECT_EQ(elements[3].q, 0.1);
}

TEST(QualityList, ToleratesSpacesQuotesAndJunk) {
  auto elements = ParseQualityList(" gzip ; Q = 0 ,, x ; version=\"1.0.0\" ; flag ; q=2, y;q=abc");
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[0].value, "gzip");
  EXPECT_EQ(elements[0].q, 0.0);
  EXPECT_EQ(elements[1].value, "x");
  EXPECT_EQ(elements[1].Param("version"), "1.0.0");
  EXPECT_EQ(elements[1].q, 1.0);  // out of range: as if absent
  EXPECT_EQ(elements[2].q, 1.0);  // unreadable: as if absent
  EXPECT_TRUE(ParseQualityList("").empty());
  EXPECT_TRUE(EqualsIgnoreCase("Application/OpenMetrics-Text", "application/openmetrics-text"));
  EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzip2"));
}

}  // namespace
}  // namespace handoff
