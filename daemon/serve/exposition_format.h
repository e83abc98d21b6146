// The two text formats /metrics answers in (docs/reference/http-api.md#metrics) and how
// the scraper's Accept header picks one. Pure; any thread.
#pragma once

#include <string_view>

namespace handoff {

enum class ExpositionFormat {
  kText004,         // Prometheus text 0.0.4, written by prometheus-cpp
  kOpenMetrics100,  // OpenMetrics 1.0.0 text, with exemplars (open_metrics_serializer.h)
};

// "text/plain; version=0.0.4; charset=utf-8" or
// "application/openmetrics-text; version=1.0.0; charset=utf-8".
std::string_view ContentTypeOf(ExpositionFormat format);

// OpenMetrics 1.0.0 when `accept` names application/openmetrics-text (version 1.0.0, or
// no version) with a q above 0 and not below the best q it gives the 0.0.4 text
// (text/plain version 0.0.4 or no version, text/*, */*). Otherwise the 0.0.4 text: also
// for an empty header, a bare */*, and one that allows neither format.
ExpositionFormat NegotiateExpositionFormat(std::string_view accept);

}  // namespace handoff
