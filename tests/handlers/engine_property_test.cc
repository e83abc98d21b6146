// Properties of the engine on random event streams (docs/reference/timing.md):
//  1. Any arrival order within `lateness` gives the identical replay report.
//  2. A deliberately simple reference model (events in time order, every open instance
//     checked for a breach before each event; no reorder buffer, no timer index) agrees
//     with the engine on every instance.
#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "handlers/json_writer.h"
#include "handlers/replay_report.h"
#include "handlers/sla_engine.h"
#include "tests/fakes/random_events.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

std::string ToLine(const Event& e) {
  JsonWriter json;
  json.BeginObject();
  json.Key("id").String(e.id).Key("type").String(e.type).Key("time").Time(e.time);
  json.Key("subject").String(e.key).Key("data").BeginObject();
  const char* names[] = {"from", "to", "customer_tier"};
  for (std::size_t i = 0; i < e.attributes.size(); ++i) {
    if (e.attributes[i]) json.Key(names[i]).String(*e.attributes[i]);
  }
  json.EndObject().EndObject();
  return json.Take();
}

std::string Replay(const std::vector<Event>& events) {
  ReplayOptions options{.format = {}, .engine = kOptions, .instances = true};
  options.format.attributes = {
      {"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/customer_tier"}};
  ReplayReport replay(Slas({TieredSla()}), options);
  for (const Event& e : events) replay.AddLine(ToLine(e));
  return replay.Finish();
}

TEST(EngineProperty, ArrivalOrderWithinLatenessDoesNotChangeTheReport) {
  std::mt19937 rng(20261127);
  for (int round = 0; round < 200; ++round) {
    std::vector<Event> events = RandomStream(rng, 60);
    std::string expected = Replay(events);
    for (int shuffle = 0; shuffle < 5; ++shuffle) {
      ASSERT_EQ(Replay(ShuffledWithinLateness(events, rng)), expected)
          << "round " << round << " shuffle " << shuffle;
    }
  }
}

// --- The reference model --------------------------------------------------------------

struct RefInstance {
  std::uint32_t cycle = 0;
  bool open = false;
  bool paused = false;
  TimeMs started_at = kNoTime, running_since = kNoTime, breached_at = kNoTime,
         ended_at = kNoTime, deadline_at_close = kNoTime;
  DurationMs elapsed_before = 0, target = 0;
  InstanceState outcome = InstanceState::kRunning;

  TimeMs Deadline() const {
    if (breached_at != kNoTime) return breached_at;
    return paused ? kNoTime : running_since + target - elapsed_before;
  }
  DurationMs Elapsed(TimeMs now) const {
    return elapsed_before + (open && !paused ? now - running_since : 0);
  }
};

using Row = std::tuple<std::string, std::uint32_t, InstanceState, TimeMs, TimeMs, TimeMs, TimeMs,
                       DurationMs>;

Row RowOf(const InstanceSnapshot& s) {
  return {s.key, s.cycle, s.state, s.started_at, s.deadline, s.breached_at, s.ended_at, s.elapsed};
}

