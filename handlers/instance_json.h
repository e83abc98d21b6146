// The fields every JSON view of an SLA instance shares: the replay report, GET
// /api/v1/instances and the decisions topic (docs/reference/http-api.md, decisions-and-replay.md). Each view adds its own.
#pragma once

#include <string_view>

#include "handlers/decision.h"
#include "handlers/journey_tracker.h"
#include "handlers/json_writer.h"
#include "handlers/sla_definition.h"

namespace handoff {

enum class EndedAt { kOmit, kInclude };

// Writes sla, key, cycle, state, started_at, deadline, breached_at, [ended_at] and
// elapsed_seconds as keys of the object being written.
void WriteInstanceFields(JsonWriter& json, const InstanceSnapshot& instance,
                         std::string_view sla_name, EndedAt ended_at);

// A journey instance's held_seconds (every bucket of `plan`), baton and first_late_stage
// (null unless it breached), as keys of the object being written.
void WriteJourneyFields(JsonWriter& json, const InstanceSnapshot& instance,
                        const SlaDefinition& journey, const JourneyPlan& plan);

// "none" when no stage was late, else the stage's name; `position` is decided.
std::string_view FirstLateStageName(const SlaDefinition& journey, std::uint8_t position);

}  // namespace handoff
