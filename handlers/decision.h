// What the engine decides, as plain values: an instance started, reached a warning
// threshold, breached, or closed. Sinks (metrics, the decisions topic, the replay report,
// logs) read them; none of them calls back into the engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // Journeys only (JourneyPlan in handlers/journey_tracker.h); empty or kUndecided
  // otherwise. `held`: elapsed working time by who held the order, one entry per bucket of
  // the plan, summing to `elapsed`. `baton` (a bucket) and `first_late_stage` (a position
  // in `stages`, or stages.size() for none) are decided when the journey breaches.
  static constexpr std::uint8_t kUndecided = 0xff;
  std::vector<DurationMs> held;
  std::uint8_t baton = kUndecided;
  std::uint8_t first_late_stage = kUndecided;
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
  // A pause of an SLA with pause_reasons ended here (resumed, or stopped or cancelled while
  // paused): its reason, an index into pause_reasons (pause_reasons.size() for `other`),
  // and its working time in the SLA's calendar. kNoPauseReason otherwise.
  static constexpr std::uint8_t kNoPauseReason = 0xff;
  std::uint8_t pause_reason = kNoPauseReason;
  DurationMs paused = 0;
};

}  // namespace handoff
