#include "handlers/replay_feed.h"

#include <algorithm>
#include <utility>

namespace handoff {
namespace {

EngineOptions CappedAt(EngineOptions options, TimeMs as_of) {
  if (as_of != kNoTime) options.frontier_cap = as_of;
  return options;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

ReplayFeed::ReplayFeed(SlaEngine::Slas slas, const EventFormat& format, EngineOptions engine,
                       TimeMs as_of, TimeMs now, DurationMs max_future)
    : as_of_(as_of),
      now_(now),
      max_future_(max_future),
      decoder_(format), engine_(std::move(slas), CappedAt(engine, as_of)) {}

std::optional<Event> ReplayFeed::Decode(std::string_view line) {
  if (IsBlank(line)) return std::nullopt;
  ++read_;
  auto event = decoder_.Decode(RecordView{.value = line, .key = {}, .headers = {}});
  if (!event || (now_ != kNoTime && IsTooFarAhead(event->time, now_, max_future_))) {
    ++rejected_;
    return std::nullopt;
  }
  return std::move(event).value();
}

const std::vector<Decision>& ReplayFeed::Offer(Event event) {
  TimeMs time = event.time;
  decisions_.clear();
  if (engine_.Offer(std::move(event), decisions_) != SlaEngine::Admission::kDuplicate) {
    max_accepted_time_ = std::max(max_accepted_time_, time);
  }
  return decisions_;
}

const std::vector<Decision>& ReplayFeed::Finish() {
  decisions_.clear();
  if (as_of() != kNoTime) engine_.AdvanceFrontier(as_of(), decisions_);
  return decisions_;
}

}  // namespace handoff
