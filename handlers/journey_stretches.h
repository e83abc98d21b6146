// Who held a journey instance's order, stretch by stretch, rebuilt from the decisions
// about that order (as GET /api/v1/orders/{key} keeps them) with the engine's own rules
// (JourneyState). Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "handlers/decision.h"
#include "handlers/sla_definition.h"
#include "handlers/time.h"

namespace handoff {

struct HeldStretch {
  TimeMs from = 0;
  TimeMs to = kNoTime;  // kNoTime: still held so, as of the last decision
  std::uint8_t holder = 0;  // a bucket of the journey's JourneyPlan
};

// One decision about the order: its kind, time and the instance as of it.
struct OrderDecision {
  DecisionKind kind;
  TimeMs at;
  const InstanceSnapshot* instance;
};

// `journey` is an instance (as of its last decision) of slas[journey.sla], a journey;
// `decisions` are every decision about its order, in decision order. Stretches of no
// length are left out; the first starts when the journey did, the last ends when it
// closed (or is open).
std::vector<HeldStretch> RebuildStretches(const std::vector<SlaDefinition>& slas,
                                          const InstanceSnapshot& journey,
                                          std::span<const OrderDecision> decisions);

}  // namespace handoff
