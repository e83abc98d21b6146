#include "daemon/serve/exposition_format.h"

#include <algorithm>
#include <optional>

#include "daemon/serve/quality_list.h"

namespace handoff {

std::string_view ContentTypeOf(ExpositionFormat format) {
  switch (format) {
    case ExpositionFormat::kOpenMetrics100:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case ExpositionFormat::kText004:
      break;
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

// Only an explicit application/openmetrics-text selects OpenMetrics: a wildcard keeps the
// answer curl, browsers and older scrapers have always had. Prometheus sends
// "application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
// and so gets OpenMetrics. OpenMetrics 0.0.1 (the draft) is not served: its q is ignored.
ExpositionFormat NegotiateExpositionFormat(std::string_view accept) {
  double open_metrics = 0;
  double text = 0;
  for (const QualityElement& e : ParseQualityList(accept)) {
    std::optional<std::string_view> version = e.Param("version");
    if (EqualsIgnoreCase(e.value, "application/openmetrics-text")) {
      if (!version || *version == "1.0.0") open_metrics = std::max(open_metrics, e.q);
    } else if (EqualsIgnoreCase(e.value, "text/plain")) {
      if (!version || *version == "0.0.4") text = std::max(text, e.q);
    } else if (e.value == "*/*" || EqualsIgnoreCase(e.value, "text/*")) {
      text = std::max(text, e.q);
    }
  }
  return open_metrics > 0 && open_metrics >= text ? ExpositionFormat::kOpenMetrics100
                                                  : ExpositionFormat::kText004;
}

}  // namespace handoff
