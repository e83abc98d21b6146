#include "daemon/host/engine_host.h"

#include <algorithm>

namespace handoff {

EngineHost::EngineHost(std::shared_ptr<const Config> config)
    : config_(std::move(config)),
      slas_(std::make_shared<const std::vector<SlaDefinition>>(config_->slas)) {}

EngineOptions EngineOptionsOf(const Config& config) {
  return EngineOptions{.lateness = config.time.lateness,
                       .dedupe_window = config.time.dedupe_window,
                       .retention = config.time.retention};
}

void EngineHost::Assign(std::int32_t partition) {
  partitions_.try_emplace(partition, SlaEngine(slas_, EngineOptionsOf(*config_)));
}

Status EngineHost::Restore(std::int32_t partition, std::string_view state) {
  std::size_t dropped = 0;
  auto engine = RestoreEngine(basis(), state, &dropped);
  if (!engine) return engine.error();
  return Install(partition, std::move(engine).value(), basis(), dropped);
}

Result<SlaEngine> EngineHost::RestoreEngine(const Basis& basis, std::string_view state,
                                            std::size_t* dropped_open) {
  return SlaEngine::RestoreState(basis.slas, EngineOptionsOf(*basis.config), state, dropped_open);
}

Status EngineHost::Install(std::int32_t partition, SlaEngine engine, const Basis& built_under,
                           std::size_t dropped_open) {
  if (built_under.config != config_ || built_under.slas != slas_) {
    // A reload came while the engine was restored elsewhere: it missed Reconfigure.
    auto rehomed =
        SlaEngine::RestoreState(slas_, EngineOptionsOf(*config_), engine.SaveState(), &dropped_open);
    if (!rehomed) return rehomed.error();
    engine = std::move(rehomed).value();
  }
  dropped_open_instances_ += dropped_open;
  partitions_.erase(partition);
  partitions_.try_emplace(partition, std::move(engine));
  return {};
}

Result<std::size_t> EngineHost::Reconfigure(std::shared_ptr<const Config> config) {
  auto slas = std::make_shared<const std::vector<SlaDefinition>>(config->slas);
  // Rebuild every partition's engine before replacing any, so a failure changes nothing.
  // The per-partition bookkeeping (idle, caught up, lag) stays as it is.
  std::vector<SlaEngine> rebuilt;
  std::size_t dropped = 0;
  for (const auto& [partition, state] : partitions_) {
    auto engine =
        SlaEngine::RestoreState(slas, EngineOptionsOf(*config), state.engine.SaveState(), &dropped);
    if (!engine) {
      return Error{"partition " + std::to_string(partition) + ": " + engine.error().message};
    }
    rebuilt.push_back(std::move(engine).value());
  }
  auto next = rebuilt.begin();
  for (auto& [_, state] : partitions_) state.engine = std::move(*next++);
  if (attachment_ != nullptr) attachment_->Rehome(config_->slas, config->slas);
  config_ = std::move(config);
  slas_ = std::move(slas);
  dropped_open_instances_ += dropped;
  return dropped;
}

void EngineHost::Revoke(std::int32_t partition) {
  if (partitions_.erase(partition) > 0 && attachment_ != nullptr) attachment_->Forget(partition);
}

void EngineHost::Offer(std::span<std::pair<std::int32_t, Event>> events, TimeMs wall_now) {
  constexpr std::size_t kOfferAhead = 8;  // ~the misses a core keeps in flight
  offer_targets_.clear();
  Partition* target = nullptr;  // consecutive events mostly share a partition
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i == 0 || events[i].first != events[i - 1].first) {
      auto it = partitions_.find(events[i].first);
      target = it == partitions_.end() ? nullptr : &it->second;
    }
    offer_targets_.push_back(target);
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::size_t ahead = i + kOfferAhead;
    if (ahead < events.size() && offer_targets_[ahead] != nullptr) {
      offer_targets_[ahead]->engine.Prefetch(events[ahead].second);
    }
    Partition* state = offer_targets_[i];
    if (state == nullptr) continue;  // revoked while the record was in flight
    state->last_event_wall = wall_now;
    Run(events[i].first, *state, [&](SlaEngine& engine, std::vector<Decision>& out) {
      engine.Offer(std::move(events[i].second), out);
    });
  }
}

