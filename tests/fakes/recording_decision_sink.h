// A DecisionSink that keeps every decision with its partition, for assertions.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/host/decision_sink.h"

namespace handoff::testing {

class RecordingDecisionSink final : public DecisionSink {
 public:
  void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) override {
    for (const Decision& d : decisions) decisions_.emplace_back(partition, d);
  }
  const std::vector<std::pair<std::int32_t, Decision>>& decisions() const { return decisions_; }
  std::size_t Count(DecisionKind kind) const {
    return std::count_if(decisions_.begin(), decisions_.end(),
                         [&](const auto& d) { return d.second.kind == kind; });
  }

 private:
  std::vector<std::pair<std::int32_t, Decision>> decisions_;
};

}  // namespace handoff::testing
