// A business calendar (DESIGN.md §3 `calendars:`, §5 rule 4): weekly working hours in an
// IANA time zone, minus whole-day holidays. Immutable after Create(); any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "handlers/calendar.h"
#include "handlers/result.h"

namespace date {
class time_zone;
}

namespace handoff {

// [begin, end) in minutes after local midnight; end may be 1440 ("24:00").
struct LocalInterval {
  int begin_minute = 0;
  int end_minute = 0;
};

struct CalendarSpec {
  std::string timezone;                              // IANA name, e.g. "Europe/Berlin"
  std::array<std::vector<LocalInterval>, 7> hours;   // [0] = Monday ... [6] = Sunday
  std::vector<std::int32_t> holidays;                // local dates, days since 1970-01-01
};

class BusinessCalendar final : public Calendar {
 public:
  // Fails, with a message naming the problem, on an unknown time zone, an interval out of
  // range, inverted or overlapping another, or a week without any working time.
  static Result<std::shared_ptr<const BusinessCalendar>> Create(const CalendarSpec& spec);

  DurationMs WorkingTime(TimeMs from, TimeMs to) const override;
  TimeMs AddWorkingTime(TimeMs from, DurationMs work) const override;

 private:
  explicit BusinessCalendar(const CalendarSpec& spec, const date::time_zone* zone);

  CalendarSpec spec_;
  const date::time_zone* zone_;
};

}  // namespace handoff
