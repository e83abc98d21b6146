#include "handlers/journey_tracker.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace handoff {
namespace {

// Room for one more element, growing by a quarter rather than doubling: the slack a
// doubling vector keeps (a third on average) would be most of a journey's cost.
template <typename T>
void GrowGently(std::vector<T>& v, std::size_t more = 1) {
  if (v.size() + more > v.capacity()) v.reserve(std::max(v.size() + more, v.size() + v.size() / 4 + 16));
}

}  // namespace

std::optional<StageChange> StageChangeOf(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kStarted: return StageChange::kStarted;
    case DecisionKind::kPaused: return StageChange::kPaused;
    case DecisionKind::kResumed: return StageChange::kResumed;
    case DecisionKind::kMet:
    case DecisionKind::kResolved: return StageChange::kStopped;
    case DecisionKind::kCancelled: return StageChange::kCancelled;
    case DecisionKind::kBreached: return StageChange::kBreached;
    case DecisionKind::kWarning: break;
  }
  return std::nullopt;
}

JourneyFacts JourneyFacts::StartedAt(const JourneyPlan& plan, TimeMs at) {
  return JourneyFacts{.since = at,
                      .running = 0,
                      .paused = 0,
                      .holder = plan.from_bucket,
                      .holder_before = plan.from_bucket,
                      .last_closed = kNone,
                      .first_breach = kNone,
                      .baton = kNone,
                      .first_late_stage = kNone,
                      .flags = kCounting,
                      .buckets = static_cast<std::uint8_t>(plan.buckets.size())};
}

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

// Who holds the order: the owner of the last stage with an open instance that is not
// paused; else `paused` if one is paused; else the `to` of the stage instance that closed
// last as met or breached; else the journey's `from`.
std::uint8_t JourneyState::Holder(const JourneyPlan& plan) const {
  if (f_->running != 0) return plan.owner_bucket[std::bit_width(f_->running) - 1];
  if (f_->paused != 0) return plan.paused_bucket();
  if (f_->last_closed != JourneyFacts::kNone) return plan.to_bucket[f_->last_closed];
  return plan.from_bucket;
}

// Held time is the journey's working time, cut into stretches at every change of holder
// and of the journey's own running state; working time over adjacent stretches adds up to
// the working time over their union, so the buckets always sum to the elapsed time.
void JourneyState::Accrue(const Calendar& calendar, TimeMs at) {
  if (at <= f_->since) return;
  if (f_->flags & JourneyFacts::kCounting) held_[f_->holder] += calendar.WorkingTime(f_->since, at);
  f_->since = at;
  f_->holder_before = f_->holder;  // a new instant: the holder so far is the one before it
  f_->flags &= ~(JourneyFacts::kClosedAtSince | JourneyFacts::kBreachedAtSince);
}

void JourneyState::OnStage(const JourneyPlan& plan, const Calendar& calendar,
                           std::uint8_t position, StageChange change, TimeMs at) {
  Accrue(calendar, at);
  std::uint32_t bit = std::uint32_t{1} << position;
  switch (change) {
    case StageChange::kStarted:
    case StageChange::kResumed:
      f_->running |= bit;
      f_->paused &= ~bit;
      break;
    case StageChange::kPaused:
      f_->running &= ~bit;
      f_->paused |= bit;
      break;
    case StageChange::kStopped:
      // Closes come in time order; at the same instant the later stage wins.
      if (!(f_->flags & JourneyFacts::kClosedAtSince) || position > f_->last_closed) {
        f_->last_closed = position;
        f_->flags |= JourneyFacts::kClosedAtSince;
      }
      [[fallthrough]];
    case StageChange::kCancelled:
      f_->running &= ~bit;
      f_->paused &= ~bit;
      break;
    case StageChange::kBreached:
      // Breaches come in time order; at the same instant the earlier stage wins.
      if (f_->first_breach == JourneyFacts::kNone ||
          ((f_->flags & JourneyFacts::kBreachedAtSince) && position < f_->first_breach)) {
        f_->first_breach = position;
        f_->flags |= JourneyFacts::kBreachedAtSince;
      }
      return;  // a breach does not change who holds the order
  }
  f_->holder = Holder(plan);
}

void JourneyState::OnPause(const Calendar& calendar, TimeMs at) {
  Accrue(calendar, at);
  f_->flags &= ~JourneyFacts::kCounting;
}

void JourneyState::OnResume(const Calendar& calendar, TimeMs at) {
  Accrue(calendar, at);  // counts nothing: paused until now
  f_->flags |= JourneyFacts::kCounting;
}

void JourneyState::OnClose(const Calendar& calendar, TimeMs at) {
  Accrue(calendar, at);
  f_->flags &= ~JourneyFacts::kCounting;
}

void JourneyState::OnBreach(const JourneyPlan& plan, TimeMs at,
                            std::span<const std::uint8_t> breaching_now) {
  // The baton is the holder after every event before `at`: if anything changed at `at`
  // itself, that is the holder from before the instant.
  f_->baton = f_->since == at ? f_->holder_before : f_->holder;
  std::uint8_t first = f_->first_breach;
  bool first_now = first != JourneyFacts::kNone && f_->since == at &&
                   (f_->flags & JourneyFacts::kBreachedAtSince);
  for (std::uint8_t position : breaching_now) {
    if (first == JourneyFacts::kNone || (first_now && position < first)) {
      first = position;
      first_now = true;
    }
  }
  f_->first_late_stage =
      first == JourneyFacts::kNone ? static_cast<std::uint8_t>(plan.owner_bucket.size()) : first;
}

