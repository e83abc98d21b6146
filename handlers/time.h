// Instants and durations as the engine sees them: whole milliseconds since the Unix
// epoch (UTC) and whole milliseconds of duration. Parsing and printing of RFC 3339
// times and of config durations ("90s", "1h30m", "3d"). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace handoff {

using TimeMs = std::int64_t;      // an instant: ms since 1970-01-01T00:00:00Z
using DurationMs = std::int64_t;  // a span of (working) time in ms

// "No instant": used for absent times (not started, never breached, no deadline).
inline constexpr TimeMs kNoTime = std::numeric_limits<TimeMs>::min();
inline constexpr TimeMs kEndOfTime = std::numeric_limits<TimeMs>::max();

inline constexpr DurationMs kSecond = 1000;
inline constexpr DurationMs kMinute = 60 * kSecond;
inline constexpr DurationMs kHour = 60 * kMinute;
inline constexpr DurationMs kDay = 24 * kHour;

// The instants an event may carry: years 1970 to 9999 (UTC). Anything else is a typo or
// a broken clock, and would print as a year that is not four digits.
inline constexpr TimeMs kMinEventTime = 0;                    // 1970-01-01T00:00:00Z
inline constexpr TimeMs kMaxEventTime = 253402300799999;      // 9999-12-31T23:59:59.999Z
// The longest duration a config may give: 100 years of 365.25 days.
inline constexpr DurationMs kMaxConfigDuration = 36525 * kDay;

// t + d, saturating at kNoTime + 1 and kEndOfTime instead of wrapping: deadline
// arithmetic never turns a far deadline into a past one.
constexpr TimeMs SaturatingAdd(TimeMs t, DurationMs d) {
  TimeMs sum;
  if (__builtin_add_overflow(t, d, &sum)) return d > 0 ? kEndOfTime : kNoTime + 1;
  return sum == kNoTime ? kNoTime + 1 : sum;
}

// True when `event` lies more than `max_future` after `now`: a producer clock that is
// wrong, not an event that happened (docs/reference/events.md, reason future_time).
constexpr bool IsTooFarAhead(TimeMs event, TimeMs now, DurationMs max_future) {
  return event > SaturatingAdd(now, max_future);
}

// RFC 3339 date-time with a mandatory 'T' and offset ('Z' or +hh:mm). Any number of
// fractional digits; digits past milliseconds are truncated (toward the earlier
// instant), never rounded. Rejects hour 24, second 60, impossible dates and instants
// outside [kMinEventTime, kMaxEventTime] (after applying the offset).
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// UTC with 'Z'; three fractional digits only when the milliseconds are not zero. Always
// a four-digit year: instants outside years 0000-9999 print as the nearest end.
std::string FormatRfc3339(TimeMs t);

// A sequence of <integer><unit> with units d, h, m, s, ms, each at most once and in
// that order ("1h30m", "90s", "3d", "250ms"). Returns nullopt for anything else,
// including an empty string and a zero-free sign.
std::optional<DurationMs> ParseDuration(std::string_view text);

// The shortest form ParseDuration reads back: 5400000 -> "1h30m", 0 -> "0s".
std::string FormatDuration(DurationMs d);

// Seconds with millisecond precision, for JSON and logs: 7200001 -> "7200.001".
std::string FormatSeconds(DurationMs d);

}  // namespace handoff
