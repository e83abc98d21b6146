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
      open_breaches_(slas_->size()) {
  static_assert(sizeof(Instance) == 56, "see MemoryBytes and docs/performance.md");
  static_assert(kMaxWarnAt < 128, "Instance::warnings_fired has 7 bits");
  assert(slas_->size() < UINT16_MAX);
  IndexConditionTypes();
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
      out.push_back(MakeDecision(DecisionKind::kCancelled, instances_[slot], at, event.id));
      return;
    }
  }
  if ((conditions & kStopBit) && def.stop.MatchesAttributes(event)) {
    matched = true;
    if (open) {
      bool breached = instances_[slot].breached;
      Close(slot, breached ? InstanceState::kBreached : InstanceState::kMet, at);
      out.push_back(MakeDecision(breached ? DecisionKind::kResolved : DecisionKind::kMet,
                                 instances_[slot], at, event.id));
      return;
    }
  }
  if ((conditions & kPauseBit) && def.pause->MatchesAttributes(event)) {
    matched = true;
    if (open && !paused) {
      Pause(slot, at);
      out.push_back(MakeDecision(DecisionKind::kPaused, instances_[slot], at, event.id));
      return;
    }
  }
  if ((conditions & kResumeBit) && def.resume->MatchesAttributes(event)) {
    matched = true;
    if (paused) {
      Resume(slot, at);
      out.push_back(MakeDecision(DecisionKind::kResumed, instances_[slot], at, event.id));
      return;
    }
  }
  if ((conditions & kStartBit) && def.start.MatchesAttributes(event)) {
    matched = true;
    if (!open) {
      Slot started = Start(sla, event, at, slot);
      if (slot == kNoSlot) LinkInstance(started, order, event.key);
      out.push_back(MakeDecision(DecisionKind::kStarted, instances_[started], at, event.id));
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
    Decision decision = MakeDecision(DecisionKind::kWarning, instance, due);
    decision.threshold = def.warn_at[instance.warnings_fired];
    ++instance.warnings_fired;
    out.push_back(std::move(decision));
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
  out.push_back(MakeDecision(DecisionKind::kBreached, instance, due));
}

// Drops closed instances whose retention has passed (rule 1), unless their slot has been
// reused by a newer cycle since.
void SlaEngine::ForgetExpired() {
  while (forget_head_ < forget_queue_.size() &&
         forget_queue_[forget_head_].forget_at <= frontier_) {
    Remembered r = forget_queue_[forget_head_++];
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
  }
  if (keys_.NeedsCompaction()) CompactKeys();
  if (forget_head_ > 4096 && forget_head_ * 2 > forget_queue_.size()) {
    forget_queue_.erase(forget_queue_.begin(), forget_queue_.begin() + forget_head_);
    forget_head_ = 0;
  }
}

void SlaEngine::CompactKeys() {
  // Each order costs a read of its first instance and of its key, both far apart: list
  // the orders first, then fetch the instance 16 orders ahead and the key 8 ahead, so
  // that the misses overlap (1.8M orders: 180 -> 90-100 ms).
  std::vector<Slot> firsts;
  firsts.reserve(orders_.size());
  orders_.ForEach([&](Slot first) { firsts.push_back(first); });
  KeyArena live;
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    if (i + 16 < firsts.size()) __builtin_prefetch(&instances_[firsts[i + 16]]);
    if (i + 8 < firsts.size()) keys_.Prefetch(instances_[firsts[i + 8]].key);
    KeyArena::Offset key = live.Add(keys_.Get(instances_[firsts[i]].key));
    for (Slot slot = firsts[i]; slot != kNoSlot; slot = instances_[slot].next_in_order) {
      instances_[slot].key = key;
    }
  }
  keys_ = std::move(live);
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

InstanceSnapshot SlaEngine::Snapshot(const Instance& instance, TimeMs now) const {
  return InstanceSnapshot{
      .sla = instance.sla,
      .key = std::string(keys_.Get(instance.key)),
      .cycle = instance.cycle,
      .state = instance.state,
      .started_at = instance.started_at,
      .deadline = instance.deadline,
      .breached_at = instance.breached_at(),
      .ended_at = instance.ended_at(),
      .elapsed = Elapsed(instance, now),
      .target = instance.target,
  };
}

Decision SlaEngine::MakeDecision(DecisionKind kind, const Instance& instance, TimeMs at,
                                 std::string_view event_id) const {
  return Decision{.kind = kind,
                  .at = at,
                  .threshold = 0,
                  .event_id = std::string(event_id),
                  .instance = Snapshot(instance, at)};
}

void SlaEngine::VisitOpenInstances(
    const std::function<void(const InstanceSnapshot&)>& visit) const {
  for (const Instance& instance : instances_) {
    if (instance.key != KeyArena::kNone && IsOpenState(instance.state)) {
      visit(Snapshot(instance, frontier_));
    }
  }
}

SlaEngine::Slot SlaEngine::AllocateSlot() {
  if (!free_slots_.empty()) {
    Slot slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  instances_.emplace_back();
  return static_cast<Slot>(instances_.size() - 1);
}

std::size_t SlaEngine::MemoryBytes() const {
  return instances_.capacity() * sizeof(Instance) + free_slots_.capacity() * sizeof(Slot) +
         timers_.MemoryBytes() + orders_.MemoryBytes() + keys_.MemoryBytes();
}

}  // namespace handoff
