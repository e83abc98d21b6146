// Working time: which instants count toward an SLA's elapsed time. The engine asks only
// the two questions below, so 24x7 and business calendars are interchangeable.
// Implementations are immutable after construction and safe to share across threads.
#pragma once

#include <memory>

#include "handlers/time.h"

namespace handoff {

class Calendar {
 public:
  virtual ~Calendar() = default;

  // Working milliseconds in [from, to); 0 when to <= from.
  virtual DurationMs WorkingTime(TimeMs from, TimeMs to) const = 0;

  // The earliest instant t >= from with WorkingTime(from, t) == work (work >= 0).
  // Returns `from` for work == 0.
  virtual TimeMs AddWorkingTime(TimeMs from, DurationMs work) const = 0;
};

// Every instant counts: the calendar of an SLA without `calendar:`.
class AlwaysOpenCalendar final : public Calendar {
 public:
  DurationMs WorkingTime(TimeMs from, TimeMs to) const override {
    return to > from ? to - from : 0;
  }
  TimeMs AddWorkingTime(TimeMs from, DurationMs work) const override {
    return SaturatingAdd(from, work);
  }

  static std::shared_ptr<const Calendar> Shared() {
    static const auto instance = std::make_shared<const AlwaysOpenCalendar>();
    return instance;
  }
};

}  // namespace handoff
