#include "handlers/business_calendar.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include <date/tz.h>

// How the two questions are answered fast (issue 4: a deadline a week away in well under
// a microsecond, no minute or hour loops):
//
// - Create() turns the zone into a short table of Segments (one per UTC offset change,
//   about 150 for Europe/Berlin up to 2037, where the system tz database ends), so no
//   date/tz call happens after Create(). A local time resolves by one binary search.
// - Both operations walk local days. A day lies inside one segment's owned local range
//   on all but the few DST change days a year; its intervals are then `local - offset`,
//   a subtraction. Only change days resolve every interval end through the table.
// - Inside one segment, whole weeks are skipped arithmetically: a week is worth
//   week_work_, minus the nominal work of the holidays in it (a prefix sum over the
//   sorted holidays). So a deadline months away costs a handful of steps.
//
// Where the walk starts: the local day of `from`, floor((from + offset) / day), is never
// later than the day whose intervals can contain `from` (a repeated hour after a fall-back
// can belong to the next day), and every interval is clipped to [from, ...), so starting
// one day early is harmless.

namespace handoff {
namespace {

// Instants outside about ±17,800 years around 1970 are clamped; this keeps every
// intermediate (day * kDay, local + offset) far from overflow.
constexpr TimeMs kMinInstant = -(TimeMs{1} << 49);
constexpr TimeMs kMaxInstant = TimeMs{1} << 49;
constexpr std::int64_t kMaxDay = kMaxInstant / kDay + 2;
constexpr TimeMs kFarPast = -(TimeMs{1} << 62);
constexpr TimeMs kFarFuture = TimeMs{1} << 62;

constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// 1970-01-01 was a Thursday; index 0 is Monday.
int Weekday(std::int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }

std::string FormatMinute(int minute) {
  if (minute < 0) return std::to_string(minute) + " min";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

std::string FormatInterval(const LocalInterval& i) {
  return FormatMinute(i.begin_minute) + "-" + FormatMinute(i.end_minute);
}

TimeMs Clamp(TimeMs t) { return std::clamp(t, kMinInstant, kMaxInstant); }

}  // namespace

// The state of a walk over local days: the day, the segment owning its midnight, the
// first holiday not before it, and whether the whole day [00:00, 24:00] has one offset.
struct BusinessCalendar::DayWalk {
  const BusinessCalendar& cal;
  std::int64_t day = 0;
  std::size_t segment = 0;
  std::size_t holiday = 0;
  TimeMs local_start = 0;
  bool uniform = false;
  DurationMs offset = 0;

  void Load() {
    local_start = day * kDay;
    const auto& segs = cal.segments_;
    while (segment + 1 < segs.size() && segs[segment + 1].owned_begin <= local_start) ++segment;
    offset = segs[segment].offset;
    uniform = local_start + kDay < segs[segment].owned_end;
    const auto& hol = cal.holidays_;
    while (holiday < hol.size() && hol[holiday] < day) ++holiday;
  }

  void Next() {
    ++day;
    Load();
  }

  // The instant of local time `ms` after this day's midnight.
  TimeMs At(DurationMs ms) const {
    return uniform ? local_start + ms - offset : cal.Resolve(local_start + ms);
  }

  bool IsHoliday() const { return holiday < cal.holidays_.size() && cal.holidays_[holiday] == day; }

  const std::vector<Interval>& Hours() const { return cal.hours_[Weekday(day)]; }

  // Days from this one (included) that are uniform in the current segment.
  std::int64_t UniformDays() const {
    if (!uniform) return 0;
    const std::int64_t last = FloorDiv(cal.segments_[segment].owned_end - 1, kDay) - 1;
    return std::min(last, kMaxDay) - day + 1;
  }

