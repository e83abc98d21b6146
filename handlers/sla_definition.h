// One entry of the config's `slas:` list, resolved: conditions refer to attributes by
// index and the calendar is a shared object. Immutable after config load.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handlers/calendar.h"
#include "handlers/condition.h"
#include "handlers/time.h"

namespace handoff {

// More thresholds than this is a config error (the engine counts fired ones in 7 bits).
inline constexpr std::size_t kMaxWarnAt = 32;
// More stages than this is a config error (a journey keeps its open stages as bits).
inline constexpr std::size_t kMaxStages = 32;

struct TargetOverride {
  Condition when;  // attributes only (types empty); evaluated on the start event
  DurationMs target = 0;
};

struct SlaDefinition {
  std::string name;  // [a-z][a-z0-9_]*, unique
  std::string description;
  std::string from;   // departments: label values
  std::string to;
  std::string owner;  // defaults to `to`
  Condition start;
  Condition stop;
  std::optional<Condition> pause;
  std::optional<Condition> resume;
  std::optional<Condition> cancel;
  DurationMs target = 0;                 // working time
  std::vector<TargetOverride> targets;   // first match on the start event wins
  std::vector<double> warn_at;           // sorted ascending, each in (0, 1); at most kMaxWarnAt
  std::string calendar_name;             // empty for 24x7
  std::shared_ptr<const Calendar> calendar = AlwaysOpenCalendar::Shared();
  // A journey (docs/accountability.md): its stages, other SLAs of the same config in chain
  // order, by name and by index into the config's slas. Empty for a plain SLA.
  std::vector<std::string> stages;
  std::vector<std::uint16_t> stage_slas;
  // Why it waited: values of the pause event's `reason` attribute (index reason_attribute
  // into Event::attributes); any other value, or none, counts as `other`. Empty: not kept.
  std::vector<std::string> pause_reasons;
  std::size_t reason_attribute = 0;

  bool is_journey() const { return !stage_slas.empty(); }
  // Runs and is exported like any other, but its decisions never go to the decisions
  // topic and the shipped alert rules leave it out. A reload may flip it either way.
  bool shadow = false;
};

}  // namespace handoff
