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
// What a decision about a stage instance changes; nullopt for a warning.
std::optional<StageChange> StageChangeOf(DecisionKind kind);

// The fixed part of one journey instance's state, 24 bytes; its held time lives beside it
// in the tracker. Plain numbers, so that checkpoints can copy it field by field.
struct JourneyFacts {
  static constexpr std::uint8_t kNone = InstanceSnapshot::kUndecided;
  // flags
  static constexpr std::uint8_t kCounting = 1;        // the journey runs: held time accrues
  static constexpr std::uint8_t kClosedAtSince = 2;   // last_closed closed at `since`
  static constexpr std::uint8_t kBreachedAtSince = 4;  // first_breach breached at `since`

  TimeMs since = 0;            // held time is counted up to here: the last instant anything changed
  std::uint32_t running = 0;   // bit p: stage p has an open instance that is not paused
  std::uint32_t paused = 0;    // bit p: stage p has an open, paused instance
  std::uint8_t holder = 0;
  std::uint8_t holder_before = 0;     // the holder after every event before `since`
  std::uint8_t last_closed = kNone;   // the stage whose instance closed last as met or breached
  std::uint8_t first_breach = kNone;  // the stage whose instance breached first
  std::uint8_t baton = kNone;             // decided when the journey breaches
  std::uint8_t first_late_stage = kNone;  // decided when the journey breaches
  std::uint8_t flags = kCounting;
  std::uint8_t buckets = 0;  // of the journey's plan

  // A journey instance that started at `at`: held by the journey's `from`.
  static JourneyFacts StartedAt(const JourneyPlan& plan, TimeMs at);
};
static_assert(sizeof(JourneyFacts) == 24);

// One journey instance's accountability state: a view of its facts and held time, valid
// until the tracker next starts a state. Times passed in never go back (the engine applies
// everything in event-time order).
class JourneyState {
 public:
  JourneyState(JourneyFacts& facts, std::span<DurationMs> held) : f_(&facts), held_(held) {}

  // A stage instance at `position` changed at `at`. kStopped is a close as met or breached.
  void OnStage(const JourneyPlan& plan, const Calendar& calendar, std::uint8_t position,
               StageChange change, TimeMs at);
  // The journey instance itself paused, resumed or closed: held time counts only while it
  // runs (running or overdue), as its elapsed time does.
  void OnPause(const Calendar& calendar, TimeMs at);
  void OnResume(const Calendar& calendar, TimeMs at);
  void OnClose(const Calendar& calendar, TimeMs at);
  // The journey instance breached at `at`: decides the baton (who held it just before `at`)
  // and the first late stage. `breaching_now` lists stage positions whose running
  // instances breach at `at` too but whose timers have not fired yet.
  void OnBreach(const JourneyPlan& plan, TimeMs at, std::span<const std::uint8_t> breaching_now);

  // Counts `work`, working time from before this state began, under the current holder
  // (a journey restored from a checkpoint that did not carry its state).
  void AddHeldBefore(DurationMs work) { held_[f_->holder] += work; }
  // Held time by bucket as of `now` (>= every time passed in so far).
  std::vector<DurationMs> HeldAt(const Calendar& calendar, TimeMs now) const;
  const JourneyFacts& facts() const { return *f_; }
  std::span<const DurationMs> held() const { return held_; }

 private:
  std::uint8_t Holder(const JourneyPlan& plan) const;
  // Moves `since` to `at`, counting the stretch under the holder while the journey runs.
  void Accrue(const Calendar& calendar, TimeMs at);

  JourneyFacts* f_;
  std::span<DurationMs> held_;  // per bucket, up to since
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

  // The state of the journey instance in `slot`, if it has one.
  std::optional<JourneyState> Find(Slot slot);
  std::optional<const JourneyState> Find(Slot slot) const;
  // Starts (or restarts) the slot's state: held by the journey's `from` since `started_at`.
  JourneyState Begin(Slot slot, std::uint16_t journey, TimeMs started_at);
  // Starts the slot's state from a checkpoint's; false (and no state) when `held` does not
  // fit the journey's plan or the facts name buckets or stages it does not have.
  bool Restore(Slot slot, std::uint16_t journey, const JourneyFacts& facts,
               std::span<const DurationMs> held);
  // The slot no longer holds a journey instance.
  void Erase(Slot slot);

  std::size_t MemoryBytes() const;

 private:
  static constexpr std::uint32_t kNoIndex = UINT32_MAX;
  std::optional<JourneyState> StateAt(std::uint32_t index) const;

  std::vector<bool> involved_;                  // empty when the config has no journey
  std::vector<JourneyPlan> plans_;              // per SLA; empty buckets for a non-journey
  std::vector<std::vector<StageOf>> stage_of_;  // per SLA: the journeys it is a stage of
  std::size_t stride_ = 0;                      // held entries per state: the most buckets
  // Grown by a quarter at a time, not doubled: a journey costs what it uses (bench/run).
  std::vector<std::uint32_t> index_;  // slot -> state, kNoIndex for none
  std::vector<JourneyFacts> facts_;   // per state
  std::vector<DurationMs> held_;      // per state, stride_ entries
  std::vector<std::uint32_t> free_;   // states no slot uses
};

}  // namespace handoff