void EngineHost::Offer(std::int32_t partition, Event event, TimeMs wall_now) {
  std::pair<std::int32_t, Event> one{partition, std::move(event)};
  Offer(std::span(&one, 1), wall_now);
}

void EngineHost::SetCaughtUp(std::int32_t partition, bool caught_up) {
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) it->second.caught_up = caught_up;
}

void EngineHost::SetLag(std::int32_t partition, const std::string& topic, std::int64_t lag) {
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) it->second.lag[topic] = lag;
}

TimeMs EngineHost::Tick(TimeMs wall_now) {
  const DurationMs lateness = config_->time.lateness;
  const DurationMs idle_timeout = config_->time.idle_timeout;
  if (stall_ > 0 && last_tick_ != kNoTime && wall_now - last_tick_ > stall_) {
    wall_clock_held_until_ = wall_now + stall_hold_;
  }
  last_tick_ = wall_now;
  const bool held = wall_now < wall_clock_held_until_;
  TimeMs wake = held ? wall_clock_held_until_ : kEndOfTime;
  for (auto& [partition, state] : partitions_) {
    // Not idle at once after an assignment: a backlog that arrives a moment later would
    // otherwise find the frontier at wall clock - lateness and apply entirely as late.
    if (state.assigned_wall == kNoTime) {
      // An event offered since the assignment already marks a moment after it.
      state.assigned_wall = state.last_event_wall != kNoTime ? state.last_event_wall : wall_now;
    }
    if (!state.caught_up || held) continue;
    TimeMs idle_at = std::max(state.last_event_wall, state.assigned_wall) + idle_timeout;
    if (wall_now >= idle_at) {
      Run(partition, state, [&](SlaEngine& engine, std::vector<Decision>& out) {
        engine.AdvanceFrontier(wall_now - lateness, out);
      });
      TimeMs next_due = state.engine.NextTimerDue();
      if (next_due != kNoTime) wake = std::min(wake, next_due + lateness);
    } else {
      wake = std::min(wake, idle_at);
    }
  }
  return wake;
}

void EngineHost::Run(std::int32_t partition, Partition& state,
                     const std::function<void(SlaEngine&, std::vector<Decision>&)>& step) {
  EngineStats before = state.engine.stats();
  decisions_.clear();
  step(state.engine, decisions_);
  const EngineStats& after = state.engine.stats();
  totals_.applied += after.applied - before.applied;
  totals_.late += after.late - before.late;
  totals_.duplicate += after.duplicate - before.duplicate;
  totals_.ignored += after.ignored - before.ignored;
  if (decisions_.empty()) return;
  for (DecisionSink* sink : sinks_) sink->OnDecisions(partition, decisions_);
}

OpenCounts EngineHost::open_counts(std::size_t sla) const {
  OpenCounts sum;
  for (const auto& [_, state] : partitions_) {
    const OpenCounts& c = state.engine.open_counts(sla);
    sum.running += c.running;
    sum.paused += c.paused;
    sum.overdue += c.overdue;
  }
  return sum;
}

void EngineHost::VisitOpenInstances(
    const std::function<void(std::int32_t, const InstanceSnapshot&)>& visit) const {
  // Not a structured binding: clang 14 (the fuzz build's compiler) cannot capture one.
  for (const auto& entry : partitions_) {
    const std::int32_t partition = entry.first;
    entry.second.engine.VisitOpenInstances(
        [&](const InstanceSnapshot& snapshot) { visit(partition, snapshot); });
  }
}

}  // namespace handoff