std::vector<DurationMs> JourneyState::HeldAt(const Calendar& calendar, TimeMs now) const {
  std::vector<DurationMs> held(held_.begin(), held_.end());
  if (f_->flags & JourneyFacts::kCounting) held[f_->holder] += calendar.WorkingTime(f_->since, now);
  return held;
}

JourneyTracker::JourneyTracker(const std::vector<SlaDefinition>& slas)
    : plans_(slas.size()), stage_of_(slas.size()) {
  for (std::size_t sla = 0; sla < slas.size(); ++sla) {
    if (!slas[sla].is_journey()) continue;
    plans_[sla] = JourneyPlan::Of(slas, sla);
    stride_ = std::max(stride_, plans_[sla].buckets.size());
    for (std::size_t position = 0; position < slas[sla].stage_slas.size(); ++position) {
      stage_of_[slas[sla].stage_slas[position]].push_back(
          {static_cast<std::uint16_t>(sla), static_cast<std::uint8_t>(position)});
    }
  }
  if (stride_ == 0) return;  // no journey: Involved() stays false without a look at a table
  involved_.resize(slas.size());
  for (std::size_t sla = 0; sla < slas.size(); ++sla) {
    involved_[sla] = slas[sla].is_journey() || !stage_of_[sla].empty();
  }
}

// A view into the tracker's tables; the const overload's view is const, so it only reads.
std::optional<JourneyState> JourneyTracker::StateAt(std::uint32_t index) const {
  auto* facts = const_cast<JourneyFacts*>(&facts_[index]);
  auto* held = const_cast<DurationMs*>(held_.data() + std::size_t{index} * stride_);
  return JourneyState(*facts, std::span(held, facts->buckets));
}

std::optional<JourneyState> JourneyTracker::Find(Slot slot) {
  if (slot >= index_.size() || index_[slot] == kNoIndex) return std::nullopt;
  return StateAt(index_[slot]);
}

std::optional<const JourneyState> JourneyTracker::Find(Slot slot) const {
  if (slot >= index_.size() || index_[slot] == kNoIndex) return std::nullopt;
  return StateAt(index_[slot]);
}

JourneyState JourneyTracker::Begin(Slot slot, std::uint16_t journey, TimeMs started_at) {
  if (slot >= index_.size()) {
    GrowGently(index_, slot + 1 - index_.size());
    index_.resize(slot + 1, kNoIndex);
  }
  std::uint32_t& index = index_[slot];
  if (index == kNoIndex && !free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else if (index == kNoIndex) {
    index = static_cast<std::uint32_t>(facts_.size());
    GrowGently(facts_);
    facts_.emplace_back();
    GrowGently(held_, stride_);
    held_.resize(held_.size() + stride_);
  }
  facts_[index] = JourneyFacts::StartedAt(plans_[journey], started_at);
  std::fill_n(held_.begin() + std::size_t{index} * stride_, stride_, DurationMs{0});
  return *StateAt(index);
}

bool JourneyTracker::Restore(Slot slot, std::uint16_t journey, const JourneyFacts& facts,
                             std::span<const DurationMs> held) {
  const JourneyPlan& plan = plans_[journey];
  std::size_t stages = plan.owner_bucket.size();
  std::uint32_t stage_bits = stages >= 32 ? UINT32_MAX : (std::uint32_t{1} << stages) - 1;
  std::size_t buckets = plan.buckets.size();
  auto stage_or_none = [&](std::uint8_t s) { return s == JourneyFacts::kNone || s < stages; };
  if (held.size() != buckets || (facts.running & ~stage_bits) != 0 ||
      (facts.paused & ~stage_bits) != 0 || facts.holder >= buckets ||
      facts.holder_before >= buckets || !stage_or_none(facts.last_closed) ||
      !stage_or_none(facts.first_breach) ||
      !(facts.baton == JourneyFacts::kNone || facts.baton < buckets) ||
      !(facts.first_late_stage == JourneyFacts::kNone || facts.first_late_stage <= stages) ||
      (facts.last_closed == JourneyFacts::kNone && (facts.flags & JourneyFacts::kClosedAtSince)) ||
      facts.flags > (JourneyFacts::kCounting | JourneyFacts::kClosedAtSince |
                     JourneyFacts::kBreachedAtSince)) {
    return false;
  }
  Begin(slot, journey, facts.since);
  std::uint32_t index = index_[slot];
  facts_[index] = facts;
  facts_[index].buckets = static_cast<std::uint8_t>(buckets);
  std::copy(held.begin(), held.end(), held_.begin() + std::size_t{index} * stride_);
  return true;
}

void JourneyTracker::Erase(Slot slot) {
  if (slot >= index_.size() || index_[slot] == kNoIndex) return;
  free_.push_back(index_[slot]);
  index_[slot] = kNoIndex;
}

std::size_t JourneyTracker::MemoryBytes() const {
  return index_.capacity() * sizeof(std::uint32_t) + facts_.capacity() * sizeof(JourneyFacts) +
         held_.capacity() * sizeof(DurationMs) + free_.capacity() * sizeof(std::uint32_t);
}

}  // namespace handoff
