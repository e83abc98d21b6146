#include "handlers/instance_json.h"

namespace handoff {

void WriteInstanceFields(JsonWriter& json, const InstanceSnapshot& instance,
                         std::string_view sla_name, EndedAt ended_at) {
  json.Key("sla").String(sla_name);
  json.Key("key").String(instance.key);
  json.Key("cycle").Int(instance.cycle);
  json.Key("state").String(InstanceStateName(instance.state));
  json.Key("started_at").Time(instance.started_at);
  json.Key("deadline").Time(instance.deadline);
  json.Key("breached_at").Time(instance.breached_at);
  if (ended_at == EndedAt::kInclude) json.Key("ended_at").Time(instance.ended_at);
  json.Key("elapsed_seconds").Seconds(instance.elapsed);
}

void WriteJourneyFields(JsonWriter& json, const InstanceSnapshot& instance,
                        const SlaDefinition& journey, const JourneyPlan& plan) {
  json.Key("held_seconds").BeginObject();
  for (std::size_t b = 0; b < plan.buckets.size(); ++b) {
    json.Key(plan.buckets[b]).Seconds(b < instance.held.size() ? instance.held[b] : 0);
  }
  json.EndObject();
  json.Key("baton");
  // A baton outside the plan (a timeline entry from before a reload changed the
  // journey) is shown as undecided, never read past the plan.
  if (instance.baton == InstanceSnapshot::kUndecided || instance.baton >= plan.buckets.size()) {
    json.Null();
  } else {
    json.String(plan.buckets[instance.baton]);
  }
  json.Key("first_late_stage");
  if (instance.first_late_stage == InstanceSnapshot::kUndecided) {
    json.Null();
  } else {
    json.String(FirstLateStageName(journey, instance.first_late_stage));
  }
}

std::string_view FirstLateStageName(const SlaDefinition& journey, std::uint8_t position) {
  return position < journey.stages.size() ? std::string_view(journey.stages[position]) : "none";
}

}  // namespace handoff
