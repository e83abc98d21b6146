// The decisions topic (docs/reference/decisions-and-replay.md): decisions as CloudEvents in JSON structured mode,
// with deterministic ids `<sla>/<key>/<cycle>/<kind>` so a consumer drops the copies a
// restart re-sends. DecisionCloudEvent is the pure encoding (any thread); a
// DecisionPublisher is the sink that sends them, with a delivery barrier so the
// checkpointer can flush the decisions a checkpoint covers before writing it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/host/decision_sink.h"
#include "handlers/result.h"
#include "handlers/sla_definition.h"

namespace handoff {

inline constexpr std::string_view kDecisionEventSource = "/handoffd";
inline constexpr std::string_view kDecisionContentType = "application/cloudevents+json";

// "handoff.sla.breached", ...; empty for the kinds that are not published (started,
// paused, resumed: they are progress, not outcomes).
std::string_view DecisionEventType(DecisionKind kind);

// "<sla>/<key>/<cycle>/<kind>", the warning's kind carrying its threshold
// ("warning-0.5"); nullopt for unpublished kinds.
std::optional<std::string> DecisionEventId(const Decision& decision, const SlaDefinition& sla);

// The CloudEvent: id, source, type, subject (the order key), time (the decision's event
// time), and data with the SLA's labels (sla, from, to, owner), the cycle and state, the
// times (started_at, deadline, breached_at, ended_at, at), elapsed_seconds,
// target_seconds and, for warnings, threshold. Deterministic: the same decision always
// gives the same bytes. nullopt for unpublished kinds.
std::optional<std::string> DecisionCloudEvent(const Decision& decision, const SlaDefinition& sla);

// A DecisionSink that sends decisions somewhere durable. OnDecisions and Mark run on the
// engine thread; WaitDelivered on any thread (the checkpoint writer's).
class DecisionPublisher : public DecisionSink {
 public:
  // A mark covering every decision handed to OnDecisions so far.
  virtual std::uint64_t Mark() const = 0;

  // Blocks until every decision up to `mark` is acknowledged by the destination (true),
  // or `timeout` passes (false). An error once any delivery has failed for good: the
  // failure is sticky, because a checkpoint written after a lost decision would make
  // the loss permanent (the daemon exits 2 instead and replays from the last checkpoint).
  virtual Result<bool> WaitDelivered(std::uint64_t mark, DurationMs timeout) = 0;
};

}  // namespace handoff