  // Moves `weeks` whole weeks ahead (all uniform) and returns their working time.
  DurationMs SkipWeeks(std::int64_t weeks) {
    const std::int64_t end_day = day + 7 * weeks;
    const auto& hol = cal.holidays_;
    const std::size_t end_holiday =
        static_cast<std::size_t>(std::lower_bound(hol.begin(), hol.end(), end_day) - hol.begin());
    const DurationMs work = weeks * cal.week_work_ - (cal.holiday_work_before_[end_holiday] -
                                                      cal.holiday_work_before_[holiday]);
    day = end_day;
    holiday = end_holiday;
    Load();
    return work;
  }
};

Result<std::shared_ptr<const BusinessCalendar>> BusinessCalendar::Create(const CalendarSpec& spec) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    return Error{"unknown time zone \"" + spec.timezone + "\""};
  }

  bool any_work = false;
  for (int d = 0; d < 7; ++d) {
    const std::string day = kDayNames[d];
    std::vector<LocalInterval> sorted = spec.hours[d];
    for (const LocalInterval& i : sorted) {
      if (i.begin_minute < 0 || i.begin_minute > 1439 || i.end_minute < 1 || i.end_minute > 1440) {
        return Error{day + ": hours " + FormatInterval(i) +
                     " are out of range; use 00:00 to 24:00"};
      }
      if (i.end_minute <= i.begin_minute) {
        return Error{day + ": hours " + FormatInterval(i) +
                     " end before they start; split a night shift at 24:00"};
      }
      any_work = true;
    }
    std::sort(sorted.begin(), sorted.end(), [](const LocalInterval& a, const LocalInterval& b) {
      return a.begin_minute < b.begin_minute;
    });
    for (std::size_t k = 1; k < sorted.size(); ++k) {
      if (sorted[k].begin_minute < sorted[k - 1].end_minute) {
        return Error{day + ": hours " + FormatInterval(sorted[k - 1]) + " and " +
                     FormatInterval(sorted[k]) + " overlap"};
      }
    }
  }
  if (!any_work) return Error{"no working hours on any day of the week"};

  // The zone's offset changes, from the far past to the last one the database knows.
  std::vector<Segment> segments;
  auto info = zone->get_info(date::sys_seconds{std::chrono::seconds{kMinInstant / 1000}});
  TimeMs begin = kFarPast;
  while (true) {
    const DurationMs offset =
        std::chrono::duration_cast<std::chrono::milliseconds>(info.offset).count();
    if (segments.empty() || segments.back().offset != offset) {
      segments.push_back(Segment{begin, offset, 0, 0});
    }
    const std::int64_t end_s = info.end.time_since_epoch().count();
    if (end_s >= kMaxInstant / 1000) break;
    auto next = zone->get_info(info.end);
    if (next.begin <= info.begin) break;  // defensive: the database did not move forward
    begin = end_s * 1000;
    info = next;
  }
  // Owned local ranges: a local time belongs to the first segment that shows it.
  TimeMs reach = kFarPast;  // the latest local time shown so far
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Segment& s = segments[i];
    const bool last = i + 1 == segments.size();
    s.owned_begin = i == 0 ? kFarPast : std::max(s.begin + s.offset, reach);
    s.owned_end = last ? kFarFuture : std::max(segments[i + 1].begin + s.offset, s.owned_begin);
    reach = s.owned_end;
  }

  return std::shared_ptr<const BusinessCalendar>(new BusinessCalendar(spec, std::move(segments)));
}

BusinessCalendar::BusinessCalendar(const CalendarSpec& spec, std::vector<Segment> segments)
    : timezone_(spec.timezone), segments_(std::move(segments)) {
  for (int d = 0; d < 7; ++d) {
    std::vector<LocalInterval> sorted = spec.hours[d];
    std::sort(sorted.begin(), sorted.end(), [](const LocalInterval& a, const LocalInterval& b) {
      return a.begin_minute < b.begin_minute;
    });
    for (const LocalInterval& i : sorted) {
      const DurationMs b = i.begin_minute * kMinute;
      const DurationMs e = i.end_minute * kMinute;
      // Touching intervals merge: resolving 12:00 once gives the same instants.
      if (!hours_[d].empty() && hours_[d].back().end == b) {
        hours_[d].back().end = e;
      } else {
        hours_[d].push_back(Interval{b, e});
      }
      day_work_[d] += e - b;
    }
    week_work_ += day_work_[d];
  }
  holidays_.assign(spec.holidays.begin(), spec.holidays.end());
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
  holiday_work_before_.reserve(holidays_.size() + 1);
  holiday_work_before_.push_back(0);
  for (std::int64_t h : holidays_) {
    holiday_work_before_.push_back(holiday_work_before_.back() + day_work_[Weekday(h)]);
  }
}

