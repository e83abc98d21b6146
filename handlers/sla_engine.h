// The SLA engine of one partition (docs/reference/timing.md). It is passive: every call is given the
// event or the frontier candidate, and appends what it decided to `out`. It never reads a
// clock, arms a timer or does I/O, so a test moves time by calling AdvanceFrontier.
// Not thread-safe: the engine thread owns it.
//
// The model: events wait in a reorder buffer until the frontier F passes them, then apply
// in event-time order (ties in arrival order); timers (warnings, deadlines) fire when F
// reaches them, after every event at or before their instant. An event that arrives at or
// behind F is late and applies at once, as if it happened at F.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "handlers/chunked_vector.h"
#include "handlers/decision.h"
#include "handlers/event.h"
#include "handlers/journey_tracker.h"
#include "handlers/order_table.h"
#include "handlers/result.h"
#include "handlers/seen_ids.h"
#include "handlers/sla_definition.h"
#include "handlers/timer_index.h"

namespace handoff {

struct EngineOptions {
  DurationMs lateness = 5 * kSecond;
  DurationMs dedupe_window = kHour;
  DurationMs retention = 7 * kDay;
  TimeMs frontier_cap = kEndOfTime;  // replay --as-of: F never passes it
};

struct EngineStats {
  std::uint64_t applied = 0;    // includes late ones
  std::uint64_t late = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t ignored = 0;    // (event, SLA) pairs that matched but could not act
};

// Open instances of one SLA by state; indexes follow InstanceState's first three.
struct OpenCounts {
  std::uint64_t running = 0;
  std::uint64_t paused = 0;
  std::uint64_t overdue = 0;
};

class SlaEngine {
 public:
  using Slas = std::shared_ptr<const std::vector<SlaDefinition>>;
  enum class Admission { kBuffered, kLate, kDuplicate };

  SlaEngine(Slas slas, EngineOptions options);

  // Takes an accepted (decoded) event. A duplicate is dropped; a late event applies now;
  // otherwise it waits, and the frontier it moves releases whatever is due.
  Admission Offer(Event event, std::vector<Decision>& out);
  // Starts fetching the first thing Offer(event) reads, its id's dedupe entry, so that a
  // caller with events queued can overlap their cache misses. Changes nothing.
  void Prefetch(const Event& event) const { seen_ids_.Prefetch(SeenIds::Hash(event.id)); }

  // Moves F to min(candidate, frontier_cap) if that is ahead, applying and firing what
  // becomes due. The daemon passes wall clock - lateness once a partition is idle; replay
  // passes its as-of time at the end.
  void AdvanceFrontier(TimeMs candidate, std::vector<Decision>& out);

  TimeMs frontier() const { return frontier_; }
  const EngineStats& stats() const { return stats_; }
  std::size_t pending() const { return buffer_.size(); }
  std::size_t open_instances() const;
  const OpenCounts& open_counts(std::size_t sla) const { return open_counts_[sla]; }
  // The earliest breached_at among the SLA's open instances (overdue or paused after a
  // breach), or kNoTime: F minus this is how far past its deadline the worst one is.
  TimeMs EarliestOpenBreach(std::size_t sla) const;
  // When the next warning or deadline is due (kNoTime if none): the daemon's wall-clock
  // timer wakes at this + lateness to move an idle partition's frontier.
  TimeMs NextTimerDue() const { return timers_.empty() ? kNoTime : timers_.Top().due; }
  const std::vector<SlaDefinition>& slas() const { return *slas_; }

  // Every open instance, as of the frontier, in no particular order.
  void VisitOpenInstances(const std::function<void(const InstanceSnapshot&)>& visit) const;

  // Approximate bytes of engine state (instances, keys, timers), for benchmarks.
  std::size_t MemoryBytes() const;

