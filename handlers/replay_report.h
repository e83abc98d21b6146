// `handoffd replay` without the I/O (docs/reference/timing.md "Replay", decisions-and-replay.md): feed it the lines of an
// events file in order, then Finish() returns the report as JSON. A file is one
// partition; blank lines are skipped uncounted; rejected lines are counted and skipped.
// AddBytes() takes the file in chunks of any size and holds at most one record's worth
// of it: a line over kMaxRecordBytes is counted as rejected and skipped unread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/decision.h"
#include "handlers/decoder.h"
#include "handlers/journey_tracker.h"
#include "handlers/json_writer.h"
#include "handlers/sla_engine.h"

namespace handoff {

struct ReplayOptions {
  EventFormat format;
  EngineOptions engine;  // engine.frontier_cap is set from as_of
  TimeMs as_of = kNoTime;  // kNoTime: the largest time of any accepted event
  // --now: events more than max_future after it are rejected (future_time). kNoTime: no
  // such check, a file is history.
  TimeMs now = kNoTime;
  DurationMs max_future = kHour;
  bool instances = false;  // include the `instances` list
  bool pretty = true;
};

class ReplayReport {
 public:
  ReplayReport(SlaEngine::Slas slas, ReplayOptions options);

  void AddLine(std::string_view line);
  // The next bytes of the file; lines may span chunks.
  void AddBytes(std::string_view chunk);
  // Takes the last line (without a newline) if any, sets F to as_of, applies and fires
  // what is due, and renders the report.
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
    // Journeys: held time over stopped instances and breaches, by bucket of the plan;
    // breaches by first late stage (each stage, then none).
    std::vector<DurationMs> held;
    std::vector<std::uint64_t> breached_by_baton;
    std::vector<std::uint64_t> breached_by_first_late_stage;
    // SLAs with pause_reasons: ended pauses' working time, per reason, then `other`.
    std::vector<DurationMs> paused;
  };
  void Record(const std::vector<Decision>& decisions);
  void RecordJourney(const Decision& decision, SlaTotals& totals);
  std::string Render(TimeMs as_of);
  void RenderSla(JsonWriter& json, std::size_t sla);

  SlaEngine::Slas slas_;
  ReplayOptions options_;
  EventDecoder decoder_;
  SlaEngine engine_;
  std::uint64_t read_ = 0;
  std::uint64_t rejected_ = 0;
  std::string partial_line_;     // AddBytes: the line so far, never over kMaxRecordBytes
  bool skipping_line_ = false;  // AddBytes: inside a line already rejected as too long
  TimeMs max_accepted_time_ = kNoTime;
  std::vector<SlaTotals> totals_;
  std::vector<JourneyPlan> plans_;  // per SLA; empty buckets for a plain SLA
  std::vector<InstanceSnapshot> closed_;
  std::vector<Decision> decisions_;  // reused buffer
};

}  // namespace handoff
