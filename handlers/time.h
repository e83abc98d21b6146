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

// RFC 3339 date-time with a mandatory 'T' and offset ('Z' or +hh:mm). Any number of
// fractional digits; digits past milliseconds are truncated (toward the earlier
// instant), never rounded. Rejects hour 24, second 60 and impossible dates.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// UTC with 'Z'; three fractional digits only when the milliseconds are not zero.
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
