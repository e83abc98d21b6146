// Random event streams for property tests: a tiered accept SLA, events of every kind
// on a few keys with distinct times, some duplicates, and arrival orders that stay
// within `lateness`. Deterministic for a given std::mt19937 seed.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "handlers/sla_engine.h"
#include "tests/fakes/sla_builder.h"

namespace handoff::testing {

inline constexpr DurationMs kLateness = 10 * kMinute;
// Ids are remembered for the whole stream, so which copy of an id counts never depends on
// where F stood when the second one arrived.
inline constexpr EngineOptions kOptions{.lateness = kLateness, .dedupe_window = 365 * kDay};

inline SlaDefinition TieredSla() {
  SlaDefinition sla = AcceptSla(kHour, {0.5});
  sla.targets = {{.when = {.types = {}, .where = {{kTier, {"gold"}}}}, .target = 30 * kMinute}};
  return sla;
}

// Events with distinct times (equal times legitimately keep arrival order), a few keys,
// every kind of event, and some duplicates of earlier ids.
inline std::vector<Event> RandomStream(std::mt19937& rng, int count) {
  const std::vector<std::string> keys = {"a", "b", "c", "d", "e"};
  std::vector<Event> events;
  TimeMs t = T("2026-11-27T08:00:00Z");
  for (int i = 0; i < count; ++i) {
    t += 1 + rng() % (25 * kMinute);
    std::string key = keys[rng() % keys.size()];
    std::string id = "e" + std::to_string(i);
    switch (rng() % 7) {
      case 0:
      case 1: events.push_back(Requested(id, t, key, rng() % 3 == 0 ? "gold" : "silver")); break;
      case 2: events.push_back(Accepted(id, t, key)); break;
      case 3: events.push_back(OnHold(id, t, key)); break;
      case 4: events.push_back(Released(id, t, key)); break;
      case 5: events.push_back(Cancelled(id, t, key)); break;
      case 6: events.push_back(Ev(id, "order.note", t, key)); break;
    }
    Event copy = events[rng() % events.size()];
    if (rng() % 15 == 0 && t - copy.time > kLateness) {
      // The same id again, later than any shuffle can move the original: a duplicate.
      copy.time = t;
      events.push_back(copy);
    }
  }
  return events;
}

// An arrival order in which no event is late: sorted by time + jitter, jitter < lateness.
inline std::vector<Event> ShuffledWithinLateness(std::vector<Event> events, std::mt19937& rng) {
  std::vector<std::pair<TimeMs, Event>> keyed;
  for (auto& e : events) {
    TimeMs jitter = static_cast<TimeMs>(rng() % (kLateness - 1));
    keyed.emplace_back(e.time + jitter, std::move(e));
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Event> out;
  for (auto& [_, e] : keyed) out.push_back(std::move(e));
  return out;
}

}  // namespace handoff::testing
