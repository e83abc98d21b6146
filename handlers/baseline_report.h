// `handoffd baseline` without the I/O: "what can we promise?". Feed it the lines of an
// events file; Finish() runs the replay engine to the as-of time and returns, per SLA and
// (with `by`) per value of the start event's attribute, the elapsed times of the stopped
// instances (met and breached) and what they say about targets. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "handlers/replay_feed.h"
#include "handlers/sla_engine.h"

namespace handoff {

struct BaselineOptions {
  EventFormat format;
  EngineOptions engine;
  TimeMs as_of = kNoTime;  // kNoTime: the largest time of any accepted event
  // Group by this attribute of the start event (an index into format.attributes).
  std::optional<std::size_t> by;
};

// The shares of stopped instances a suggested target must cover, in percent.
inline constexpr int kTargetShares[] = {50, 90, 95, 99};
// The percentiles reported, in percent (nearest rank, as the replay report's).
inline constexpr int kBaselinePercentiles[] = {50, 75, 90, 95, 99};

// Stopped and open instances of one SLA, or of one value of the `by` attribute.
struct BaselineGroup {
  std::optional<std::string> value;  // nullopt: the attribute was missing (or no `by`)
  std::uint64_t met = 0;
  std::uint64_t breached = 0;  // stopped after their deadline
  std::uint64_t open = 0;      // still open at as_of: not in the percentiles
  std::uint64_t overdue = 0;   // of those, past their deadline
  std::vector<DurationMs> elapsed;  // working time of the stopped ones, sorted ascending
  // The target the stopped instances had (a `targets:` override, or the SLA's target):
  // 0 when none stopped, kMixedTargets when they had different ones.
  DurationMs target = 0;

  std::uint64_t stopped() const { return met + breached; }
  // Counts a stopped instance's target (or a whole group's) into `target`.
  void AddTarget(DurationMs instance_target);
};
inline constexpr DurationMs kMixedTargets = -1;

struct BaselineSla {
  BaselineGroup all;
  std::vector<BaselineGroup> groups;  // with `by`: sorted by value, the missing one last
};

struct Baseline {
  TimeMs as_of = kNoTime;
  std::vector<BaselineSla> slas;  // parallel to the config's SLAs
};

// A suggested target: `elapsed` rounded up to the minute under an hour, to the quarter
// hour under 24 hours, to the hour beyond; at least a minute.
DurationMs RoundUpTarget(DurationMs elapsed);

class BaselineReport {
 public:
  BaselineReport(SlaEngine::Slas slas, BaselineOptions options);

  void AddLine(std::string_view line);
  // Call once, after the last line.
  Baseline Finish();

 private:
  using ValueIndex = std::uint32_t;  // into values_; kMissing for a missing attribute
  static constexpr ValueIndex kMissing = UINT32_MAX;

  void NoteStart(const Event& event);
  void ForgetApplied();
  void Record(const std::vector<Decision>& decisions);
  BaselineGroup& GroupOf(const InstanceSnapshot& instance, bool forget);
  std::string OpenKey(const InstanceSnapshot& instance) const;

  SlaEngine::Slas slas_;
  BaselineOptions options_;
  ReplayFeed feed_;
  std::vector<BaselineSla> totals_;

  // Only with `by`. The engine reports a start by the id of the event that caused it,
  // which may have waited in the reorder buffer: the attribute value of every offered
  // event that can start an SLA is kept by id until the frontier passes its time.
  std::vector<std::string> values_;
  std::unordered_map<std::string, ValueIndex> value_index_;
  std::unordered_map<std::string, ValueIndex> pending_starts_;  // event id -> its value
  std::priority_queue<std::pair<TimeMs, std::string>, std::vector<std::pair<TimeMs, std::string>>,
                      std::greater<>>
      pending_by_time_;
  std::unordered_map<std::string, ValueIndex> open_values_;  // OpenKey -> its start's value
  std::vector<std::unordered_map<ValueIndex, BaselineGroup>> groups_;  // per SLA
};

}  // namespace handoff
