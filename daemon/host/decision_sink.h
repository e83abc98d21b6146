// Where decisions go once the engine has made them: metrics, the decisions topic, the
// order timeline, logs. Sinks are called on the engine thread, in decision order, and
// must not block it (a sink that does I/O queues and returns).
#pragma once

#include <cstdint>
#include <span>

#include "handlers/decision.h"

namespace handoff {

class DecisionSink {
 public:
  virtual ~DecisionSink() = default;
  virtual void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) = 0;
};

}  // namespace handoff
