// How `handoffd baseline` prints a Baseline: a table for people, JSON for scripts (the
// JSON is documented in docs/reference/baseline-and-compare.md). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "handlers/baseline_report.h"
#include "handlers/sla_definition.h"

namespace handoff {

// `by`: the attribute the groups are of, or empty.
std::string BaselineJson(const Baseline& baseline, const std::vector<SlaDefinition>& slas,
                         std::string_view by, bool pretty = true);
std::string BaselineTable(const Baseline& baseline, const std::vector<SlaDefinition>& slas,
                          std::string_view by);

// A duration as a config target: "1h15m"; with `working_time` (an SLA with a calendar)
// never in days, since a day of targets is 24 working hours: "30h", not "1d6h". Whole
// seconds; milliseconds are dropped.
std::string TargetText(DurationMs d, bool working_time);

}  // namespace handoff
