// `handoffd replay` without the I/O (docs/reference/timing.md "Replay", decisions-and-replay.md): feed it the lines of an
// events file in order, then Finish() returns the report as JSON. A file is one
// partition; blank lines are skipped uncounted; rejected lines are counted and skipped.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/decision.h"
#include "handlers/decoder.h"
#include "handlers/sla_engine.h"

namespace handoff {

struct ReplayOptions {
  EventFormat format;
  EngineOptions engine;  // engine.frontier_cap is set from as_of
  TimeMs as_of = kNoTime;  // kNoTime: the largest time of any accepted event
  bool instances = false;  // include the `instances` list
  bool pretty = true;
};

class ReplayReport {
 public:
  ReplayReport(SlaEngine::Slas slas, ReplayOptions options);

  void AddLine(std::string_view line);
  // Sets F to as_of, applies and fires what is due, and renders the report.
  std::string Finish();

  // Counts so far, for tests and progress output.
  std::uint64_t read() const { return read_; }
  std::uint64_t rejected() const { return rejected_; }

 private:
  struct SlaTotals {
    std::uint64_t started = 0;
    std::uint64_t met = 0;
    std::uint64_t breached = 0;
    std::uint64_t cancelled = 0;
    std::vector<DurationMs> stopped_elapsed;  // met and resolved, for percentiles
  };
  void Record(const std::vector<Decision>& decisions);
  std::string Render(TimeMs as_of);

  SlaEngine::Slas slas_;
  ReplayOptions options_;
  EventDecoder decoder_;
  SlaEngine engine_;
  std::uint64_t read_ = 0;
  std::uint64_t rejected_ = 0;
  TimeMs max_accepted_time_ = kNoTime;
  std::vector<SlaTotals> totals_;
  std::vector<InstanceSnapshot> closed_;
  std::vector<Decision> decisions_;  // reused buffer
};

}  // namespace handoff
