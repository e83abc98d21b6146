// Checkpoint encoding of the engine (docs/durability.md): a restored engine continues exactly as
// one that never stopped, and damaged state is reported, never trusted.
#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "handlers/sla_engine.h"
#include "tests/fakes/journey_builder.h"
#include "tests/fakes/random_events.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

using Row = std::tuple<int, std::string, std::uint32_t, InstanceState, TimeMs, TimeMs, TimeMs,
                       TimeMs, DurationMs, TimeMs, double>;

Row RowOf(const Decision& d) {
  const InstanceSnapshot& s = d.instance;
  return {static_cast<int>(d.kind), s.key,        s.cycle,   s.state, s.started_at, s.deadline,
          s.breached_at,            s.ended_at,   s.elapsed, d.at,    d.threshold};
}

std::vector<Row> Sorted(const std::vector<Decision>& decisions) {
  std::vector<Row> rows;
  for (const Decision& d : decisions) rows.push_back(RowOf(d));
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<Row> OpenRows(const SlaEngine& engine) {
  std::vector<Decision> open;
  engine.VisitOpenInstances([&](const InstanceSnapshot& s) {
    Decision d;
    d.instance = s;
    open.push_back(std::move(d));
  });
  return Sorted(open);
}

// Feeds `arrival` to one engine without a break and to another saved and restored at a
// random event, then moves both a day past the last event; `check` compares the decisions
// after the split and the two engines.
template <typename Check>
void RestoreAtRandomSplit(const SlaEngine::Slas& slas, const std::vector<Event>& arrival,
                          std::mt19937& rng, Check check) {
  std::size_t split = rng() % arrival.size();
  SlaEngine uninterrupted(slas, kOptions);
  SlaEngine before(slas, kOptions);
  std::vector<Decision> expected, ignored_output, actual;
  for (std::size_t i = 0; i < arrival.size(); ++i) {
    uninterrupted.Offer(arrival[i], i < split ? ignored_output : expected);
    if (i < split) before.Offer(arrival[i], ignored_output);
  }
  auto restored = SlaEngine::RestoreState(slas, kOptions, before.SaveState());
  ASSERT_TRUE(restored) << restored.error().message;
  SlaEngine after = std::move(restored).value();
  for (std::size_t i = split; i < arrival.size(); ++i) after.Offer(arrival[i], actual);
  TimeMs end = arrival.back().time + kDay;
  uninterrupted.AdvanceFrontier(end, expected);
  after.AdvanceFrontier(end, actual);
  check(expected, actual, uninterrupted, after, split);
}

TEST(EngineState, RestoredEngineContinuesAsIfNeverStopped) {
  std::mt19937 rng(99);
  auto slas = Slas({TieredSla()});
  for (int round = 0; round < 100; ++round) {
    std::vector<Event> arrival = ShuffledWithinLateness(RandomStream(rng, 80), rng);
    RestoreAtRandomSplit(slas, arrival, rng, [&](const std::vector<Decision>& expected,
                                                 const std::vector<Decision>& actual,
                                                 const SlaEngine& uninterrupted,
                                                 const SlaEngine& after, std::size_t split) {
      ASSERT_EQ(Sorted(actual), Sorted(expected)) << "round " << round << " split " << split;
      ASSERT_EQ(OpenRows(after), OpenRows(uninterrupted));
      ASSERT_EQ(after.stats().applied, uninterrupted.stats().applied);
      ASSERT_EQ(after.stats().duplicate, uninterrupted.stats().duplicate);
      ASSERT_EQ(after.stats().ignored, uninterrupted.stats().ignored);
      ASSERT_EQ(after.frontier(), uninterrupted.frontier());
      ASSERT_EQ(after.open_instances(), uninterrupted.open_instances());
    });
  }
}

TEST(EngineState, KeepsBufferedEventsAndDedupeIds) {
  auto slas = Slas({AcceptSla(kHour)});
  SlaEngine engine(slas, EngineOptions{.lateness = kMinute});
  std::vector<Decision> out;
  engine.Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"), out);
  ASSERT_EQ(engine.pending(), 1u);
  auto restored = SlaEngine::RestoreState(slas, EngineOptions{.lateness = kMinute},
                                          engine.SaveState());
  ASSERT_TRUE(restored);
  SlaEngine& copy = restored.value();
  EXPECT_EQ(copy.pending(), 1u);
  EXPECT_EQ(copy.Offer(Requested("e1", T("2026-11-27T10:00:30Z"), "o"), out),
            SlaEngine::Admission::kDuplicate);
  copy.AdvanceFrontier(T("2026-11-27T10:00:00Z"), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, DecisionKind::kStarted);
}

TEST(EngineState, InstancesOfRemovedSlasAreDroppedAndCounted) {
  SlaDefinition kept = AcceptSla(kHour);
  SlaDefinition removed = AcceptSla(2 * kHour);
  removed.name = "removed";
  SlaEngine engine(Slas({kept, removed}), EngineOptions{.lateness = 0});
  std::vector<Decision> out;
  engine.Offer(Requested("e1", T("2026-11-27T10:00:00Z"), "o"), out);
  ASSERT_EQ(engine.open_instances(), 2u);

  SlaDefinition changed = kept;
  changed.target = 3 * kHour;  // applies to new instances only
  std::size_t dropped = 0;
  auto restored = SlaEngine::RestoreState(Slas({changed}), EngineOptions{.lateness = 0},
                                          engine.SaveState(), &dropped);
  ASSERT_TRUE(restored);
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(restored->open_instances(), 1u);
  std::optional<InstanceSnapshot> open;
  restored->VisitOpenInstances([&](const InstanceSnapshot& s) { open = s; });
  ASSERT_TRUE(open);
  EXPECT_EQ(open->deadline, T("2026-11-27T11:00:00Z"));
}

// Saves the state `events` leave, then checks that every truncation of it is refused and
// that 2000 single-byte damages are refused or restore an engine that still runs a day
// on. Returns the intact state.
std::string ExpectDamageRefusedOrHarmless(const SlaEngine::Slas& slas, std::vector<Event> events,
                                          std::mt19937& rng) {
  SlaEngine engine(slas, kOptions);
  std::vector<Decision> out;
  for (Event& e : events) engine.Offer(std::move(e), out);
  std::string state = engine.SaveState();
  EXPECT_TRUE(SlaEngine::RestoreState(slas, kOptions, state));
  for (std::size_t size = 0; size < state.size(); ++size) {
    EXPECT_FALSE(SlaEngine::RestoreState(slas, kOptions, state.substr(0, size))) << size;
  }
  for (int i = 0; i < 2000; ++i) {
    std::string damaged = state;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    auto restored = SlaEngine::RestoreState(slas, kOptions, damaged);  // may parse
    if (!restored) continue;
    SlaEngine engine_after = std::move(restored).value();
    engine_after.AdvanceFrontier(engine_after.frontier() + kDay, out);  // must not crash
  }
  return state;
}

TEST(EngineState, TruncatedOrDamagedStateIsAnErrorNeverACrash) {
  std::mt19937 rng(5);
  auto slas = Slas({TieredSla()});
  std::string state = ExpectDamageRefusedOrHarmless(slas, RandomStream(rng, 40), rng);
  std::string wrong_version = state;
  wrong_version[21] = 9;  // the byte after the magic string
  auto result = SlaEngine::RestoreState(slas, kOptions, wrong_version);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("version 9"), std::string::npos)
      << result.error().message;
}

