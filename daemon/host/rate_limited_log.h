// Lets one log line through per interval and counts the ones it held back, so a flood
// of bad records produces a steady trickle of warnings that say how many were dropped.
// Owner: whoever logs (the Kafka consumer thread); not thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "handlers/time.h"

namespace handoff {

class LogRateLimiter {
 public:
  LogRateLimiter() = default;  // lets every line through until given an interval
  explicit LogRateLimiter(DurationMs interval) : interval_(interval) {}

  // nullopt: stay quiet. Otherwise log now, mentioning the returned number of lines
  // suppressed since the last one that got through.
  std::optional<std::uint64_t> Allow(TimeMs now) {
    if (next_ != kNoTime && now < next_) {
      ++suppressed_;
      return std::nullopt;
    }
    next_ = now + interval_;
    std::uint64_t suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
  }

 private:
  DurationMs interval_ = 0;
  TimeMs next_ = kNoTime;
  std::uint64_t suppressed_ = 0;
};

}  // namespace handoff
