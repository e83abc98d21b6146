#include "daemon/serve/exposition_format.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

constexpr auto kText = ExpositionFormat::kText004;
constexpr auto kOpenMetrics = ExpositionFormat::kOpenMetrics100;

TEST(ExpositionFormat, PrometheusGetsOpenMetrics) {
  // What Prometheus 2 sends on every scrape.
  EXPECT_EQ(NegotiateExpositionFormat(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            kOpenMetrics);
  // Protobuf first and parameters this server does not know (as newer scrapers send):
  // neither matters here.
  EXPECT_EQ(NegotiateExpositionFormat(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                "encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;"
                "escaping=underscores;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"),
            kOpenMetrics);
  EXPECT_EQ(NegotiateExpositionFormat("application/openmetrics-text"), kOpenMetrics);
  EXPECT_EQ(NegotiateExpositionFormat("Application/OpenMetrics-Text; Version=\"1.0.0\""),
            kOpenMetrics);
  EXPECT_EQ(NegotiateExpositionFormat("text/plain;q=0.5, application/openmetrics-text;q=0.5"),
            kOpenMetrics);
}

TEST(ExpositionFormat, EverythingElseGetsTheTextFormat) {
  for (const char* accept :
       {"", "*/*", "text/plain", "text/plain;version=0.0.4", "text/*", "application/json",
        "text/html,application/xhtml+xml,*/*;q=0.8", "application/openmetrics-text;q=0",
        "application/openmetrics-text;version=0.0.1", "application/openmetrics-text;version=2.0.0",
        "application/openmetrics-text;q=0.4,text/plain;q=0.5",
        "application/openmetrics-text;q=0.4,*/*"}) {
    EXPECT_EQ(NegotiateExpositionFormat(accept), kText) << accept;
  }
}

TEST(ExpositionFormat, ContentTypes) {
  EXPECT_EQ(ContentTypeOf(kText), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ContentTypeOf(kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace handoff