  // Checkpoints (docs/durability.md): everything needed to continue as if the engine had never
  // stopped: the frontier, the reorder buffer, open and remembered closed instances, the
  // dedupe ids and the counters. Timers, counts and queues are derived on restore.
  // Instances name their SLA, so a restore under a changed config keeps every SLA that
  // still exists (with the target each instance started with) and drops the others,
  // counting the open ones dropped in *dropped_open. Attributes of buffered events are
  // positional: reordering events.attributes across a restart can misread them.
  std::string SaveState() const;
  static Result<SlaEngine> RestoreState(Slas slas, EngineOptions options, std::string_view state,
                                        std::size_t* dropped_open = nullptr);

 private:
  using Slot = TimerIndex::Slot;
  static constexpr Slot kNoSlot = UINT32_MAX;

  // 56 bytes; one per open instance and per remembered closed one.
  struct Instance {
    TimeMs started_at;
    TimeMs running_since;       // start of the current running stretch; the close time
                                // once closed
    DurationMs elapsed_before;  // working time before running_since (all of it when closed)
    TimeMs deadline;            // kNoTime while paused before a breach; the breach instant
                                // once breached
    DurationMs target;
    OrderKeys::Offset key;      // the order's key in keys_; KeyArena::kNone for a free slot
    std::uint32_t cycle;
    Slot next_in_order;         // the order's instances form a short list
    std::uint16_t sla;
    InstanceState state;
    std::uint8_t warnings_fired : 7;  // warn_at thresholds already reached, in order
    std::uint8_t breached : 1;

    TimeMs breached_at() const { return breached ? deadline : kNoTime; }
    TimeMs ended_at() const { return IsOpenState(state) ? kNoTime : running_since; }
  };

  // A paused instance of an SLA with pause_reasons: since when, and why.
  struct PausedFor {
    TimeMs since;
    std::uint8_t reason;
  };

  // An order as Apply found it: the slot of its first instance in orders_, or nullptr.
  struct OrderRef {
    std::uint32_t hash;
    Slot* first;
  };

  // Which of an SLA's conditions an event type can meet, as bits: an event's type is
  // looked up once, not compared with every condition's list, and an SLA none of whose
  // conditions names the type is skipped without a look at the order.
  enum ConditionBits : std::uint8_t {
    kCancelBit = 1,
    kStopBit = 2,
    kPauseBit = 4,
    kResumeBit = 8,
    kStartBit = 16,
  };
  void IndexConditionTypes();
  const std::vector<std::uint8_t>& ConditionsOfType(std::string_view type) const;

  void Drain(std::vector<Decision>& out);
  void Apply(const Event& event, TimeMs at, std::vector<Decision>& out);
  void ApplyToSla(std::uint16_t sla, std::uint8_t conditions, const Event& event, TimeMs at,
                  OrderRef& order, std::vector<Decision>& out);
  Slot* FindOrder(std::uint32_t hash, std::string_view key);
  // Links a new instance into its order, adding the order (and its key) if it is new.
  void LinkInstance(Slot slot, OrderRef& order, std::string_view key);
  // Moves a few instances' keys into the newer arena while a compaction is under way.
  void MoveSomeKeys();
  void MoveOrderKey(Slot slot);  // the key of the slot's order, for all its instances
  void FireTimer(Slot slot, TimeMs due, std::vector<Decision>& out);
  void ForgetExpired();

