// SlaEngine's side trackers: journeys (who held the order, held time, baton, first late
// stage) and pause reasons. Kept apart from the timing rules in sla_engine.cc; the engine
// calls in here only for an SLA that is a journey, a stage or keeps pause reasons.
#include <algorithm>
#include <array>
#include <cassert>
#include <optional>

#include "handlers/sla_engine.h"

namespace handoff {

void SlaEngine::Track(DecisionKind kind, Slot slot, TimeMs at, const Event* event, Slot first,
                      Decision& decision) {
  std::uint16_t sla = instances_[slot].sla;
  if (!(*slas_)[sla].pause_reasons.empty()) TrackPause(kind, slot, at, event, decision);
  if (!journeys_.Involved(sla)) return;
  if (first == kNoSlot) first = FirstOfOrder(instances_[slot]);
  if (journeys_.IsJourney(sla)) TrackJourney(kind, slot, at, first, decision);
  if (!journeys_.JourneysOf(sla).empty()) TrackStage(kind, slot, at, first);
}

// A pause's reason is the pause event's `reason` attribute when listed, else `other`; its
// working time is counted when it ends: resumed, or stopped or cancelled while paused.
void SlaEngine::TrackPause(DecisionKind kind, Slot slot, TimeMs at, const Event* event,
                           Decision& decision) {
  const SlaDefinition& def = (*slas_)[instances_[slot].sla];
  if (kind == DecisionKind::kPaused) {
    auto reason = static_cast<std::uint8_t>(def.pause_reasons.size());
    if (def.reason_attribute < event->attributes.size()) {
      if (const auto& value = event->attributes[def.reason_attribute]) {
        auto it = std::find(def.pause_reasons.begin(), def.pause_reasons.end(), *value);
        reason = static_cast<std::uint8_t>(it - def.pause_reasons.begin());
      }
    }
    paused_for_[slot] = PausedFor{.since = at, .reason = reason};
    return;
  }
  if (kind == DecisionKind::kStarted || kind == DecisionKind::kWarning ||
      kind == DecisionKind::kBreached) {
    return;
  }
  auto it = paused_for_.find(slot);
  if (it == paused_for_.end()) return;  // it was running
  decision.pause_reason = it->second.reason;
  decision.paused = def.calendar->WorkingTime(it->second.since, at);
  paused_for_.erase(it);
}

void SlaEngine::TrackJourney(DecisionKind kind, Slot slot, TimeMs at, Slot first,
                             Decision& decision) {
  const Instance& journey = instances_[slot];
  const SlaDefinition& def = (*slas_)[journey.sla];
  const Calendar& calendar = *def.calendar;
  if (kind == DecisionKind::kStarted) {
    decision.instance.held = SeedJourney(slot, at, first).HeldAt(calendar, at);
    return;
  }
  std::optional<JourneyState> state = journeys_.Find(slot);
  assert(state);  // every open journey instance has one
  if (!state) return;
  switch (kind) {
    case DecisionKind::kPaused: state->OnPause(calendar, at); break;
    case DecisionKind::kResumed: state->OnResume(calendar, at); break;
    case DecisionKind::kMet:
    case DecisionKind::kResolved:
    case DecisionKind::kCancelled: state->OnClose(calendar, at); break;
    case DecisionKind::kBreached: {
      // Stage instances due to breach at this same instant whose timers have not fired
      // yet (timers at one instant fire in no set order) breached at `at` all the same.
      std::array<std::uint8_t, kMaxStages> due_now;
      std::size_t count = 0;
      for (std::size_t position = 0; position < def.stage_slas.size(); ++position) {
        Slot stage = InstanceInOrder(first, def.stage_slas[position]);
        if (stage == kNoSlot) continue;
        const Instance& s = instances_[stage];
        if (s.started_at >= journey.started_at && s.state == InstanceState::kRunning &&
            s.deadline <= at) {
          due_now[count++] = static_cast<std::uint8_t>(position);
        }
      }
      state->OnBreach(journeys_.Plan(journey.sla), at, std::span(due_now.data(), count));
      decision.instance.baton = state->facts().baton;
      decision.instance.first_late_stage = state->facts().first_late_stage;
      break;
    }
    case DecisionKind::kStarted:
    case DecisionKind::kWarning: break;
  }
}

// A stage instance belongs to the journey instance of its order that was open when it
// started and started no later than it did.
void SlaEngine::TrackStage(DecisionKind kind, Slot slot, TimeMs at, Slot first) {
  std::optional<StageChange> change = StageChangeOf(kind);
  if (!change) return;
  const Instance& stage = instances_[slot];
  for (const JourneyTracker::StageOf& of : journeys_.JourneysOf(stage.sla)) {
    Slot j = InstanceInOrder(first, of.journey);
    if (j == kNoSlot) continue;
    const Instance& journey = instances_[j];
    if (!IsOpenState(journey.state) || stage.started_at < journey.started_at) continue;
    std::optional<JourneyState> state = journeys_.Find(j);
    if (!state) continue;
    state->OnStage(journeys_.Plan(of.journey), *(*slas_)[of.journey].calendar, of.position,
                   *change, at);
  }
}

JourneyState SlaEngine::SeedJourney(Slot slot, TimeMs at, Slot first) {
  const Instance& journey = instances_[slot];
  const SlaDefinition& def = (*slas_)[journey.sla];
  const JourneyPlan& plan = journeys_.Plan(journey.sla);
  JourneyState state = journeys_.Begin(slot, journey.sla, at);
  for (std::size_t p = 0; p < def.stage_slas.size(); ++p) {
    Slot s = InstanceInOrder(first, def.stage_slas[p]);
    if (s == kNoSlot || instances_[s].started_at < journey.started_at) continue;
    const Instance& stage = instances_[s];
    auto position = static_cast<std::uint8_t>(p);
    auto seed = [&](StageChange change) {
      state.OnStage(plan, *def.calendar, position, change, at);
    };
    seed(StageChange::kStarted);
    switch (stage.state) {
      case InstanceState::kPaused: seed(StageChange::kPaused); break;
      case InstanceState::kMet:
      case InstanceState::kBreached: seed(StageChange::kStopped); break;
      case InstanceState::kCancelled: seed(StageChange::kCancelled); break;
      case InstanceState::kRunning:
      case InstanceState::kOverdue: break;
    }
    if (stage.breached) seed(StageChange::kBreached);
  }
  return state;
}

SlaEngine::Slot SlaEngine::InstanceInOrder(Slot first, std::uint16_t sla) const {
  Slot slot = first;
  while (slot != kNoSlot && instances_[slot].sla != sla) slot = instances_[slot].next_in_order;
  return slot;
}

SlaEngine::Slot SlaEngine::FirstOfOrder(const Instance& instance) {
  std::string_view key = keys_.Get(instance.key);
  return *FindOrder(OrderTable::Hash(key), key);
}

void SlaEngine::AddJourneyFields(Slot slot, TimeMs now, InstanceSnapshot& snapshot) const {
  const Instance& instance = instances_[slot];
  if (!journeys_.IsJourney(instance.sla)) return;
  std::optional<const JourneyState> state = journeys_.Find(slot);
  if (!state) return;
  snapshot.held = state->HeldAt(*(*slas_)[instance.sla].calendar, now);
  snapshot.baton = state->facts().baton;
  snapshot.first_late_stage = state->facts().first_late_stage;
}

void SlaEngine::RestoreSideState(Slot slot, const std::optional<SavedJourney>& journey,
                                 const std::optional<PausedFor>& paused) {
  const Instance& instance = instances_[slot];
  const SlaDefinition& def = (*slas_)[instance.sla];
  // A saved state that no longer fits the journey (its stages changed) is started afresh
  // by SeedRestoredJourneys.
  if (journey && journeys_.IsJourney(instance.sla)) {
    journeys_.Restore(slot, instance.sla, journey->facts, journey->held);
  }
  if (paused && !def.pause_reasons.empty() && instance.state == InstanceState::kPaused) {
    auto other = static_cast<std::uint8_t>(def.pause_reasons.size());
    paused_for_[slot] = PausedFor{.since = paused->since, .reason = std::min(paused->reason, other)};
  }
}

// Without saved state, the working time so far counts under whoever holds the order at the
// restore: the best the checkpoint can tell.
void SlaEngine::SeedRestoredJourneys() {
  if (!journeys_.has_journeys()) return;
  for (Slot slot = 0; slot < instances_.size(); ++slot) {
    const Instance& journey = instances_[slot];
    if (journey.key == KeyArena::kNone || !IsOpenState(journey.state) ||
        !journeys_.IsJourney(journey.sla) || journeys_.Find(slot)) {
      continue;
    }
    JourneyState state = SeedJourney(slot, frontier_, FirstOfOrder(journey));
    state.AddHeldBefore(Elapsed(journey, frontier_));
    if (journey.state == InstanceState::kPaused) {
      state.OnPause(*(*slas_)[journey.sla].calendar, frontier_);
    }
  }
}

void SlaEngine::ForgetSideState(Slot slot) {
  journeys_.Erase(slot);
  paused_for_.erase(slot);
}

}  // namespace handoff
