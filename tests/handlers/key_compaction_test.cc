// The engine compacts its order-key arena a few slots per call while orders start, stop and
// are forgotten. Against a reference map of open (order, SLA) pairs: every decision names
// the right key, and the open instances are the model's. Two SLAs, so that an order can
// gain an instance in a slot the compaction has passed while its others, ahead, are
// forgotten (the case LinkInstance moves the key for).
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "handlers/sla_engine.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

SlaDefinition ShipSla() {
  SlaDefinition sla = AcceptSla(100 * kDay);
  sla.name = "ship";
  sla.start = Type("order.packed");
  sla.stop = Type("order.shipped");
  sla.pause.reset();
  sla.resume.reset();
  sla.cancel.reset();
  return sla;
}

TEST(KeyCompaction, KeysStayRightWhileTheArenaIsCompactedASliceAtATime) {
  SlaEngine engine(Slas({AcceptSla(100 * kDay), ShipSla()}),
                   EngineOptions{.lateness = 0, .dedupe_window = kHour, .retention = 10 * kMinute});
  std::mt19937 rng(3);
  std::set<std::pair<std::string, std::uint16_t>> open;  // the reference
  std::vector<Decision> out;
  TimeMs t = T("2026-11-27T10:00:00Z");
  const char* types[2][2] = {{"handoff.requested", "handoff.accepted"},
                             {"order.packed", "order.shipped"}};
  for (int step = 0; step < 60000; ++step) {
    t += kMinute;
    // Keys of different lengths from a pool that drifts, so that old orders are forgotten
    // and the arena keeps filling with released keys.
    std::uint32_t n = step / 20 + rng() % 100;
    std::string key = "order-" + std::string(n % 23, 'x') + std::to_string(n);
    auto sla = static_cast<std::uint16_t>(rng() % 2);
    bool is_open = open.contains({key, sla});
    out.clear();
    engine.Offer(Ev("e" + std::to_string(step), types[sla][is_open ? 1 : 0], t, key, "sales",
                    "operations"),
                 out);
    ASSERT_EQ(out.size(), 1u) << step;
    ASSERT_EQ(out[0].instance.key, key) << step;
    ASSERT_EQ(out[0].instance.sla, sla) << step;
    if (is_open) {
      open.erase({key, sla});
    } else {
      open.insert({key, sla});
    }
    if (step % 500 == 0) {
      std::set<std::pair<std::string, std::uint16_t>> seen;
      engine.VisitOpenInstances([&](const InstanceSnapshot& s) { seen.insert({s.key, s.sla}); });
      ASSERT_EQ(seen, open) << step;
    }
  }
}

// The case by itself: order o-0999 gains an instance in slot 0, behind the compaction's
// position, and loses the one ahead of it before the walk gets there. Its key must still be
// right after the next compaction has reused the arena it was in.
TEST(KeyCompaction, AnOrderThatGainsAnInstanceBehindTheWalkKeepsItsKey) {
  constexpr DurationMs kRetention = kHour;
  SlaEngine engine(Slas({AcceptSla(100 * kDay), ShipSla()}),
                   EngineOptions{.lateness = 0, .dedupe_window = kHour, .retention = kRetention});
  std::vector<Decision> out;
  int id = 0;
  auto offer = [&](const char* type, TimeMs t, const std::string& key) {
    out.clear();
    engine.Offer(Ev("e" + std::to_string(id++), type, t, key, "sales", "operations"), out);
  };
  auto key = [](const char* prefix, int i) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%s-%04d", prefix, i);
    return std::string(buffer);
  };
  TimeMs t = T("2026-11-27T10:00:00Z");
  for (int i = 0; i < 1000; ++i) offer("handoff.requested", ++t, key("o", i));  // slots 0-999
  // o-0600 ... o-0000 close in that order, so slot 0 is the last freed and the first reused;
  // o-0999 closes last.
  for (int i = 600; i >= 0; --i) offer("handoff.accepted", ++t, key("o", i));
  offer("handoff.accepted", ++t, key("o", 999));
  // Forgets 601 of 1000 keys: the compaction starts, and its first slice passes slot 15.
  offer("order.note", t - 1 + kRetention, "z");
  // At the same instant (late, so at once): o-0999's second instance, in slot 0.
  offer("order.packed", t - 1 + kRetention, key("o", 999));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].instance.key, key("o", 999));
  // o-0999's first instance is forgotten, then the walk ends.
  for (int i = 0; i < 200; ++i) offer("order.note", t + kRetention + i, "z");
  // A second compaction fills the arena o-0999's key was in with other keys.
  t += kRetention + 200;
  for (int i = 0; i < 3000; ++i) offer("handoff.requested", ++t, key("p", i));
  for (int i = 0; i < 2000; ++i) offer("handoff.accepted", ++t, key("p", i));
  for (int i = 0; i < 400; ++i) offer("order.note", t + kRetention + i, "z");
  offer("order.shipped", t + kRetention + 400, key("o", 999));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, DecisionKind::kMet);
  EXPECT_EQ(out[0].instance.key, key("o", 999));
}

}  // namespace
}  // namespace handoff
