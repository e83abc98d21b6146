// Journeys: who held an order, and why its end-to-end promise broke (docs/accountability.md).
// The SlaEngine owns one JourneyTracker and tells it, for every instance of a journey SLA
// or of one of its stages, when it starts, pauses, resumes, closes or breaches; the
// tracker keeps, per open or remembered journey instance, who holds the order and the
// held time by department. SLAs that are neither journeys nor stages never reach it.
// Not thread-safe: the engine thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "handlers/calendar.h"
#include "handlers/decision.h"
#include "handlers/sla_definition.h"
#include "handlers/time.h"

namespace handoff {

// A journey's buckets of held time and which bucket each holder maps to. The buckets are
// the journey's `from`, then each stage's owner and `to` in stage order (each name once),
// then `paused`.
struct JourneyPlan {
  std::vector<std::string> buckets;
  std::uint8_t from_bucket = 0;
  std::vector<std::uint8_t> owner_bucket;  // per stage position
  std::vector<std::uint8_t> to_bucket;     // per stage position
  std::uint8_t paused_bucket() const { return static_cast<std::uint8_t>(buckets.size() - 1); }

  // The plan of slas[journey], which must be a journey whose stage_slas are resolved.
  static JourneyPlan Of(const std::vector<SlaDefinition>& slas, std::size_t journey);
};

// What happened to a stage instance that belongs to a journey instance (it started at or
// after the journey instance started, while that was open).
enum class StageChange : std::uint8_t { kStarted, kPaused, kResumed, kStopped, kCancelled, kBreached };

// One journey instance's accountability state. Times passed in never go back (the engine
// applies everything in event-time order).
class JourneyState {
 public:
  JourneyState(const JourneyPlan& plan, TimeMs started_at);

  // A stage instance at `position` changed at `at`. kStopped is a close as met or breached.
  void OnStage(const JourneyPlan& plan, const Calendar& calendar, std::uint8_t position,
               StageChange change, TimeMs at);
  // The journey instance itself paused, resumed or closed: held time counts only while it
  // runs (running or overdue), as its elapsed time does.
  void OnPause(const Calendar& calendar, TimeMs at);
  void OnResume(TimeMs at);
  void OnClose(const Calendar& calendar, TimeMs at);
  // The journey instance breached at `at`: decides the baton (who held it just before `at`)
  // and the first late stage. `breaching_now` lists stage positions whose running
  // instances breach at `at` too but whose timers have not fired yet.
  void OnBreach(const JourneyPlan& plan, TimeMs at, std::span<const std::uint8_t> breaching_now);

  // Counts `work`, working time from before this state began, under the current holder
  // (a journey restored from a checkpoint that did not carry its state).
  void AddHeldBefore(DurationMs work) { held_[holder_] += work; }
  // Held time by bucket as of `now` (>= every time passed in so far).
  std::vector<DurationMs> HeldAt(const Calendar& calendar, TimeMs now) const;
  std::uint8_t baton() const { return baton_; }
  std::uint8_t first_late_stage() const { return first_late_stage_; }

  // Checkpoints: every field, as plain numbers (see engine_state.cc).
  struct Saved {
    TimeMs since, holder_since, last_close_at, first_breach_at;
    std::uint32_t running, paused;
    std::uint8_t holder, holder_before, last_closed, first_breach, baton, first_late_stage;
    bool counting;
    std::vector<DurationMs> held;
  };
  Saved Save() const;
  // nullopt when the saved values do not fit `plan`.
  static std::optional<JourneyState> Restore(const JourneyPlan& plan, const Saved& saved);

  std::size_t MemoryBytes() const { return sizeof(*this) + buckets_ * sizeof(DurationMs); }

 private:
  static constexpr std::uint8_t kNone = InstanceSnapshot::kUndecided;
  std::uint8_t Holder(const JourneyPlan& plan) const;
  void Accrue(const Calendar& calendar, TimeMs at);

  TimeMs since_;          // held time is counted up to here
  TimeMs holder_since_;   // the instant the holder last changed
  TimeMs last_close_at_ = kNoTime;    // the last stage instance closed as met or breached
  TimeMs first_breach_at_ = kNoTime;  // the earliest stage instance breach
  std::uint32_t running_ = 0;  // bit p: stage p has an open instance that is not paused
  std::uint32_t paused_ = 0;   // bit p: stage p has an open, paused instance
  std::uint8_t holder_;
  std::uint8_t holder_before_;  // the holder before the changes at holder_since_
  std::uint8_t last_closed_ = kNone;   // position of last_close_at_'s stage
  std::uint8_t first_breach_ = kNone;  // position of first_breach_at_'s stage
  std::uint8_t baton_ = kNone;
  std::uint8_t first_late_stage_ = kNone;
  bool counting_ = true;  // the journey instance runs: held time accrues
  std::uint8_t buckets_;
  std::unique_ptr<DurationMs[]> held_;  // per bucket, up to since_
};

// The journeys of a config, and the state of each journey instance keyed by the engine's
// instance slot. Only journey instances have an entry.
class JourneyTracker {
 public:
  using Slot = std::uint32_t;
  struct StageOf {
    std::uint16_t journey;  // SLA index
    std::uint8_t position;  // in the journey's stages
  };

  explicit JourneyTracker(const std::vector<SlaDefinition>& slas);

  // The engine's whole cost for an SLA that is neither a journey nor a stage: this check.
  bool Involved(std::uint16_t sla) const { return !involved_.empty() && involved_[sla]; }
  bool has_journeys() const { return !involved_.empty(); }
  bool IsJourney(std::uint16_t sla) const { return !plans_[sla].buckets.empty(); }
  const JourneyPlan& Plan(std::uint16_t sla) const { return plans_[sla]; }
  std::span<const StageOf> JourneysOf(std::uint16_t stage_sla) const { return stage_of_[stage_sla]; }

  // The state of the journey instance in `slot`: Find returns nullptr when it has none.
  JourneyState* Find(Slot slot);
  const JourneyState* Find(Slot slot) const;
  // Starts (or replaces) the slot's state.
  JourneyState& Begin(Slot slot, JourneyState state);
  // The slot no longer holds a journey instance.
  void Erase(Slot slot);
  // Every slot with a state, in slot order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (Slot slot = 0; slot < index_.size(); ++slot) {
      if (index_[slot] != kNoIndex) visit(slot, states_[index_[slot]]);
    }
  }

  std::size_t MemoryBytes() const;

 private:
  static constexpr std::uint32_t kNoIndex = UINT32_MAX;
  std::vector<bool> involved_;                 // empty when the config has no journey
  std::vector<JourneyPlan> plans_;             // per SLA; empty buckets for a non-journey
  std::vector<std::vector<StageOf>> stage_of_;  // per SLA: the journeys it is a stage of
  std::vector<std::uint32_t> index_;           // slot -> states_ index, grown on demand
  std::vector<JourneyState> states_;
  std::vector<std::uint32_t> free_;            // unused states_ entries
};

}  // namespace handoff
