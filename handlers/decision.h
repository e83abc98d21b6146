// What the engine decides, as plain values: an instance started, reached a warning
// threshold, breached, or closed. Sinks (metrics, the decisions topic, the replay report,
// logs) read them; none of them calls back into the engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "handlers/time.h"

namespace handoff {

enum class InstanceState : std::uint8_t { kRunning, kPaused, kOverdue, kMet, kBreached, kCancelled };
std::string_view InstanceStateName(InstanceState state);  // "running", "paused", ...
inline bool IsOpenState(InstanceState state) {
  return state == InstanceState::kRunning || state == InstanceState::kPaused ||
         state == InstanceState::kOverdue;
}

// An instance as of some instant (the decision's time, or the frontier).
struct InstanceSnapshot {
  std::uint16_t sla = 0;  // index into the config's slas
  std::string key;
  std::uint32_t cycle = 0;
  InstanceState state = InstanceState::kRunning;
  TimeMs started_at = kNoTime;
  TimeMs deadline = kNoTime;     // kNoTime while paused before any breach
  TimeMs breached_at = kNoTime;
  TimeMs ended_at = kNoTime;
  DurationMs elapsed = 0;        // working time, at ended_at when closed
  DurationMs target = 0;
};

enum class DecisionKind : std::uint8_t {
  kStarted,
  kPaused,
  kResumed,
  kWarning,    // `threshold` says which warn_at fraction
  kBreached,   // at the deadline
  kMet,        // stopped at or before the deadline
  kCancelled,
  kResolved,   // a breached instance was finally stopped
};
std::string_view DecisionKindName(DecisionKind kind);  // "started", "warning", ...

struct Decision {
  DecisionKind kind = DecisionKind::kStarted;
  TimeMs at = 0;           // event time of the decision
  double threshold = 0;    // for kWarning
  std::string event_id;    // the event that caused it; empty for warnings and breaches
  InstanceSnapshot instance;
};

}  // namespace handoff
