// `handoffd replay --compare CANDIDATE.yaml` without the I/O: one pass over the events,
// each line fed to two replays (the base config's and the candidate's), then one JSON
// report of what the candidate would change: every count and percentile of every SLA of
// either config, the SLAs added and removed, and each instance whose outcome differs.
// Its JSON is documented in docs/reference/baseline-and-compare.md. Single-threaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/replay_report.h"
#include "handlers/result.h"

namespace handoff {

// Which SLA of the base config is compared with which of the candidate: the same name,
// or a renamed one. One side is empty for an SLA added or removed.
struct SlaPair {
  std::optional<std::size_t> base;
  std::optional<std::size_t> candidate;
};

// Pairs SLAs by name, except that `renames` (base name -> candidate name) pairs an SLA
// with its new name. An error names a rename whose SLA is not in its config, or whose
// names would also pair otherwise.
Result<std::vector<SlaPair>> PairSlas(const std::vector<SlaDefinition>& base,
                                      const std::vector<SlaDefinition>& candidate,
                                      const std::map<std::string, std::string>& renames);

class CompareReport {
 public:
  // Each side keeps its own event format and time options; `instances` is forced on.
  CompareReport(SlaEngine::Slas base, ReplayOptions base_options, SlaEngine::Slas candidate,
                ReplayOptions candidate_options, std::vector<SlaPair> pairs);

  void AddLine(std::string_view line) {
    base_.AddLine(line);
    candidate_.AddLine(line);
  }
  // Runs both replays to their as-of time and renders the report. Call once.
  std::string Finish(bool pretty = true);

 private:
  SlaEngine::Slas base_slas_;
  SlaEngine::Slas candidate_slas_;
  std::vector<SlaPair> pairs_;
  ReplayReport base_;
  ReplayReport candidate_;
};

}  // namespace handoff