// Events in time order, all of them; before each, every running instance whose deadline
// is strictly earlier breaches (events at the deadline apply first).
std::vector<Row> ReferenceModel(std::vector<Event> events, std::uint64_t* ignored) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  SlaDefinition sla = TieredSla();
  std::map<std::string, RefInstance> current;
  std::vector<Row> rows;
  std::set<std::string> seen;
  auto breach_before = [&](TimeMs t, bool inclusive) {
    for (auto& [key, inst] : current) {
      if (!inst.open || inst.paused || inst.breached_at != kNoTime) continue;
      TimeMs d = inst.Deadline();
      if (d < t || (inclusive && d == t)) inst.breached_at = d;
    }
  };
  auto snapshot = [&](const std::string& key, const RefInstance& i, TimeMs now) {
    InstanceState state = i.open ? (i.paused ? InstanceState::kPaused
                                             : (i.breached_at != kNoTime ? InstanceState::kOverdue
                                                                         : InstanceState::kRunning))
                                 : i.outcome;
    TimeMs deadline = i.open ? i.Deadline() : i.deadline_at_close;
    return InstanceSnapshot{.sla = 0, .key = key, .cycle = i.cycle, .state = state,
                            .started_at = i.started_at, .deadline = deadline,
                            .breached_at = i.breached_at, .ended_at = i.ended_at,
                            .elapsed = i.Elapsed(now), .target = i.target};
  };
  TimeMs last = kNoTime;
  for (const Event& e : events) {
    if (!seen.insert(e.id).second) continue;
    last = std::max(last, e.time);
    breach_before(e.time, false);
    RefInstance& inst = current[e.key];
    TimeMs t = e.time;
    auto close = [&](InstanceState outcome) {
      inst.deadline_at_close = inst.Deadline();
      inst.elapsed_before = inst.Elapsed(t);
      inst.ended_at = t;
      inst.outcome = outcome;
      inst.open = false;
      rows.push_back(RowOf(snapshot(e.key, inst, t)));
    };
    bool matched = false;
    if (sla.cancel->Matches(e)) {
      matched = true;
      if (inst.open) { close(InstanceState::kCancelled); continue; }
    }
    if (sla.stop.Matches(e)) {
      matched = true;
      if (inst.open) {
        close(inst.breached_at != kNoTime ? InstanceState::kBreached : InstanceState::kMet);
        continue;
      }
    }
    if (sla.pause->Matches(e)) {
      matched = true;
      if (inst.open && !inst.paused) {
        inst.elapsed_before = inst.Elapsed(t);
        inst.paused = true;
        continue;
      }
    }
    if (sla.resume->Matches(e)) {
      matched = true;
      if (inst.open && inst.paused) {
        inst.paused = false;
        inst.running_since = t;
        continue;
      }
    }
    if (sla.start.Matches(e)) {
      matched = true;
      if (!inst.open) {
        DurationMs target = e.attributes[kTier] == "gold" ? 30 * kMinute : kHour;
        inst = RefInstance{.cycle = inst.cycle + 1, .open = true, .paused = false,
                           .started_at = t, .running_since = t, .breached_at = kNoTime,
                           .ended_at = kNoTime, .elapsed_before = 0, .target = target};
        continue;
      }
    }
    if (matched) ++*ignored;
  }
  breach_before(last, true);
  for (const auto& [key, inst] : current) {
    if (inst.open) rows.push_back(RowOf(snapshot(key, inst, last)));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(EngineProperty, AgreesWithBruteForceReferenceModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<Event> events = RandomStream(rng, 80);
    std::vector<Event> arrival = ShuffledWithinLateness(events, rng);

    SlaEngine engine(Slas({TieredSla()}), kOptions);
    std::vector<Decision> decisions;
    TimeMs last = kNoTime;
    for (Event& e : arrival) {
      TimeMs t = e.time;
      if (engine.Offer(std::move(e), decisions) != SlaEngine::Admission::kDuplicate) {
        last = std::max(last, t);
      }
    }
    engine.AdvanceFrontier(last, decisions);
    std::vector<Row> rows;
    for (const Decision& d : decisions) {
      if (d.kind == DecisionKind::kMet || d.kind == DecisionKind::kResolved ||
          d.kind == DecisionKind::kCancelled) {
        rows.push_back(RowOf(d.instance));
      }
    }
    engine.VisitOpenInstances([&](const InstanceSnapshot& s) { rows.push_back(RowOf(s)); });
    std::sort(rows.begin(), rows.end());

    std::uint64_t ignored = 0;
    ASSERT_EQ(rows, ReferenceModel(events, &ignored)) << "round " << round;
    ASSERT_EQ(engine.stats().ignored, ignored) << "round " << round;
    ASSERT_EQ(engine.stats().late, 0u);
  }
}

}  // namespace
}  // namespace handoff
