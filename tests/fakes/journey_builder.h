// Test helpers for journeys: the chain of docs/accountability.md's example as SLA
// definitions, and its events in a line each. Attributes are, in order: from, to, tier,
// reason (sla_builder.h's three, plus the pause reason).
#pragma once

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "handlers/event.h"
#include "handlers/sla_definition.h"
#include "tests/fakes/sla_builder.h"

namespace handoff::testing {

inline constexpr std::size_t kReason = 3;
inline constexpr std::uint16_t kAccept = 0, kPick = 1, kShip = 2;

// 0 sales_to_ops_accept: sales -> operations, 2h.
// 1 ops_to_fulfillment_pick: operations -> fulfillment, 4h; paused by order.on_hold
//   (pause_reasons: credit_check, customer_request), resumed by order.released.
// 2 order_to_ship, the journey: order.created -> order.shipped, from sales, owner sales,
//   1d; paused by order.frozen, resumed by order.thawed; cancelled by order.cancelled;
//   stages [0, 1].
inline std::vector<SlaDefinition> JourneySlaList(DurationMs journey_target = kDay) {
  SlaDefinition accept;
  accept.name = "sales_to_ops_accept";
  accept.from = "sales";
  accept.to = accept.owner = "operations";
  accept.start = Condition{.types = {"handoff.requested"},
                           .where = {{kFrom, {"sales"}}, {kTo, {"operations"}}}};
  accept.stop = Condition{.types = {"handoff.accepted"}, .where = {{kTo, {"operations"}}}};
  accept.target = 2 * kHour;

  SlaDefinition pick;
  pick.name = "ops_to_fulfillment_pick";
  pick.from = "operations";
  pick.to = pick.owner = "fulfillment";
  pick.start = Condition{.types = {"handoff.requested"},
                         .where = {{kFrom, {"operations"}}, {kTo, {"fulfillment"}}}};
  pick.stop = Condition{.types = {"handoff.accepted"}, .where = {{kTo, {"fulfillment"}}}};
  pick.pause = Type("order.on_hold");
  pick.resume = Type("order.released");
  pick.target = 4 * kHour;
  pick.pause_reasons = {"credit_check", "customer_request"};
  pick.reason_attribute = kReason;

  SlaDefinition ship;
  ship.name = "order_to_ship";
  ship.from = "sales";
  ship.to = "fulfillment";
  ship.owner = "sales";
  ship.start = Type("order.created");
  ship.stop = Type("order.shipped");
  ship.pause = Type("order.frozen");
  ship.resume = Type("order.thawed");
  ship.cancel = Type("order.cancelled");
  ship.target = journey_target;
  ship.stages = {accept.name, pick.name};
  ship.stage_slas = {kAccept, kPick};
  return {accept, pick, ship};
}

inline Event JourneyEv(std::string id, std::string type, TimeMs t, std::string key,
                       std::optional<std::string> from = std::nullopt,
                       std::optional<std::string> to = std::nullopt,
                       std::optional<std::string> reason = std::nullopt) {
  return Event{.id = std::move(id),
               .type = std::move(type),
               .time = t,
               .key = std::move(key),
               .attributes = {std::move(from), std::move(to), std::nullopt, std::move(reason)}};
}
// Stage 0 (sales -> operations) or 1 (operations -> fulfillment) requested / accepted.
inline Event StageRequested(std::string id, TimeMs t, std::string key, int stage) {
  return JourneyEv(std::move(id), "handoff.requested", t, std::move(key),
                   stage == 0 ? "sales" : "operations", stage == 0 ? "operations" : "fulfillment");
}
inline Event StageAccepted(std::string id, TimeMs t, std::string key, int stage) {
  return JourneyEv(std::move(id), "handoff.accepted", t, std::move(key), std::nullopt,
                   stage == 0 ? "operations" : "fulfillment");
}
inline Event Hold(std::string id, TimeMs t, std::string key,
                  std::optional<std::string> reason = std::nullopt) {
  return JourneyEv(std::move(id), "order.on_hold", t, std::move(key), std::nullopt, std::nullopt,
                   std::move(reason));
}
inline Event Release(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.released", t, std::move(key));
}
inline Event Created(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.created", t, std::move(key));
}
inline Event Shipped(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.shipped", t, std::move(key));
}
inline Event Frozen(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.frozen", t, std::move(key));
}
inline Event Thawed(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.thawed", t, std::move(key));
}
inline Event OrderCancelled(std::string id, TimeMs t, std::string key) {
  return JourneyEv(std::move(id), "order.cancelled", t, std::move(key));
}

// The orders of docs/accountability.md's worked example, under `key` (day 1 is
// 2026-12-01): A is met with its second stage held 15:00-17:00 for `hold_reason`; B breaches
// after its first stage was late; C breaches with every stage on time.
inline std::vector<Event> OrderA(const std::string& key,
                                 std::optional<std::string> hold_reason = std::nullopt) {
  return {Created(key + "-a1", T("2026-12-01T08:00:00Z"), key),
          StageRequested(key + "-a2", T("2026-12-01T09:00:00Z"), key, 0),
          StageAccepted(key + "-a3", T("2026-12-01T10:00:00Z"), key, 0),
          StageRequested(key + "-a4", T("2026-12-01T14:00:00Z"), key, 1),
          Hold(key + "-a5", T("2026-12-01T15:00:00Z"), key, std::move(hold_reason)),
          Release(key + "-a6", T("2026-12-01T17:00:00Z"), key),
          StageAccepted(key + "-a7", T("2026-12-01T18:00:00Z"), key, 1),
          Shipped(key + "-a8", T("2026-12-01T20:00:00Z"), key)};
}
inline std::vector<Event> OrderB(const std::string& key) {
  return {Created(key + "-b1", T("2026-12-01T08:00:00Z"), key),
          StageRequested(key + "-b2", T("2026-12-01T08:30:00Z"), key, 0),
          StageAccepted(key + "-b3", T("2026-12-01T12:00:00Z"), key, 0),
          StageRequested(key + "-b4", T("2026-12-01T20:00:00Z"), key, 1)};
}
inline std::vector<Event> OrderC(const std::string& key) {
  return {Created(key + "-c1", T("2026-12-01T08:00:00Z"), key),
          StageRequested(key + "-c2", T("2026-12-01T08:10:00Z"), key, 0),
          StageAccepted(key + "-c3", T("2026-12-01T10:00:00Z"), key, 0)};
}

// Events of every kind JourneySlaList reacts to, on a few keys, with distinct times.
inline std::vector<Event> RandomJourneyStream(std::mt19937& rng, int count) {
  const std::vector<std::string> keys = {"a", "b", "c", "d"};
  const std::vector<std::optional<std::string>> reasons = {"credit_check", "customer_request",
                                                           "weather", std::nullopt};
  std::vector<Event> events;
  TimeMs t = T("2026-12-01T08:00:00Z");
  for (int i = 0; i < count; ++i) {
    t += 1 + rng() % (40 * kMinute);
    std::string key = keys[rng() % keys.size()];
    std::string id = "j" + std::to_string(i);
    switch (rng() % 12) {
      case 0: events.push_back(Created(id, t, key)); break;
      case 1:
      case 2: events.push_back(StageRequested(id, t, key, static_cast<int>(rng() % 2))); break;
      case 3:
      case 4: events.push_back(StageAccepted(id, t, key, static_cast<int>(rng() % 2))); break;
      case 5: events.push_back(Hold(id, t, key, reasons[rng() % reasons.size()])); break;
      case 6: events.push_back(Release(id, t, key)); break;
      case 7: events.push_back(Frozen(id, t, key)); break;
      case 8: events.push_back(Thawed(id, t, key)); break;
      case 9: events.push_back(Shipped(id, t, key)); break;
      case 10: events.push_back(OrderCancelled(id, t, key)); break;
      case 11: events.push_back(Created(id, t, key)); break;
    }
  }
  return events;
}

}  // namespace handoff::testing
