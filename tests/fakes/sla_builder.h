// Test helpers: SLA definitions and events in a line each, so a timing test reads like
// the rule it checks. Attributes are, in order: from, to, tier.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handlers/event.h"
#include "handlers/sla_definition.h"
#include "handlers/time.h"

namespace handoff::testing {

inline constexpr std::size_t kFrom = 0, kTo = 1, kTier = 2;

inline Condition Type(std::string type) { return Condition{.types = {std::move(type)}, .where = {}}; }

// sales -> operations, 24x7: start handoff.requested, stop handoff.accepted, pause
// order.on_hold, resume order.released, cancel order.cancelled.
inline SlaDefinition AcceptSla(DurationMs target, std::vector<double> warn_at = {}) {
  SlaDefinition sla;
  sla.name = "sales_to_ops_accept";
  sla.from = "sales";
  sla.to = "operations";
  sla.owner = "operations";
  sla.start = Condition{.types = {"handoff.requested"},
                        .where = {{kFrom, {"sales"}}, {kTo, {"operations"}}}};
  sla.stop = Condition{.types = {"handoff.accepted"}, .where = {{kTo, {"operations"}}}};
  sla.pause = Type("order.on_hold");
  sla.resume = Type("order.released");
  sla.cancel = Type("order.cancelled");
  sla.target = target;
  sla.warn_at = std::move(warn_at);
  return sla;
}

inline std::shared_ptr<const std::vector<SlaDefinition>> Slas(std::vector<SlaDefinition> slas) {
  return std::make_shared<const std::vector<SlaDefinition>>(std::move(slas));
}

// "2026-11-27T10:00:00Z" -> ms; aborts the test binary on a typo.
inline TimeMs T(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) std::abort();
  return *t;
}

inline Event Ev(std::string id, std::string type, TimeMs time, std::string key,
                std::optional<std::string> from = std::nullopt,
                std::optional<std::string> to = std::nullopt,
                std::optional<std::string> tier = std::nullopt) {
  return Event{.id = std::move(id),
               .type = std::move(type),
               .time = time,
               .key = std::move(key),
               .attributes = {std::move(from), std::move(to), std::move(tier)}};
}

// The four kinds of event the AcceptSla reacts to.
inline Event Requested(std::string id, TimeMs t, std::string key,
                       std::optional<std::string> tier = std::nullopt) {
  return Ev(std::move(id), "handoff.requested", t, std::move(key), "sales", "operations",
            std::move(tier));
}
inline Event Accepted(std::string id, TimeMs t, std::string key) {
  return Ev(std::move(id), "handoff.accepted", t, std::move(key), "sales", "operations");
}
inline Event OnHold(std::string id, TimeMs t, std::string key) {
  return Ev(std::move(id), "order.on_hold", t, std::move(key));
}
inline Event Released(std::string id, TimeMs t, std::string key) {
  return Ev(std::move(id), "order.released", t, std::move(key));
}
inline Event Cancelled(std::string id, TimeMs t, std::string key) {
  return Ev(std::move(id), "order.cancelled", t, std::move(key));
}

}  // namespace handoff::testing
