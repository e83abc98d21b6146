// The input side of every report built on a replay (replay, baseline, compare): decodes
// the lines of an events file and offers them, in file order, to one engine that stands
// for one partition (docs/reference/timing.md). Callers see each accepted event before the
// engine takes it and every decision it makes. Single-threaded; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "handlers/decision.h"
#include "handlers/decoder.h"
#include "handlers/sla_engine.h"

namespace handoff {

class ReplayFeed {
 public:
  // `as_of`: F never passes it, and Finish moves F to it; kNoTime: the largest time of
  // any accepted event. `now` (--now): an event more than max_future after it is
  // rejected (future_time); kNoTime: no such check, a file is history.
  ReplayFeed(SlaEngine::Slas slas, const EventFormat& format, EngineOptions engine,
             TimeMs as_of, TimeMs now = kNoTime, DurationMs max_future = 0);

  // A blank line is skipped uncounted (nullopt); a rejected one is counted (nullopt).
  std::optional<Event> Decode(std::string_view line);
  // Offers an event from Decode. The decisions are valid until the next call.
  const std::vector<Decision>& Offer(Event event);
  // Sets F to as_of, applying and firing what is due. Call once, after the last line.
  const std::vector<Decision>& Finish();

  // The as-of time of the report: the given one, else the largest accepted event time
  // (kNoTime when there was none). Final once Finish has run.
  TimeMs as_of() const { return as_of_ != kNoTime ? as_of_ : max_accepted_time_; }
  const SlaEngine& engine() const { return engine_; }
  std::uint64_t read() const { return read_; }
  std::uint64_t rejected() const { return rejected_; }

 private:
  TimeMs as_of_;
  TimeMs now_;
  DurationMs max_future_;
  EventDecoder decoder_;
  SlaEngine engine_;
  std::uint64_t read_ = 0;
  std::uint64_t rejected_ = 0;
  TimeMs max_accepted_time_ = kNoTime;
  std::vector<Decision> decisions_;  // reused buffer
};

}  // namespace handoff
