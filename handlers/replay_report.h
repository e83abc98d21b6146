// `handoffd replay` without the I/O (docs/reference/timing.md "Replay",
// decisions-and-replay.md): feed it the lines of an events file in order (LineSplitter
// cuts a file read in chunks into them), then Finish() returns the report as JSON, or
// Summarize() the same figures as values (for `replay --compare`). A file is one
// partition; blank lines are skipped uncounted; rejected lines are counted and skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/decision.h"
#include "handlers/journey_tracker.h"
#include "handlers/json_writer.h"
#include "handlers/replay_feed.h"
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

// Nearest rank over sorted values: the smallest value with at least `percent` % of the
// values at or below it. `sorted` must not be empty.
DurationMs NearestRank(const std::vector<DurationMs>& sorted, int percent);

// The figures of one SLA at the end of a replay.
struct SlaSummary {
  std::uint64_t started = 0;
  std::uint64_t met = 0;
  std::uint64_t breached = 0;  // instances with a breached_at, stopped or not
  std::uint64_t cancelled = 0;
  OpenCounts open;
  std::vector<DurationMs> stopped_elapsed;  // met and resolved, sorted ascending
  // Journeys: held time over stopped instances and breaches, by bucket of the plan;
  // breaches by first late stage (each stage, then none). Empty for a plain SLA.
  std::vector<DurationMs> held;
  std::vector<std::uint64_t> breached_by_baton;
  std::vector<std::uint64_t> breached_by_first_late_stage;
  // SLAs with pause_reasons: ended pauses' working time, per reason, then `other`.
  std::vector<DurationMs> paused;
};

struct ReplaySummary {
  TimeMs as_of = kNoTime;
  std::uint64_t read = 0;
  std::uint64_t rejected = 0;
  EngineStats stats;
  std::uint64_t pending = 0;
  std::vector<SlaSummary> slas;  // parallel to the config's SLAs
  // Every instance, closed and open, sorted by SLA name, key and cycle; only with
  // ReplayOptions::instances.
  std::vector<InstanceSnapshot> instances;
};

class ReplayReport {
 public:
  ReplayReport(SlaEngine::Slas slas, ReplayOptions options);

  void AddLine(std::string_view line);
  // Sets F to as_of, applies and fires what is due, and renders the report. Call one of
  // Finish and Summarize, once.
  std::string Finish();
  ReplaySummary Summarize();

  // Counts so far, for tests and progress output.
  std::uint64_t read() const { return feed_.read(); }
  std::uint64_t rejected() const { return feed_.rejected(); }

 private:
  void Record(const std::vector<Decision>& decisions);
  void RecordJourney(const Decision& decision, SlaSummary& totals);
  std::string Render(const ReplaySummary& summary) const;
  void RenderSla(JsonWriter& json, std::size_t sla, const SlaSummary& totals) const;

  SlaEngine::Slas slas_;
  ReplayOptions options_;
  ReplayFeed feed_;
  std::vector<SlaSummary> totals_;
  std::vector<JourneyPlan> plans_;  // per SLA; empty buckets for a plain SLA
  std::vector<InstanceSnapshot> closed_;
};

}  // namespace handoff
