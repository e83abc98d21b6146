#include "handlers/sla_engine.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <string_view>
#include <utility>

namespace handoff {

SlaEngine::SlaEngine(Slas slas, EngineOptions options)
    : slas_(std::move(slas)),
      options_(options),
      open_counts_(slas_->size()),
      open_breaches_(slas_->size()),
      tracked_(slas_->size()),
      journeys_(*slas_) {
  static_assert(sizeof(Instance) == 56, "see MemoryBytes and docs/performance.md");
  static_assert(kMaxWarnAt < 128, "Instance::warnings_fired has 7 bits");
  assert(slas_->size() < UINT16_MAX);
  IndexConditionTypes();
  for (std::uint16_t sla = 0; sla < slas_->size(); ++sla) {
    tracked_[sla] = journeys_.Involved(sla) || !(*slas_)[sla].pause_reasons.empty();
  }
}

void SlaEngine::IndexConditionTypes() {
  std::size_t count = slas_->size();
  any_type_.assign(count, 0);
  auto add = [&](std::size_t sla, const Condition& condition, std::uint8_t bit) {
    if (condition.types.empty()) any_type_[sla] |= bit;
    for (const std::string& type : condition.types) {
      auto [it, inserted] = conditions_of_type_.try_emplace(type, count, std::uint8_t{0});
      it->second[sla] |= bit;
    }
  };
  for (std::size_t sla = 0; sla < count; ++sla) {
    const SlaDefinition& def = (*slas_)[sla];
    if (def.cancel) add(sla, *def.cancel, kCancelBit);
    add(sla, def.stop, kStopBit);
    if (def.pause) add(sla, *def.pause, kPauseBit);
    if (def.resume) add(sla, *def.resume, kResumeBit);
    add(sla, def.start, kStartBit);
  }
  for (auto& [type, bits] : conditions_of_type_) {
    for (std::size_t sla = 0; sla < count; ++sla) bits[sla] |= any_type_[sla];
  }
}

const std::vector<std::uint8_t>& SlaEngine::ConditionsOfType(std::string_view type) const {
  auto it = conditions_of_type_.find(type);
  return it == conditions_of_type_.end() ? any_type_ : it->second;
}

TimeMs SlaEngine::EarliestOpenBreach(std::size_t sla) const {
  const auto& breaches = open_breaches_[sla];
  return breaches.empty() ? kNoTime : *breaches.begin();
}

std::size_t SlaEngine::open_instances() const {
  std::size_t total = 0;
  for (const auto& c : open_counts_) total += c.running + c.paused + c.overdue;
  return total;
}

SlaEngine::Admission SlaEngine::Offer(Event event, std::vector<Decision>& out) {
  // Rule 8: an id is remembered while its event time is >= F - dedupe_window. The check
  // reads the stored time, so when the sweep runs never changes an answer.
  TimeMs remembered_since =
      frontier_ == kNoTime ? kNoTime : frontier_ - options_.dedupe_window;
  auto [seen, inserted] = seen_ids_.TryEmplace(SeenIds::Hash(event.id), event.id, event.time);
  if (!inserted) {
    if (*seen >= remembered_since) {
      ++stats_.duplicate;
      return Admission::kDuplicate;
    }
    *seen = event.time;
  }

  // Rule 2: at or behind F, the event is late and applies at once as if at F.
  if (frontier_ != kNoTime && event.time <= frontier_) {
    ++stats_.late;
    Apply(event, frontier_, out);
    return Admission::kLate;
  }
  max_event_time_ = std::max(max_event_time_, event.time);
  // Events mostly arrive in time order: append, else insert after every event with an
  // equal or earlier time (ties keep arrival order).
  if (buffer_.empty() || buffer_.back().time <= event.time) {
    buffer_.push_back(std::move(event));
  } else {
    auto at = std::upper_bound(buffer_.begin(), buffer_.end(), event.time,
                               [](TimeMs t, const Event& e) { return t < e.time; });
    buffer_.insert(at, std::move(event));
  }
  AdvanceFrontier(max_event_time_ - options_.lateness, out);
  return Admission::kBuffered;
}

void SlaEngine::AdvanceFrontier(TimeMs candidate, std::vector<Decision>& out) {
  TimeMs next = std::min(candidate, options_.frontier_cap);
  if (frontier_ != kNoTime && next <= frontier_) return;
  frontier_ = next;
  Drain(out);
  ForgetExpired();
  if (seen_ids_.SweepDue()) seen_ids_.StartSweep(frontier_ - options_.dedupe_window);
}

// Merges the reorder buffer and the timer index up to F: the earliest first, and an event
// before a timer at the same instant (rule 6: a stop at the deadline is met). Applying an
// event may schedule a timer that is already due; the loop picks it up in order.
void SlaEngine::Drain(std::vector<Decision>& out) {
  for (;;) {
    bool event_due = !buffer_.empty() && buffer_.front().time <= frontier_;
    bool timer_due = !timers_.empty() && timers_.Top().due <= frontier_;
    if (event_due && (!timer_due || buffer_.front().time <= timers_.Top().due)) {
      Event event = std::move(buffer_.front());
      buffer_.pop_front();
      Apply(event, event.time, out);
    } else if (timer_due) {
      TimerIndex::Timer timer = timers_.Top();
      timers_.Pop();
      FireTimer(timer.slot, timer.due, out);
    } else {
      return;
    }
  }
}

void SlaEngine::Apply(const Event& event, TimeMs at, std::vector<Decision>& out) {
  ++stats_.applied;
  const std::vector<std::uint8_t>& conditions = ConditionsOfType(event.type);
  if (std::all_of(conditions.begin(), conditions.end(), [](std::uint8_t c) { return c == 0; })) {
    return;  // no condition of any SLA names this type: the order is not even looked up
  }
  std::uint32_t hash = OrderTable::Hash(event.key);
  OrderRef order{.hash = hash, .first = FindOrder(hash, event.key)};
  for (std::uint16_t sla = 0; sla < slas_->size(); ++sla) {
    if (conditions[sla] != 0) ApplyToSla(sla, conditions[sla], event, at, order, out);
  }
}

// Rule 3: cancel, stop, pause, resume, start; the first that can act, acts. An event that
// matches some condition but none that can act is ignored, once per (event, SLA).
void SlaEngine::ApplyToSla(std::uint16_t sla, std::uint8_t conditions, const Event& event,
                           TimeMs at, OrderRef& order, std::vector<Decision>& out) {
  const SlaDefinition& def = (*slas_)[sla];
  Slot slot = order.first == nullptr ? kNoSlot : *order.first;
  while (slot != kNoSlot && instances_[slot].sla != sla) slot = instances_[slot].next_in_order;
  bool open = slot != kNoSlot && IsOpenState(instances_[slot].state);
  bool paused = open && instances_[slot].state == InstanceState::kPaused;
  bool matched = false;

  if ((conditions & kCancelBit) && def.cancel->MatchesAttributes(event)) {
    matched = true;
    if (open) {
      Close(slot, InstanceState::kCancelled, at);
      Decide(DecisionKind::kCancelled, slot, at, &event, *order.first, out);
      return;
    }
  }
  if ((conditions & kStopBit) && def.stop.MatchesAttributes(event)) {
    matched = true;
    if (open) {
      bool breached = instances_[slot].breached;
      Close(slot, breached ? InstanceState::kBreached : InstanceState::kMet, at);
      Decide(breached ? DecisionKind::kResolved : DecisionKind::kMet, slot, at, &event,
             *order.first, out);
      return;
    }
  }
  if ((conditions & kPauseBit) && def.pause->MatchesAttributes(event)) {
    matched = true;
    if (open && !paused) {
      Pause(slot, at);
      Decide(DecisionKind::kPaused, slot, at, &event, *order.first, out);
      return;
    }
  }
  if ((conditions & kResumeBit) && def.resume->MatchesAttributes(event)) {
    matched = true;
    if (paused) {
      Resume(slot, at);
      Decide(DecisionKind::kResumed, slot, at, &event, *order.first, out);
      return;
    }
  }
  if ((conditions & kStartBit) && def.start.MatchesAttributes(event)) {
    matched = true;
    if (!open) {
      Slot started = Start(sla, event, at, slot);
      if (slot == kNoSlot) LinkInstance(started, order, event.key);
      Decide(DecisionKind::kStarted, started, at, &event, *order.first, out);
      return;
    }
  }
  if (matched) ++stats_.ignored;
}

SlaEngine::Slot* SlaEngine::FindOrder(std::uint32_t hash, std::string_view key) {
  return orders_.Find(hash, [&](Slot first) { return keys_.Get(instances_[first].key) == key; });
}

// An order enters the table, and its key the arena, when its first instance starts.
void SlaEngine::LinkInstance(Slot slot, OrderRef& order, std::string_view key) {
  Instance& instance = instances_[slot];
  if (order.first != nullptr) {
    // Behind the compaction's position, every key must be in the newer arena already.
    if (keys_.Stale(instances_[*order.first].key)) MoveOrderKey(*order.first);
    instance.key = instances_[*order.first].key;
    instance.next_in_order = *order.first;
    *order.first = slot;
  } else {
    instance.key = keys_.Add(key);
    instance.next_in_order = kNoSlot;
    order.first = orders_.Insert(order.hash, slot);
  }
}

// A new instance (reuse == kNoSlot) is not yet linked into its order: see LinkInstance.
SlaEngine::Slot SlaEngine::Start(std::uint16_t sla, const Event& event, TimeMs at, Slot reuse) {
  const SlaDefinition& def = (*slas_)[sla];
  std::uint32_t cycle = 1;
  KeyArena::Offset key = KeyArena::kNone;
  Slot next_in_order = kNoSlot;
  if (reuse != kNoSlot) {
    // Rule 1: the closed instance is remembered for `retention` after it closed.
    const Instance& closed = instances_[reuse];
    if (at < closed.ended_at() + options_.retention) cycle = closed.cycle + 1;
    key = closed.key;
    next_in_order = closed.next_in_order;
  }
  Slot slot = reuse == kNoSlot ? AllocateSlot() : reuse;
  DurationMs target = def.target;
  for (const auto& override : def.targets) {
    if (override.when.Matches(event)) {
      target = override.target;
      break;
    }
  }
  instances_[slot] = Instance{
      .started_at = at,
      .running_since = at,
      .elapsed_before = 0,
      .deadline = def.calendar->AddWorkingTime(at, target),
      .target = target,
      .key = key,
      .cycle = cycle,
      .next_in_order = next_in_order,
      .sla = sla,
      .state = InstanceState::kRunning,
      .warnings_fired = 0,
      .breached = false,
  };
  CountState(instances_[slot], +1);
  ScheduleNextTimer(slot);
  return slot;
}

void SlaEngine::Pause(Slot slot, TimeMs at) {
  Instance& instance = instances_[slot];
  CountState(instance, -1);
  instance.elapsed_before = Elapsed(instance, at);
  instance.running_since = at;
  if (!instance.breached) instance.deadline = kNoTime;  // rule 5
  instance.state = InstanceState::kPaused;
  CountState(instance, +1);
  timers_.Cancel(slot);
}

void SlaEngine::Resume(Slot slot, TimeMs at) {
  Instance& instance = instances_[slot];
  CountState(instance, -1);
  instance.running_since = at;
  if (!instance.breached) {
    // Rule 5: a new deadline from the remaining target (never negative: a running
    // instance breaches before its elapsed time can pass the target).
    DurationMs remaining = std::max<DurationMs>(0, instance.target - instance.elapsed_before);
    instance.deadline = (*slas_)[instance.sla].calendar->AddWorkingTime(at, remaining);
    instance.state = InstanceState::kRunning;
  } else {
    instance.state = InstanceState::kOverdue;
  }
  CountState(instance, +1);
  ScheduleNextTimer(slot);
}

void SlaEngine::Close(Slot slot, InstanceState outcome, TimeMs at) {
  Instance& instance = instances_[slot];
  CountState(instance, -1);
  instance.elapsed_before = Elapsed(instance, at);
  instance.running_since = at;  // now the close time
  instance.state = outcome;
  timers_.Cancel(slot);
  if (instance.breached) {
    auto& breaches = open_breaches_[instance.sla];
    breaches.erase(breaches.find(instance.deadline));
  }
  forget_queue_.push_back({at + options_.retention, slot, instance.cycle});
}

// A running instance before its breach has exactly one timer: its next unreached warning,
// else its deadline. Paused and overdue instances have none.
void SlaEngine::ScheduleNextTimer(Slot slot) {
  const Instance& instance = instances_[slot];
  if (instance.state != InstanceState::kRunning) return;
  const SlaDefinition& def = (*slas_)[instance.sla];
  TimeMs due = instance.deadline;
  if (instance.warnings_fired < def.warn_at.size()) {
    DurationMs work = WarningWork(instance, instance.warnings_fired) - instance.elapsed_before;
    due = def.calendar->AddWorkingTime(instance.running_since, std::max<DurationMs>(0, work));
  }
  timers_.Schedule(slot, due);
}

void SlaEngine::FireTimer(Slot slot, TimeMs due, std::vector<Decision>& out) {
  Instance& instance = instances_[slot];
  const SlaDefinition& def = (*slas_)[instance.sla];
  if (instance.warnings_fired < def.warn_at.size()) {
    // Rule 7: each threshold once per instance.
    Decide(DecisionKind::kWarning, slot, due, nullptr, kNoSlot, out).threshold =
        def.warn_at[instance.warnings_fired];
    ++instance.warnings_fired;
    ScheduleNextTimer(slot);
    return;
  }
  // Rule 6: breached at the deadline; final, and the instance stays open.
  CountState(instance, -1);
  assert(instance.deadline == due);
  instance.breached = true;
  open_breaches_[instance.sla].insert(due);
  instance.state = InstanceState::kOverdue;
  CountState(instance, +1);
  Decide(DecisionKind::kBreached, slot, due, nullptr, kNoSlot, out);
}

// Drops closed instances whose retention has passed (rule 1), unless their slot has been
// reused by a newer cycle since.
void SlaEngine::ForgetExpired() {
  while (!forget_queue_.empty() && forget_queue_.front().forget_at <= frontier_) {
    Remembered r = forget_queue_.front();
    forget_queue_.pop_front();
    Instance& instance = instances_[r.slot];
    if (IsOpenState(instance.state) || instance.cycle != r.cycle ||
        instance.ended_at() + options_.retention != r.forget_at) {
      continue;
    }
    std::string_view key = keys_.Get(instance.key);
    Slot* first = FindOrder(OrderTable::Hash(key), key);
    Slot* link = first;
    while (*link != r.slot) link = &instances_[*link].next_in_order;
    *link = instance.next_in_order;
    if (*first == kNoSlot) {
      orders_.Erase(first);
      keys_.Release(instance.key);
    }
    instance.key = KeyArena::kNone;
    free_slots_.push_back(r.slot);
    ForgetSideState(r.slot);
  }
  if (keys_.NeedsCompaction()) {
    keys_.StartCompaction();
    keys_moved_ = 0;
  }
  if (keys_.compacting()) MoveSomeKeys();
}

// A slice of the key compaction: the next kSlots slots of the slab, each order's key moved
// when one of its instances is found. An order that gains an instance behind the position
// has its key moved then (LinkInstance), so none is left behind when the walk ends.
void SlaEngine::MoveSomeKeys() {
  constexpr Slot kSlots = 16;
  Slot end = static_cast<Slot>(std::min<std::size_t>(keys_moved_ + kSlots, instances_.size()));
  for (; keys_moved_ < end; ++keys_moved_) {
    OrderKeys::Offset key = instances_[keys_moved_].key;
    if (key != KeyArena::kNone && keys_.Stale(key)) MoveOrderKey(keys_moved_);
  }
  if (keys_moved_ == instances_.size()) keys_.FinishCompaction();
}

void SlaEngine::MoveOrderKey(Slot slot) {
  std::string_view key = keys_.Get(instances_[slot].key);  // in the older arena: stays put
  OrderKeys::Offset moved = keys_.Add(key);
  for (Slot s = *FindOrder(OrderTable::Hash(key), key); s != kNoSlot;
       s = instances_[s].next_in_order) {
    instances_[s].key = moved;
  }
}

void SlaEngine::CountState(const Instance& instance, int delta) {
  OpenCounts& counts = open_counts_[instance.sla];
  switch (instance.state) {
    case InstanceState::kRunning: counts.running += delta; break;
    case InstanceState::kPaused: counts.paused += delta; break;
    case InstanceState::kOverdue: counts.overdue += delta; break;
    default: break;
  }
}

DurationMs SlaEngine::Elapsed(const Instance& instance, TimeMs now) const {
  if (instance.state == InstanceState::kPaused || !IsOpenState(instance.state)) {
    return instance.elapsed_before;
  }
  return instance.elapsed_before +
         (*slas_)[instance.sla].calendar->WorkingTime(instance.running_since, now);
}

// The working time at which threshold i is reached: elapsed reaches a fractional
// millisecond only at the next whole one.
DurationMs SlaEngine::WarningWork(const Instance& instance, std::size_t threshold) const {
  double work = (*slas_)[instance.sla].warn_at[threshold] * static_cast<double>(instance.target);
  return static_cast<DurationMs>(std::ceil(work - 1e-6));
}

InstanceSnapshot SlaEngine::Snapshot(Slot slot, TimeMs now) const {
  InstanceSnapshot snapshot;
  FillSnapshot(slot, now, snapshot);
  return snapshot;
}

void SlaEngine::FillSnapshot(Slot slot, TimeMs now, InstanceSnapshot& s) const {
  const Instance& instance = instances_[slot];
  s.sla = instance.sla;
  s.key.assign(keys_.Get(instance.key));
  s.cycle = instance.cycle;
  s.state = instance.state;
  s.started_at = instance.started_at;
  s.deadline = instance.deadline;
  s.breached_at = instance.breached_at();
  s.ended_at = instance.ended_at();
  s.elapsed = Elapsed(instance, now);
  s.target = instance.target;
  if (tracked_[instance.sla]) AddJourneyFields(slot, now, s);
}

// The decision is written in place at the end of `out`: built aside and moved in, it cost
// a plain SLA's apply 4 % more instructions once journeys made it larger.
Decision& SlaEngine::Decide(DecisionKind kind, Slot slot, TimeMs at, const Event* event,
                            Slot first, std::vector<Decision>& out) {
  Decision& decision = out.emplace_back();
  decision.kind = kind;
  decision.at = at;
  if (event != nullptr) decision.event_id = event->id;
  FillSnapshot(slot, at, decision.instance);
  if (tracked_[instances_[slot].sla]) Track(kind, slot, at, event, first, decision);
  return decision;
}

void SlaEngine::VisitOpenInstances(
    const std::function<void(const InstanceSnapshot&)>& visit) const {
  for (Slot slot = 0; slot < instances_.size(); ++slot) {
    const Instance& instance = instances_[slot];
    if (instance.key != KeyArena::kNone && IsOpenState(instance.state)) {
      visit(Snapshot(slot, frontier_));
    }
  }
}

SlaEngine::Slot SlaEngine::AllocateSlot() {
  if (!free_slots_.empty()) {
    Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  instances_.push_back(Instance{});
  return static_cast<Slot>(instances_.size() - 1);
}

std::size_t SlaEngine::MemoryBytes() const {
  return instances_.MemoryBytes() + free_slots_.MemoryBytes() + timers_.MemoryBytes() +
         orders_.MemoryBytes() + keys_.MemoryBytes() + journeys_.MemoryBytes() +
         paused_for_.size() * (sizeof(PausedFor) + 2 * sizeof(void*));
}

}  // namespace handoff