  Slot Start(std::uint16_t sla, const Event& event, TimeMs at, Slot reuse);
  void Pause(Slot slot, TimeMs at);
  void Resume(Slot slot, TimeMs at);
  void Close(Slot slot, InstanceState outcome, TimeMs at);
  void ScheduleNextTimer(Slot slot);
  void CountState(const Instance& instance, int delta);
  DurationMs Elapsed(const Instance& instance, TimeMs now) const;
  DurationMs WarningWork(const Instance& instance, std::size_t threshold) const;
  InstanceSnapshot Snapshot(Slot slot, TimeMs now) const;
  void FillSnapshot(Slot slot, TimeMs now, InstanceSnapshot& snapshot) const;
  // Appends the decision about instances_[slot]; for an SLA that is a journey, a stage or
  // keeps pause reasons, also tells the trackers below (sla_engine_journeys.cc). `first` is
  // the order's first slot, or kNoSlot when the caller has not looked it up.
  Decision& Decide(DecisionKind kind, Slot slot, TimeMs at, const Event* event, Slot first,
                   std::vector<Decision>& out);
  void Track(DecisionKind kind, Slot slot, TimeMs at, const Event* event, Slot first,
             Decision& decision);
  void TrackPause(DecisionKind kind, Slot slot, TimeMs at, const Event* event, Decision& decision);
  void TrackJourney(DecisionKind kind, Slot slot, TimeMs at, Slot first, Decision& decision);
  void TrackStage(DecisionKind kind, Slot slot, TimeMs at, Slot first);
  // Starts the journey instance's state at `at` from the stage instances of its order that
  // started at or after it did (rule: those are its stage instances).
  JourneyState SeedJourney(Slot slot, TimeMs at, Slot first);
  Slot FirstOfOrder(const Instance& instance);
  Slot InstanceInOrder(Slot first, std::uint16_t sla) const;
  void AddJourneyFields(Slot slot, TimeMs now, InstanceSnapshot& snapshot) const;
  void ForgetSideState(Slot slot);
  // Checkpoints (engine_state.cc): a restored instance's saved side state, kept when it
  // still fits the config; then every open journey instance left without one (a version 1
  // checkpoint, a changed journey) starts one at the frontier.
  struct SavedJourney {
    JourneyFacts facts;
    std::vector<DurationMs> held;
  };
  void RestoreSideState(Slot slot, const std::optional<SavedJourney>& journey,
                        const std::optional<PausedFor>& paused);
  void SeedRestoredJourneys();
  Slot AllocateSlot();

  Slas slas_;
  EngineOptions options_;
  struct TypeHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view type) const {
      return std::hash<std::string_view>()(type);
    }
  };
  // Event type -> ConditionBits per SLA; a type no condition lists gets any_type_.
  std::unordered_map<std::string, std::vector<std::uint8_t>, TypeHash, std::equal_to<>>
      conditions_of_type_;
  std::vector<std::uint8_t> any_type_;  // per SLA: the conditions that list no type
  TimeMs frontier_ = kNoTime;
  TimeMs max_event_time_ = kNoTime;
  EngineStats stats_;

  // Reorder buffer, sorted by event time; equal times keep arrival order.
  std::deque<Event> buffer_;

  // Every structure below grows or is compacted a bounded slice per call, however many
  // orders it holds (docs/performance.md, "Incremental everything").
  ChunkedVector<Instance> instances_;  // slab, indexed by Slot
  ChunkedVector<Slot> free_slots_;
  OrderTable orders_;  // order key -> its first instance
  OrderKeys keys_;     // each order's key, once
  Slot keys_moved_ = 0;  // while keys_ is compacting: the slots before this one are moved
  TimerIndex timers_;  // running instances before their breach: next warning or deadline
  std::vector<OpenCounts> open_counts_;
  std::vector<std::multiset<TimeMs>> open_breaches_;  // per SLA: breached_at of open ones

  struct Remembered {
    TimeMs forget_at;
    Slot slot;
    std::uint32_t cycle;
  };
  std::deque<Remembered> forget_queue_;  // closed instances in close order (= forget order)

  SeenIds seen_ids_;  // rule 8: event id -> event time

  // Per SLA: a journey, a stage of one, or keeps pause reasons. The only cost of the
  // trackers below for any other SLA is this check, once per decision.
  std::vector<bool> tracked_;
  JourneyTracker journeys_;
  std::unordered_map<Slot, PausedFor> paused_for_;  // paused instances of SLAs with reasons
};

}  // namespace handoff