std::size_t BusinessCalendar::SegmentAt(TimeMs instant) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), instant,
                             [](TimeMs t, const Segment& s) { return t < s.begin; });
  return static_cast<std::size_t>(it - segments_.begin()) - 1;
}

std::size_t BusinessCalendar::SegmentOwning(TimeMs local) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), local,
                             [](TimeMs l, const Segment& s) { return l < s.owned_begin; });
  return static_cast<std::size_t>(it - segments_.begin()) - 1;
}

TimeMs BusinessCalendar::Resolve(TimeMs local) const {
  const std::size_t j = SegmentOwning(local);
  if (local < segments_[j].owned_end) return local - segments_[j].offset;
  return segments_[j + 1].begin;  // in a gap: the instant the gap ends
}

BusinessCalendar::DayWalk BusinessCalendar::StartWalk(TimeMs from) const {
  DayWalk walk{*this};
  walk.day = FloorDiv(from + segments_[SegmentAt(from)].offset, kDay);
  walk.segment = SegmentOwning(walk.day * kDay);
  walk.holiday = static_cast<std::size_t>(
      std::lower_bound(holidays_.begin(), holidays_.end(), walk.day) - holidays_.begin());
  walk.Load();
  return walk;
}

DurationMs BusinessCalendar::WorkingTime(TimeMs from, TimeMs to) const {
  from = Clamp(from);
  to = Clamp(to);
  if (to <= from) return 0;
  DurationMs total = 0;
  DayWalk walk = StartWalk(from);
  while (walk.day <= kMaxDay) {
    const TimeMs day_start = walk.At(0);
    if (day_start >= to) break;
    if (day_start >= from) {
      // Whole weeks that start after `from`, end before `to` and keep one offset.
      const std::int64_t days_before_to = FloorDiv(to + walk.offset, kDay) - walk.day;
      const std::int64_t weeks = std::min(walk.UniformDays(), days_before_to) / 7;
      if (weeks > 0) {
        total += walk.SkipWeeks(weeks);
        continue;
      }
    }
    if (!walk.IsHoliday()) {
      for (const Interval& i : walk.Hours()) {
        const TimeMs b = std::max(walk.At(i.begin), from);
        const TimeMs e = std::min(walk.At(i.end), to);
        if (e > b) total += e - b;
      }
    }
    walk.Next();
  }
  return total;
}

TimeMs BusinessCalendar::AddWorkingTime(TimeMs from, DurationMs work) const {
  if (work <= 0) return from;
  const TimeMs start = Clamp(from);
  DurationMs remaining = work;
  DayWalk walk = StartWalk(start);
  while (walk.day <= kMaxDay) {
    if (remaining > week_work_ && walk.At(0) >= start) {
      // Skip whole weeks that surely end before the deadline: their work is at most
      // weeks * week_work_ < remaining, so the deadline (the earliest instant) lies after.
      const std::int64_t weeks = std::min(walk.UniformDays() / 7, (remaining - 1) / week_work_);
      if (weeks > 0) {
        remaining -= walk.SkipWeeks(weeks);
        continue;
      }
    }
    if (!walk.IsHoliday()) {
      for (const Interval& i : walk.Hours()) {
        const TimeMs b = std::max(walk.At(i.begin), start);
        const TimeMs e = walk.At(i.end);
        if (e <= b) continue;
        if (e - b >= remaining) return std::max(SaturatingAdd(b, remaining), from);
        remaining -= e - b;
      }
    }
    walk.Next();
  }
  return kEndOfTime;
}

}  // namespace handoff
