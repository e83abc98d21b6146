// Parsing of a calendar's `hours:` and `holidays:` entries (docs/reference/config.md): day keys
// ("mon", "mon-fri", "sat,sun"), intervals ("08:00-12:00", "24:00" only as an end) and
// holiday dates ("2026-12-24"). Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "handlers/business_calendar.h"
#include "handlers/result.h"

namespace handoff {

// Which days of the week a key covers; [0] is Monday ... [6] is Sunday.
using DaySet = std::array<bool, 7>;

// "mon".."sun", a forward range "mon-fri" (a wrapping range such as "fri-mon" is an
// error: write "fri-sun,mon"), or a comma list of those. Repeating a day inside one
// key is an error.
Result<DaySet> ParseDayKey(std::string_view key);

// "HH:MM-HH:MM" with HH 00-23 and MM 00-59, or "24:00" as the end; the end must come
// after the beginning.
Result<LocalInterval> ParseInterval(std::string_view text);

// "YYYY-MM-DD" as days since 1970-01-01; impossible dates are errors.
Result<std::int32_t> ParseDate(std::string_view text);

// "mon" for 0 ... "sun" for 6.
std::string_view DayName(int day);

// "08:00-12:00" again, for messages.
std::string FormatInterval(const LocalInterval& interval);

}  // namespace handoff
