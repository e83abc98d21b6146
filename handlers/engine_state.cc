// SlaEngine::SaveState and RestoreState: the engine's checkpoint encoding. Kept apart from
// the rules in sla_engine.cc; it only copies state out and derives the rest back.
#include <algorithm>
#include <array>
#include <span>

#include "handlers/byte_codec.h"
#include "handlers/sla_engine.h"

namespace handoff {
namespace {

constexpr std::string_view kMagic = "handoff-engine-state";
// 2 adds, per instance, the journey state and the reason of a pause (docs/accountability.md);
// version 1 is still read: its journey instances start their state at the restore.
constexpr std::uint64_t kVersion = 2;
constexpr std::uint64_t kOldestVersion = 1;
// Per instance (version 2): which side states follow.
constexpr std::uint64_t kSideJourney = 1, kSidePause = 2;

void PutEvent(ByteWriter& w, const Event& e) {
  w.PutSigned(e.time);
  w.PutString(e.id);
  w.PutString(e.type);
  w.PutString(e.key);
  w.PutUnsigned(e.attributes.size());
  for (const auto& a : e.attributes) {
    w.PutUnsigned(a ? 1 : 0);
    if (a) w.PutString(*a);
  }
}

bool GetEvent(ByteReader& r, Event& e) {
  std::uint64_t count = 0;
  if (!r.GetSigned(e.time) || !r.GetString(e.id) || !r.GetString(e.type) || !r.GetString(e.key) ||
      !r.GetUnsigned(count) || count > 1024) {
    return false;
  }
  e.attributes.resize(count);
  for (auto& a : e.attributes) {
    std::uint64_t present = 0;
    if (!r.GetUnsigned(present)) return false;
    if (present) {
      a.emplace();
      if (!r.GetString(*a)) return false;
    }
  }
  return true;
}

void PutJourney(ByteWriter& w, const JourneyState& journey) {
  const JourneyFacts& f = journey.facts();
  w.PutSigned(f.since);
  for (std::uint64_t v : {std::uint64_t{f.running}, std::uint64_t{f.paused}, std::uint64_t{f.holder},
                          std::uint64_t{f.holder_before}, std::uint64_t{f.last_closed},
                          std::uint64_t{f.first_breach}, std::uint64_t{f.baton},
                          std::uint64_t{f.first_late_stage}, std::uint64_t{f.flags},
                          std::uint64_t{journey.held().size()}}) {
    w.PutUnsigned(v);
  }
  for (DurationMs held : journey.held()) w.PutSigned(held);
}

bool GetJourney(ByteReader& r, JourneyFacts& f, std::vector<DurationMs>& held) {
  std::uint64_t running = 0, paused = 0, count = 0;
  if (!r.GetSigned(f.since) || !r.GetUnsigned(running) || !r.GetUnsigned(paused) ||
      running > UINT32_MAX || paused > UINT32_MAX) {
    return false;
  }
  f.running = static_cast<std::uint32_t>(running);
  f.paused = static_cast<std::uint32_t>(paused);
  for (std::uint8_t* field : {&f.holder, &f.holder_before, &f.last_closed, &f.first_breach,
                              &f.baton, &f.first_late_stage, &f.flags}) {
    std::uint64_t v = 0;
    if (!r.GetUnsigned(v) || v > UINT8_MAX) return false;
    *field = static_cast<std::uint8_t>(v);
  }
  if (!r.GetUnsigned(count) || count > UINT8_MAX) return false;
  held.resize(count);
  for (DurationMs& h : held) {
    if (!r.GetSigned(h)) return false;
  }
  return true;
}

}  // namespace

std::string SlaEngine::SaveState() const {
  ByteWriter w;
  w.Reserve(64 * (instances_.size() + seen_ids_.size() + buffer_.size()) + 256);
  w.PutString(kMagic);
  w.PutUnsigned(kVersion);
  w.PutSigned(frontier_);
  w.PutSigned(max_event_time_);
  for (std::uint64_t v : {stats_.applied, stats_.late, stats_.duplicate, stats_.ignored}) {
    w.PutUnsigned(v);
  }
  w.PutUnsigned(slas_->size());
  for (const SlaDefinition& sla : *slas_) w.PutString(sla.name);

  w.PutUnsigned(buffer_.size());
  for (const Event& event : buffer_) PutEvent(w, event);  // in apply order

  // Every slot not on the free list holds an instance linked into its order; walking the
  // slab in slot order reads memory sequentially.
  w.PutUnsigned(instances_.size() - free_slots_.size());
  for (Slot slot = 0; slot < instances_.size(); ++slot) {
    const Instance& i = instances_[slot];
    if (i.key == KeyArena::kNone) continue;  // a free slot
    w.PutUnsigned(i.sla);
    w.PutString(keys_.Get(i.key));
    w.PutUnsigned(i.cycle);
    w.PutUnsigned(static_cast<std::uint64_t>(i.state));
    for (TimeMs t : {i.started_at, i.running_since, i.elapsed_before, i.deadline, i.target}) {
      w.PutSigned(t);
    }
    w.PutUnsigned(i.warnings_fired);
    w.PutUnsigned(i.breached ? 1 : 0);
    std::optional<const JourneyState> journey = journeys_.Find(slot);
    auto paused = paused_for_.find(slot);
    bool has_pause = paused != paused_for_.end();
    w.PutUnsigned((journey ? kSideJourney : 0) | (has_pause ? kSidePause : 0));
    if (journey) PutJourney(w, *journey);
    if (has_pause) {
      w.PutSigned(paused->second.since);
      w.PutUnsigned(paused->second.reason);
    }
  }

  w.PutUnsigned(seen_ids_.size());
  seen_ids_.ForEach([&w](std::string_view id, TimeMs time) {
    w.PutString(id);
    w.PutSigned(time);
  });
  return w.Take();
}

Result<SlaEngine> SlaEngine::RestoreState(Slas slas, EngineOptions options,
                                          std::string_view state, std::size_t* dropped_open) {
  auto corrupt = [](std::string_view what) {
    return Error{"engine state is corrupt or truncated (" + std::string(what) + ")"};
  };
  ByteReader r(state);
  std::string magic;
  std::uint64_t version = 0;
  if (!r.GetString(magic) || magic != kMagic) return corrupt("not an engine state");
  if (!r.GetUnsigned(version) || version < kOldestVersion || version > kVersion) {
    return Error{"engine state version " + std::to_string(version) +
                 " is not supported (expected " + std::to_string(kOldestVersion) + " to " +
                 std::to_string(kVersion) + ")"};
  }
  SlaEngine engine(slas, options);
  std::uint64_t count = 0;
  if (!r.GetSigned(engine.frontier_) || !r.GetSigned(engine.max_event_time_) ||
      !r.GetUnsigned(engine.stats_.applied) || !r.GetUnsigned(engine.stats_.late) ||
      !r.GetUnsigned(engine.stats_.duplicate) || !r.GetUnsigned(engine.stats_.ignored) ||
      !r.GetUnsigned(count) || count > UINT16_MAX) {
    return corrupt("header");
  }
  // Saved SLA index -> current index, by name; -1 for an SLA no longer configured.
  std::vector<int> sla_map(count, -1);
  for (auto& mapped : sla_map) {
    std::string name;
    if (!r.GetString(name)) return corrupt("SLA names");
    for (std::size_t i = 0; i < slas->size(); ++i) {
      if ((*slas)[i].name == name) mapped = static_cast<int>(i);
    }
  }

  if (!r.GetUnsigned(count)) return corrupt("reorder buffer");
  for (std::uint64_t n = 0; n < count; ++n) {
    Event e;
    if (!GetEvent(r, e)) return corrupt("reorder buffer");
    if (!engine.buffer_.empty() && engine.buffer_.back().time > e.time) {
      return corrupt("reorder buffer order");
    }
    engine.buffer_.push_back(std::move(e));  // saved in apply order
  }

  // Instances and ids are restored in batches: a batch is read first and the table entry
  // each will probe is prefetched, so that their cache misses overlap instead of following
  // one another (restore is bound by them: docs/performance.md).
  constexpr std::size_t kBatch = 16;

  if (!r.GetUnsigned(count) || count > state.size()) return corrupt("instances");
  // An order has at most one instance per SLA.
  engine.orders_.Reserve(count / std::max<std::size_t>(1, slas->size()));
  engine.instances_.reserve(count);
  struct SavedInstance {
    Instance instance;
    std::string_view key;
    std::uint32_t hash;
    std::optional<SavedJourney> journey;
    std::optional<PausedFor> paused;
  };
  std::array<SavedInstance, kBatch> instances;
  // Reads one instance into `saved`: an error, "" for one of a removed SLA, or nullptr.
  auto read_instance = [&](SavedInstance& saved) -> const char* {
    std::uint64_t saved_sla = 0, cycle = 0, state_value = 0, warnings = 0, breached = 0;
    Instance& i = saved.instance;
    i = Instance{};
    if (!r.GetUnsigned(saved_sla) || !r.GetView(saved.key) || !r.GetUnsigned(cycle) ||
        !r.GetUnsigned(state_value) || state_value > static_cast<int>(InstanceState::kCancelled)) {
      return "instance";
    }
    for (TimeMs* t : {&i.started_at, &i.running_since, &i.elapsed_before, &i.deadline, &i.target}) {
      if (!r.GetSigned(*t)) return "instance times";
    }
    if (!r.GetUnsigned(warnings) || !r.GetUnsigned(breached) || breached > 1 ||
        saved_sla >= sla_map.size()) {
      return "instance";
    }
    saved.journey.reset();
    saved.paused.reset();
    std::uint64_t side = 0;
    if (version >= 2 && (!r.GetUnsigned(side) || side > (kSideJourney | kSidePause))) {
      return "instance side state";
    }
    if (side & kSideJourney) {
      SavedJourney& journey = saved.journey.emplace();
      if (!GetJourney(r, journey.facts, journey.held)) return "journey state";
    }
    if (side & kSidePause) {
      std::uint64_t reason = 0;
      PausedFor& paused = saved.paused.emplace();
      if (!r.GetSigned(paused.since) || !r.GetUnsigned(reason) || reason > UINT8_MAX) {
        return "pause reason";
      }
      paused.reason = static_cast<std::uint8_t>(reason);
    }
    i.breached = breached == 1;
    i.state = static_cast<InstanceState>(state_value);
    if (sla_map[saved_sla] < 0) {
      if (dropped_open && IsOpenState(i.state)) ++*dropped_open;
      return "";
    }
    i.sla = static_cast<std::uint16_t>(sla_map[saved_sla]);
    i.cycle = static_cast<std::uint32_t>(cycle);
    i.warnings_fired = static_cast<std::uint8_t>(
        std::min<std::uint64_t>(warnings, (*slas)[i.sla].warn_at.size()));
    saved.hash = OrderTable::Hash(saved.key);
    engine.orders_.Prefetch(saved.hash);
    return nullptr;
  };
  std::vector<Slot> closed;
  for (std::uint64_t n = 0; n < count;) {
    std::size_t size = 0;
    for (; size < kBatch && n < count; ++n) {
      const char* error = read_instance(instances[size]);
      if (error == nullptr) {
        ++size;
      } else if (*error != '\0') {
        return corrupt(error);
      }
    }
    for (const SavedInstance& saved : std::span(instances.data(), size)) {
      Slot slot = engine.AllocateSlot();
      engine.instances_[slot] = saved.instance;
      OrderRef order{.hash = saved.hash, .first = engine.FindOrder(saved.hash, saved.key)};
      engine.LinkInstance(slot, order, saved.key);
      engine.RestoreSideState(slot, saved.journey, saved.paused);
      const Instance& i = engine.instances_[slot];
      if (IsOpenState(i.state)) {
        engine.CountState(i, +1);
        if (i.breached) engine.open_breaches_[i.sla].insert(i.deadline);
        engine.ScheduleNextTimer(slot);
      } else {
        closed.push_back(slot);
      }
    }
  }
  // Closed instances are forgotten in the order they closed.
  std::sort(closed.begin(), closed.end(), [&](Slot a, Slot b) {
    return engine.instances_[a].ended_at() < engine.instances_[b].ended_at();
  });
  for (Slot slot : closed) {
    const Instance& i = engine.instances_[slot];
    engine.forget_queue_.push_back({i.ended_at() + options.retention, slot, i.cycle});
  }
  engine.SeedRestoredJourneys();

  if (!r.GetUnsigned(count) || count > state.size()) return corrupt("dedupe ids");
  // Only a hint: a saved id with its time takes 8 bytes or more (a recent epoch time alone
  // takes 6), and the cap keeps a corrupt count from reserving more than a few times the
  // state's size.
  engine.seen_ids_.Reserve(std::min<std::uint64_t>(count, state.size() / 8));
  struct SavedId {
    std::string_view id;
    TimeMs time;
    std::uint64_t hash;
  };
  std::array<SavedId, kBatch> ids;
  for (std::uint64_t n = 0; n < count;) {
    std::size_t size = 0;
    for (; size < kBatch && n < count; ++n, ++size) {
      SavedId& saved = ids[size];
      if (!r.GetView(saved.id) || !r.GetSigned(saved.time)) return corrupt("dedupe ids");
      saved.hash = SeenIds::Hash(saved.id);
      engine.seen_ids_.Prefetch(saved.hash);
    }
    for (const SavedId& saved : std::span(ids.data(), size)) {
      engine.seen_ids_.TryEmplace(saved.hash, saved.id, saved.time);
    }
  }
  engine.seen_ids_.MarkSwept();
  if (!r.AtEnd()) return corrupt("trailing bytes");
  return engine;
}

}  // namespace handoff
