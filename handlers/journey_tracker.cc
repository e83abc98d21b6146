#include "handlers/journey_tracker.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace handoff {

JourneyPlan JourneyPlan::Of(const std::vector<SlaDefinition>& slas, std::size_t journey) {
  const SlaDefinition& def = slas[journey];
  assert(def.is_journey() && def.stage_slas.size() <= kMaxStages);
  JourneyPlan plan;
  auto bucket = [&plan](const std::string& name) {
    auto it = std::find(plan.buckets.begin(), plan.buckets.end(), name);
    if (it == plan.buckets.end()) it = plan.buckets.insert(it, name);
    return static_cast<std::uint8_t>(it - plan.buckets.begin());
  };
  plan.from_bucket = bucket(def.from);
  for (std::uint16_t stage : def.stage_slas) {
    plan.owner_bucket.push_back(bucket(slas[stage].owner));
    plan.to_bucket.push_back(bucket(slas[stage].to));
  }
  plan.buckets.push_back("paused");  // config validation keeps departments from this name
  return plan;
}

JourneyState::JourneyState(const JourneyPlan& plan, TimeMs started_at)
    : since_(started_at),
      holder_since_(started_at),
      holder_(plan.from_bucket),
      holder_before_(plan.from_bucket),
      buckets_(static_cast<std::uint8_t>(plan.buckets.size())),
      held_(std::make_unique<DurationMs[]>(plan.buckets.size())) {}

// Who holds the order: the owner of the last stage with an open instance that is not
// paused; else `paused` if one is paused; else the `to` of the stage instance that closed
// last as met or breached; else the journey's `from`.
std::uint8_t JourneyState::Holder(const JourneyPlan& plan) const {
  if (running_ != 0) return plan.owner_bucket[std::bit_width(running_) - 1];
  if (paused_ != 0) return plan.paused_bucket();
  if (last_closed_ != kNone) return plan.to_bucket[last_closed_];
  return plan.from_bucket;
}

// Held time is the journey's working time, cut into stretches at every change of holder
// and of the journey's own running state; working time over adjacent stretches adds up to
// the working time over their union, so the buckets always sum to the elapsed time.
void JourneyState::Accrue(const Calendar& calendar, TimeMs at) {
  if (counting_) held_[holder_] += calendar.WorkingTime(since_, at);
  since_ = at;
}

void JourneyState::OnStage(const JourneyPlan& plan, const Calendar& calendar,
                           std::uint8_t position, StageChange change, TimeMs at) {
  Accrue(calendar, at);
  std::uint32_t bit = std::uint32_t{1} << position;
  switch (change) {
    case StageChange::kStarted:
    case StageChange::kResumed:
      running_ |= bit;
      paused_ &= ~bit;
      break;
    case StageChange::kPaused:
      running_ &= ~bit;
      paused_ |= bit;
      break;
    case StageChange::kStopped:
      // Closes come in time order; at the same instant the later stage wins.
      if (last_closed_ == kNone || at > last_close_at_ || position > last_closed_) {
        last_closed_ = position;
        last_close_at_ = at;
      }
      [[fallthrough]];
    case StageChange::kCancelled:
      running_ &= ~bit;
      paused_ &= ~bit;
      break;
    case StageChange::kBreached:
      // Breaches come in time order; at the same instant the earlier stage wins.
      if (first_breach_ == kNone || (at == first_breach_at_ && position < first_breach_)) {
        first_breach_ = position;
        first_breach_at_ = at;
      }
      return;  // a breach does not change who holds the order
  }
  std::uint8_t holder = Holder(plan);
  if (holder == holder_) return;
  if (at > holder_since_) {
    holder_before_ = holder_;
    holder_since_ = at;
  }
  holder_ = holder;
}

void JourneyState::OnPause(const Calendar& calendar, TimeMs at) {
  Accrue(calendar, at);
  counting_ = false;
}

void JourneyState::OnResume(TimeMs at) {
  since_ = at;
  counting_ = true;
}

void JourneyState::OnClose(const Calendar& calendar, TimeMs at) {
  Accrue(calendar, at);
  counting_ = false;
}

void JourneyState::OnBreach(const JourneyPlan& plan, TimeMs at,
                            std::span<const std::uint8_t> breaching_now) {
  // The baton is the holder after every event before `at`: the changes at `at` itself, if
  // any, are undone by taking the holder from before them.
  baton_ = holder_since_ == at ? holder_before_ : holder_;
  std::uint8_t first = first_breach_;
  TimeMs first_at = first_breach_at_;
  for (std::uint8_t position : breaching_now) {
    if (first == kNone || at < first_at || (at == first_at && position < first)) {
      first = position;
      first_at = at;
    }
  }
  first_late_stage_ =
      first == kNone ? static_cast<std::uint8_t>(plan.owner_bucket.size()) : first;
}

