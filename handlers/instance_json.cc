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

}  // namespace handoff
