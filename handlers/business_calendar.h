// A business calendar (docs/reference/config.md `calendars`, timing.md): weekly working hours in an
// IANA time zone, minus whole-day holidays. Immutable after Create(); any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "handlers/calendar.h"
#include "handlers/result.h"

namespace handoff {

// [begin, end) in minutes after local midnight; end may be 1440 ("24:00").
struct LocalInterval {
  int begin_minute = 0;
  int end_minute = 0;
};

struct CalendarSpec {
  std::string timezone;                             // IANA name, e.g. "Europe/Berlin"
  std::array<std::vector<LocalInterval>, 7> hours;  // [0] = Monday ... [6] = Sunday
  std::vector<std::int32_t> holidays;               // local dates, days since 1970-01-01
};

class BusinessCalendar final : public Calendar {
 public:
  // Fails, with a message naming the problem, on an unknown time zone, an interval out of
  // range, inverted or overlapping another, or a week without any working time.
  static Result<std::shared_ptr<const BusinessCalendar>> Create(const CalendarSpec& spec);

  DurationMs WorkingTime(TimeMs from, TimeMs to) const override;
  TimeMs AddWorkingTime(TimeMs from, DurationMs work) const override;

 private:
  // A stretch of instants with one UTC offset, precomputed from the tz database in
  // Create(). Local times in [owned_begin, owned_end) first occur in this stretch, so
  // they resolve to `local - offset`; a local time owned by no stretch is in a DST gap.
  struct Segment {
    TimeMs begin = 0;        // first instant with this offset
    DurationMs offset = 0;   // local minus UTC
    TimeMs owned_begin = 0;  // local ms since 1970-01-01T00:00 (local)
    TimeMs owned_end = 0;
  };
  struct Interval {
    DurationMs begin = 0;  // ms after local midnight
    DurationMs end = 0;
  };
  struct DayWalk;

  BusinessCalendar(const CalendarSpec& spec, std::vector<Segment> segments);

  std::size_t SegmentAt(TimeMs instant) const;
  std::size_t SegmentOwning(TimeMs local) const;
  TimeMs Resolve(TimeMs local) const;  // timing.md: gap -> its end, ambiguous -> first
  DayWalk StartWalk(TimeMs from) const;

  std::string timezone_;
  std::array<std::vector<Interval>, 7> hours_;  // sorted, merged when touching
  std::array<DurationMs, 7> day_work_{};        // nominal: a day without a DST change
  DurationMs week_work_ = 0;
  std::vector<std::int64_t> holidays_;           // sorted, unique local days
  std::vector<DurationMs> holiday_work_before_;  // [i] = nominal work of holidays_[0..i)
  std::vector<Segment> segments_;                // by begin; [0] from the far past
};

}  // namespace handoff
