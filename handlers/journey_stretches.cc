#include "handlers/journey_stretches.h"

#include <algorithm>

#include "handlers/journey_tracker.h"

namespace handoff {

std::vector<HeldStretch> RebuildStretches(const std::vector<SlaDefinition>& slas,
                                          const InstanceSnapshot& journey,
                                          std::span<const OrderDecision> decisions) {
  const SlaDefinition& def = slas[journey.sla];
  JourneyPlan plan = JourneyPlan::Of(slas, journey.sla);
  JourneyFacts facts = JourneyFacts::StartedAt(plan, journey.started_at);
  std::vector<DurationMs> held(plan.buckets.size());
  JourneyState state(facts, held);
  const AlwaysOpenCalendar calendar;  // only who holds the order matters here
  std::vector<HeldStretch> stretches{{journey.started_at, kNoTime, plan.from_bucket}};
  for (const OrderDecision& d : decisions) {
    const InstanceSnapshot& instance = *d.instance;
    if (instance.sla == journey.sla && instance.cycle == journey.cycle &&
        instance.started_at == journey.started_at && !IsOpenState(instance.state)) {
      break;  // the journey instance closed: nothing after counts
    }
    auto stage = std::find(def.stage_slas.begin(), def.stage_slas.end(), instance.sla);
    std::optional<StageChange> change = StageChangeOf(d.kind);
    if (stage == def.stage_slas.end() || !change || d.at < journey.started_at ||
        instance.started_at < journey.started_at) {
      continue;
    }
    state.OnStage(plan, calendar, static_cast<std::uint8_t>(stage - def.stage_slas.begin()),
                  *change, d.at);
    if (facts.holder == stretches.back().holder) continue;
    if (stretches.back().from == d.at) {
      stretches.back().holder = facts.holder;  // changed again at the same instant
      if (stretches.size() > 1 && stretches[stretches.size() - 2].holder == facts.holder) {
        stretches.pop_back();
        stretches.back().to = kNoTime;
      }
      continue;
    }
    stretches.back().to = d.at;
    stretches.push_back({d.at, kNoTime, facts.holder});
  }
  stretches.back().to = journey.ended_at;
  return stretches;
}

}  // namespace handoff