// A checkpoint written by version 1 (before journeys; tests/testdata/checkpoint/README.md)
// restores, and continues exactly as an engine fed the same events.
TEST(EngineState, ReadsVersionOneCheckpoints) {
  std::ifstream in(std::string(HANDOFF_SOURCE_DIR) + "/tests/testdata/checkpoint/engine_state_v1.bin",
                   std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  ASSERT_FALSE(bytes.str().empty());
  std::mt19937 rng(1601);
  std::vector<Event> events = RandomStream(rng, 40);
  auto slas = Slas({TieredSla()});
  SlaEngine fed(slas, kOptions);
  std::vector<Decision> ignored, expected, actual;
  for (int i = 0; i < 30; ++i) fed.Offer(events[i], ignored);
  auto restored = SlaEngine::RestoreState(slas, kOptions, bytes.str());
  ASSERT_TRUE(restored) << restored.error().message;
  SlaEngine after = std::move(restored).value();
  EXPECT_EQ(OpenRows(after), OpenRows(fed));
  EXPECT_EQ(after.pending(), fed.pending());
  for (int i = 30; i < 40; ++i) {
    fed.Offer(events[i], expected);
    after.Offer(events[i], actual);
  }
  fed.AdvanceFrontier(events.back().time + kDay, expected);
  after.AdvanceFrontier(events.back().time + kDay, actual);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(Sorted(actual), Sorted(expected));
}

// Journey and pause-reason state: what a decision or an open instance says of them.
using JourneyRow = std::tuple<Row, std::vector<DurationMs>, int, int, int, DurationMs>;
std::vector<JourneyRow> JourneyRows(const std::vector<Decision>& decisions) {
  std::vector<JourneyRow> rows;
  for (const Decision& d : decisions) {
    rows.emplace_back(RowOf(d), d.instance.held, d.instance.baton, d.instance.first_late_stage,
                      d.pause_reason, d.paused);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(EngineState, JourneysAndPauseReasonsContinueAcrossARestore) {
  std::mt19937 rng(1616);
  auto slas = Slas(JourneySlaList(6 * kHour));
  for (int round = 0; round < 100; ++round) {
    std::vector<Event> arrival = ShuffledWithinLateness(RandomJourneyStream(rng, 80), rng);
    RestoreAtRandomSplit(slas, arrival, rng, [&](const std::vector<Decision>& expected,
                                                 const std::vector<Decision>& actual,
                                                 const SlaEngine&, const SlaEngine&,
                                                 std::size_t) {
      ASSERT_EQ(JourneyRows(actual), JourneyRows(expected)) << "round " << round;
    });
  }
}

TEST(EngineState, DamagedJourneyStateIsAnErrorNeverACrash) {
  std::mt19937 rng(6);
  ExpectDamageRefusedOrHarmless(Slas(JourneySlaList(6 * kHour)), RandomJourneyStream(rng, 40),
                                rng);
}

}  // namespace
}  // namespace handoff
