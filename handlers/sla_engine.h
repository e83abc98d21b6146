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
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "handlers/decision.h"
#include "handlers/event.h"
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
    KeyArena::Offset key;       // the order's key in keys_; kNone for a free slot
    std::uint32_t cycle;
    Slot next_in_order;         // the order's instances form a short list
    std::uint16_t sla;
    InstanceState state;
    std::uint8_t warnings_fired : 7;  // warn_at thresholds already reached, in order
    std::uint8_t breached : 1;

    TimeMs breached_at() const { return breached ? deadline : kNoTime; }
    TimeMs ended_at() const { return IsOpenState(state) ? kNoTime : running_since; }
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
  void CompactKeys();
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
  InstanceSnapshot Snapshot(const Instance& instance, TimeMs now) const;
  Decision MakeDecision(DecisionKind kind, const Instance& instance, TimeMs at,
                        std::string_view event_id = {}) const;
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

  std::vector<Instance> instances_;  // slab, indexed by Slot
  std::vector<Slot> free_slots_;
  OrderTable orders_;  // order key -> its first instance
  KeyArena keys_;      // each order's key, once
  TimerIndex timers_;  // running instances before their breach: next warning or deadline
  std::vector<OpenCounts> open_counts_;
  std::vector<std::multiset<TimeMs>> open_breaches_;  // per SLA: breached_at of open ones

  struct Remembered {
    TimeMs forget_at;
    Slot slot;
    std::uint32_t cycle;
  };
  std::vector<Remembered> forget_queue_;  // closed instances in close order (= forget order)
  std::size_t forget_head_ = 0;

  SeenIds seen_ids_;  // rule 8: event id -> event time
};

}  // namespace handoff
