// The comma-separated HTTP header values that carry a quality per element (RFC 9110
// §12.4.2): Accept (`text/plain;version=0.0.4;q=0.5, */*;q=0.1`) and Accept-Encoding.
// The server reads Accept-Encoding with it, the Api the Accept of /metrics. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace handoff {

struct QualityElement {
  std::string_view value;  // "text/plain", "gzip", "*/*": trimmed, case as sent
  // The parameters other than q, in order: names as sent, values without their quotes.
  std::vector<std::pair<std::string_view, std::string_view>> params;
  // 1 when absent or unreadable; 0 means "not acceptable".
  double q = 1;

  // The value of parameter `name` (case-insensitive); nullopt when it is absent.
  std::optional<std::string_view> Param(std::string_view name) const;
};

// Every non-empty element of `header`, in order. Views point into `header`.
std::vector<QualityElement> ParseQualityList(std::string_view header);

// ASCII case-insensitive equality (media types, codings, parameter names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace handoff
