// The fields every JSON view of an SLA instance shares: the replay report, GET
// /api/v1/instances and the decisions topic (docs/reference/http-api.md, decisions-and-replay.md). Each view adds its own.
#pragma once

#include <string_view>

#include "handlers/decision.h"
#include "handlers/json_writer.h"

namespace handoff {

enum class EndedAt { kOmit, kInclude };

// Writes sla, key, cycle, state, started_at, deadline, breached_at, [ended_at] and
// elapsed_seconds as keys of the object being written.
void WriteInstanceFields(JsonWriter& json, const InstanceSnapshot& instance,
                         std::string_view sla_name, EndedAt ended_at);

}  // namespace handoff