std::vector<DurationMs> JourneyState::HeldAt(const Calendar& calendar, TimeMs now) const {
  std::vector<DurationMs> held(held_.get(), held_.get() + buckets_);
  if (counting_) held[holder_] += calendar.WorkingTime(since_, now);
  return held;
}

JourneyState::Saved JourneyState::Save() const {
  return Saved{.since = since_,
               .holder_since = holder_since_,
               .last_close_at = last_close_at_,
               .first_breach_at = first_breach_at_,
               .running = running_,
               .paused = paused_,
               .holder = holder_,
               .holder_before = holder_before_,
               .last_closed = last_closed_,
               .first_breach = first_breach_,
               .baton = baton_,
               .first_late_stage = first_late_stage_,
               .counting = counting_,
               .held = std::vector<DurationMs>(held_.get(), held_.get() + buckets_)};
}

std::optional<JourneyState> JourneyState::Restore(const JourneyPlan& plan, const Saved& saved) {
  std::size_t stages = plan.owner_bucket.size();
  std::uint32_t stage_bits = stages >= 32 ? UINT32_MAX : (std::uint32_t{1} << stages) - 1;
  auto bucket_or_none = [&](std::uint8_t b) { return b == kNone || b < plan.buckets.size(); };
  auto stage_or_none = [&](std::uint8_t s) { return s == kNone || s < stages; };
  if (saved.held.size() != plan.buckets.size() || (saved.running & ~stage_bits) != 0 ||
      (saved.paused & ~stage_bits) != 0 || saved.holder >= plan.buckets.size() ||
      saved.holder_before >= plan.buckets.size() || !stage_or_none(saved.last_closed) ||
      !stage_or_none(saved.first_breach) || !bucket_or_none(saved.baton) ||
      !(saved.first_late_stage == kNone || saved.first_late_stage <= stages)) {
    return std::nullopt;
  }
  JourneyState state(plan, saved.since);
  state.holder_since_ = saved.holder_since;
  state.last_close_at_ = saved.last_close_at;
  state.first_breach_at_ = saved.first_breach_at;
  state.running_ = saved.running;
  state.paused_ = saved.paused;
  state.holder_ = saved.holder;
  state.holder_before_ = saved.holder_before;
  state.last_closed_ = saved.last_closed;
  state.first_breach_ = saved.first_breach;
  state.baton_ = saved.baton;
  state.first_late_stage_ = saved.first_late_stage;
  state.counting_ = saved.counting;
  std::copy(saved.held.begin(), saved.held.end(), state.held_.get());
  return state;
}

JourneyTracker::JourneyTracker(const std::vector<SlaDefinition>& slas)
    : plans_(slas.size()), stage_of_(slas.size()) {
  bool any = false;
  for (std::size_t sla = 0; sla < slas.size(); ++sla) {
    if (!slas[sla].is_journey()) continue;
    any = true;
    plans_[sla] = JourneyPlan::Of(slas, sla);
    for (std::size_t position = 0; position < slas[sla].stage_slas.size(); ++position) {
      stage_of_[slas[sla].stage_slas[position]].push_back(
          {static_cast<std::uint16_t>(sla), static_cast<std::uint8_t>(position)});
    }
  }
  if (!any) return;  // Involved() stays false without a look at any table
  involved_.resize(slas.size());
  for (std::size_t sla = 0; sla < slas.size(); ++sla) {
    involved_[sla] = slas[sla].is_journey() || !stage_of_[sla].empty();
  }
}

JourneyState* JourneyTracker::Find(Slot slot) {
  return slot < index_.size() && index_[slot] != kNoIndex ? &states_[index_[slot]] : nullptr;
}

const JourneyState* JourneyTracker::Find(Slot slot) const {
  return slot < index_.size() && index_[slot] != kNoIndex ? &states_[index_[slot]] : nullptr;
}

JourneyState& JourneyTracker::Begin(Slot slot, JourneyState state) {
  if (JourneyState* existing = Find(slot)) return *existing = std::move(state);
  if (slot >= index_.size()) index_.resize(slot + 1, kNoIndex);
  if (free_.empty()) {
    index_[slot] = static_cast<std::uint32_t>(states_.size());
    states_.push_back(std::move(state));
  } else {
    index_[slot] = free_.back();
    free_.pop_back();
    states_[index_[slot]] = std::move(state);
  }
  return states_[index_[slot]];
}

void JourneyTracker::Erase(Slot slot) {
  if (Find(slot) == nullptr) return;
  free_.push_back(index_[slot]);
  index_[slot] = kNoIndex;
}

std::size_t JourneyTracker::MemoryBytes() const {
  std::size_t held = 0;
  for (const JourneyState& state : states_) held += state.MemoryBytes() - sizeof(JourneyState);
  return index_.capacity() * sizeof(std::uint32_t) + states_.capacity() * sizeof(JourneyState) +
         held + free_.capacity() * sizeof(std::uint32_t);
}

}  // namespace handoff
