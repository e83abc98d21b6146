#include "handlers/decision.h"

namespace handoff {

std::string_view InstanceStateName(InstanceState state) {
  switch (state) {
    case InstanceState::kRunning: return "running";
    case InstanceState::kPaused: return "paused";
    case InstanceState::kOverdue: return "overdue";
    case InstanceState::kMet: return "met";
    case InstanceState::kBreached: return "breached";
    case InstanceState::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kStarted: return "started";
    case DecisionKind::kPaused: return "paused";
    case DecisionKind::kResumed: return "resumed";
    case DecisionKind::kWarning: return "warning";
    case DecisionKind::kBreached: return "breached";
    case DecisionKind::kMet: return "met";
    case DecisionKind::kCancelled: return "cancelled";
    case DecisionKind::kResolved: return "resolved";
  }
  return "unknown";
}

}  // namespace handoff
