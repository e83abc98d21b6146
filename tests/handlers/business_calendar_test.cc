#include "handlers/business_calendar.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "handlers/time.h"

namespace handoff {
namespace {

using ::testing::HasSubstr;

// ---- helpers -------------------------------------------------------------------------

TimeMs T(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

std::int32_t Day(std::string_view ymd) {
  return static_cast<std::int32_t>(T(std::string(ymd) + "T00:00:00Z") / kDay);
}

int Minute(std::string_view hhmm) {
  return std::stoi(std::string(hhmm.substr(0, 2))) * 60 + std::stoi(std::string(hhmm.substr(3, 2)));
}

LocalInterval Hours(std::string_view range) {  // "08:00-12:00"
  return LocalInterval{Minute(range.substr(0, 5)), Minute(range.substr(6, 5))};
}

int DayIndex(std::string_view name) {
  static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; ++i) {
    if (kNames[i] == name) return i;
  }
  ADD_FAILURE() << "bad day " << name;
  return 0;
}

// {"mon-fri", {"08:00-12:00", "13:00-18:00"}}, {"sat", {...}}
using WeekHours = std::vector<std::pair<std::string, std::vector<std::string>>>;

CalendarSpec Spec(std::string zone, const WeekHours& week,
                  const std::vector<std::string>& holidays = {}) {
  CalendarSpec spec;
  spec.timezone = std::move(zone);
  for (const auto& [days, ranges] : week) {
    const int first = DayIndex(std::string_view(days).substr(0, 3));
    const int last = days.size() > 3 ? DayIndex(std::string_view(days).substr(4, 3)) : first;
    for (int d = first; d <= last; ++d) {
      for (const std::string& r : ranges) spec.hours[d].push_back(Hours(r));
    }
  }
  for (const std::string& h : holidays) spec.holidays.push_back(Day(h));
  return spec;
}

std::shared_ptr<const BusinessCalendar> Make(const CalendarSpec& spec) {
  auto result = BusinessCalendar::Create(spec);
  if (!result.ok()) {
    ADD_FAILURE() << spec.timezone << ": " << result.error().message;
    return nullptr;
  }
  return result.value();
}

std::string CreateError(const CalendarSpec& spec) {
  auto result = BusinessCalendar::Create(spec);
  if (result.ok()) return "(no error)";
  return result.error().message;
}

// The office calendar of docs/reference/config.md, without Saturday: 9 working hours a day.
CalendarSpec BerlinOffice(const std::vector<std::string>& holidays = {}) {
  return Spec("Europe/Berlin", {{"mon-fri", {"08:00-12:00", "13:00-18:00"}}}, holidays);
}

// ---- calendar_weekend replay example (Europe/London, GMT in November) ----------------

TEST(BusinessCalendar, CalendarWeekendReplayExample) {
  auto cal = Make(Spec("Europe/London", {{"mon-fri", {"09:00-17:00"}}}));
  ASSERT_TRUE(cal);
  // order-1: Fri 16:00 + 2h = 1h Fri (16-17) + 1h Mon (09-10) -> Mon 10:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-27T16:00:00Z"), 2 * kHour), T("2026-11-30T10:00:00Z"));
  // Stopped Mon 09:30: 1h Fri + 30m Mon = 1h30m = 5400 s.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-27T16:00:00Z"), T("2026-11-30T09:30:00Z")), 5400 * kSecond);
  // order-2: Sat 10:00 counts from Mon 09:00; + 2h -> Mon 11:00; stopped Mon 10:00 -> 1h.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-28T10:00:00Z"), 2 * kHour), T("2026-11-30T11:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-11-28T10:00:00Z"), T("2026-11-30T10:00:00Z")), kHour);
  // order-3 (gold, 1h): Fri 16:00 + 1h = Fri 17:00, the end of Friday's hours, not Mon 09:00.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-27T16:00:00Z"), kHour), T("2026-11-27T17:00:00Z"));
  // As of Mon 12:00: 1h Fri + 3h Mon (09-12) = 4h = 14400 s.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-27T16:00:00Z"), T("2026-11-30T12:00:00Z")), 4 * kHour);
  // order-4: Fri 08:00 (before opening) + 2h = 09:00-11:00 -> 11:00; stopped 09:30 -> 30m.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-27T08:00:00Z"), 2 * kHour), T("2026-11-27T11:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-11-27T08:00:00Z"), T("2026-11-27T09:30:00Z")), 30 * kMinute);
}

// ---- basics ---------------------------------------------------------------------------

TEST(BusinessCalendar, ZeroWorkReturnsStartEvenOutsideHours) {
  auto cal = Make(BerlinOffice());
  ASSERT_TRUE(cal);
  const TimeMs sunday = T("2026-11-29T03:17:00.123Z");
  EXPECT_EQ(cal->AddWorkingTime(sunday, 0), sunday);
  EXPECT_EQ(cal->WorkingTime(sunday, sunday), 0);
  EXPECT_EQ(cal->WorkingTime(sunday + kHour, sunday), 0);
}

TEST(BusinessCalendar, StartOnFridayEvening) {
  auto cal = Make(BerlinOffice());
  ASSERT_TRUE(cal);
  // Fri 2026-11-27 19:30 CET (18:30Z) is after hours; nothing counts until Mon 08:00 CET
  // (07:00Z). 2h -> Mon 08:00-10:00 CET -> 10:00 CET = 09:00Z.
  const TimeMs friday_evening = T("2026-11-27T18:30:00Z");
  EXPECT_EQ(cal->AddWorkingTime(friday_evening, 2 * kHour), T("2026-11-30T09:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(friday_evening, T("2026-11-30T09:00:00Z")), 2 * kHour);
  // 6h: Mon 08-12 (4h) + 13-15 (2h) -> 15:00 CET = 14:00Z; the lunch hour does not count.
  EXPECT_EQ(cal->AddWorkingTime(friday_evening, 6 * kHour), T("2026-11-30T14:00:00Z"));
  // 4h lands exactly on the end of the morning: the earliest instant is 12:00, not 13:00.
  EXPECT_EQ(cal->AddWorkingTime(friday_evening, 4 * kHour), T("2026-11-30T11:00:00Z"));
}

TEST(BusinessCalendar, StartsAndStopsOutsideWorkingHours) {
  auto cal = Make(BerlinOffice());
  ASSERT_TRUE(cal);
  // Start in the lunch break (Wed 12:30 CET = 11:30Z): + 1h -> 13:00-14:00 CET = 13:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-25T11:30:00Z"), kHour), T("2026-11-25T13:00:00Z"));
  // Wed 07:00 CET to 22:00 CET covers the whole day: 4h + 5h = 9h.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-25T06:00:00Z"), T("2026-11-25T21:00:00Z")), 9 * kHour);
  // From Sat to Sun: nothing.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-28T00:00:00Z"), T("2026-11-29T23:00:00Z")), 0);
  // From the lunch break to Thu 06:00 CET: 13:00-18:00 Wed = 5h.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-25T11:30:00Z"), T("2026-11-26T05:00:00Z")), 5 * kHour);
  // Start at 18:00 CET exactly (the end of the day): the next working instant is Thu 08:00.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-25T17:00:00Z"), 1), T("2026-11-26T07:00:00.001Z"));
}

TEST(BusinessCalendar, MidnightIsTheNextDaysStart) {
  // A night shift split at 24:00: Mon 22:00-24:00 and Tue 00:00-06:00, Berlin (CET, +1).
  auto cal = Make(Spec("Europe/Berlin", {{"mon", {"22:00-24:00"}}, {"tue", {"00:00-06:00"}}}));
  ASSERT_TRUE(cal);
  // Mon 2026-11-23 22:00 CET = 21:00Z to Tue 06:00 CET = 05:00Z: 8h without a break.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-23T00:00:00Z"), T("2026-11-25T00:00:00Z")), 8 * kHour);
  // 2h from 21:00Z ends at Mon 24:00 = Tue 00:00 CET = 23:00Z, the end of Monday's interval.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-23T21:00:00Z"), 2 * kHour), T("2026-11-23T23:00:00Z"));
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-23T21:00:00Z"), 2 * kHour + 1),
            T("2026-11-23T23:00:00.001Z"));
}

TEST(BusinessCalendar, TouchingIntervalsAreOneStretch) {
  auto cal = Make(Spec("Europe/Berlin", {{"mon-fri", {"12:00-13:00", "08:00-12:00"}}}));
  ASSERT_TRUE(cal);
  // Mon 2026-11-23 08:00-13:00 CET = 07:00Z-12:00Z: 5h.
  EXPECT_EQ(cal->WorkingTime(T("2026-11-23T00:00:00Z"), T("2026-11-24T00:00:00Z")), 5 * kHour);
  EXPECT_EQ(cal->AddWorkingTime(T("2026-11-23T07:00:00Z"), 4 * kHour + 30 * kMinute),
            T("2026-11-23T11:30:00Z"));
}

// ---- Europe/Berlin DST ------------------------------------------------------------------
// 2026: spring forward Sun 03-29 02:00 CET -> 03:00 CEST (at 01:00Z);
//       fall back Sun 10-25 03:00 CEST -> 02:00 CET (at 01:00Z).

TEST(BusinessCalendar, DeadlineAcrossBerlinSpringForward) {
  auto cal = Make(BerlinOffice());
  ASSERT_TRUE(cal);
  // Fri 03-27 16:00 CET = 15:00Z. 4h = Fri 16-18 (2h) + Mon 08-10 CEST (2h).
  // Mon 10:00 CEST = 08:00Z (with Friday's offset it would wrongly be 09:00Z).
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-27T15:00:00Z"), 4 * kHour), T("2026-03-30T08:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-03-27T15:00:00Z"), T("2026-03-30T08:00:00Z")), 4 * kHour);
  // The whole week Mon 03-23 .. Sun 03-29 still has 5 x 9h = 45h: the change is on Sunday.
  EXPECT_EQ(cal->WorkingTime(T("2026-03-22T23:00:00Z"), T("2026-03-29T22:00:00Z")), 45 * kHour);
}

TEST(BusinessCalendar, DeadlineAcrossBerlinFallBack) {
  auto cal = Make(BerlinOffice());
  ASSERT_TRUE(cal);
  // Fri 10-23 16:00 CEST = 14:00Z. 4h = Fri 16-18 + Mon 08-10 CET; Mon 10:00 CET = 09:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-23T14:00:00Z"), 4 * kHour), T("2026-10-26T09:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-10-23T14:00:00Z"), T("2026-10-26T09:00:00Z")), 4 * kHour);
}

TEST(BusinessCalendar, BerlinIntervalSpanningTheChangeHour) {
  auto cal = Make(Spec("Europe/Berlin", {{"sun", {"01:00-04:00"}}}));
  ASSERT_TRUE(cal);
  // An ordinary Sunday, 03-22: 01:00 CET = 00:00Z to 04:00 CET = 03:00Z = 3h.
  EXPECT_EQ(cal->WorkingTime(T("2026-03-21T00:00:00Z"), T("2026-03-23T00:00:00Z")), 3 * kHour);
  // Spring forward, 03-29: 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z = 2h (one hour shorter).
  EXPECT_EQ(cal->WorkingTime(T("2026-03-28T00:00:00Z"), T("2026-03-30T00:00:00Z")), 2 * kHour);
  // 90 minutes from Saturday: 00:00Z + 1h30 = 01:30Z (= 03:30 CEST).
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-28T00:00:00Z"), 90 * kMinute),
            T("2026-03-29T01:30:00Z"));
  // Fall back, 10-25: 01:00 CEST = 10-24 23:00Z to 04:00 CET = 03:00Z = 4h (one hour longer).
  EXPECT_EQ(cal->WorkingTime(T("2026-10-24T00:00:00Z"), T("2026-10-26T00:00:00Z")), 4 * kHour);
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-24T00:00:00Z"), 4 * kHour), T("2026-10-25T03:00:00Z"));
}

TEST(BusinessCalendar, BerlinIntervalInsideTheChangeHour) {
  auto cal = Make(Spec("Europe/Berlin", {{"sun", {"02:00-03:00"}}}));
  ASSERT_TRUE(cal);
  // Spring forward: 02:00 and 03:00 both resolve to 01:00Z (02:00 is in the gap, which ends
  // at 03:00 CEST = 01:00Z): no working time that Sunday at all.
  EXPECT_EQ(cal->WorkingTime(T("2026-03-28T00:00:00Z"), T("2026-03-30T00:00:00Z")), 0);
  // So 1h from Saturday runs on the next Sunday, 04-05 02:00-03:00 CEST = 00:00Z-01:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-28T00:00:00Z"), kHour), T("2026-04-05T01:00:00Z"));
  // Fall back: 02:00 is ambiguous -> its first occurrence, 02:00 CEST = 00:00Z; 03:00 CET =
  // 02:00Z. Both passes through 02:00-03:00 count: 2h.
  EXPECT_EQ(cal->WorkingTime(T("2026-10-24T00:00:00Z"), T("2026-10-26T00:00:00Z")), 2 * kHour);
}

TEST(BusinessCalendar, BerlinWholeDaysAcrossTheChanges) {
  // Weekend-only 24h calendar: a Sunday is 23h long in March and 25h in October.
  auto cal = Make(Spec("Europe/Berlin", {{"sat-sun", {"00:00-24:00"}}}));
  ASSERT_TRUE(cal);
  // Sat 03-28 00:00 CET = 03-27 23:00Z to Mon 00:00 CEST = 03-29 22:00Z: 24h + 23h = 47h.
  EXPECT_EQ(cal->WorkingTime(T("2026-03-23T00:00:00Z"), T("2026-04-01T00:00:00Z")), 47 * kHour);
  // Sat 10-24 00:00 CEST = 10-23 22:00Z to Mon 00:00 CET = 10-25 23:00Z: 24h + 25h = 49h.
  EXPECT_EQ(cal->WorkingTime(T("2026-10-19T00:00:00Z"), T("2026-10-28T00:00:00Z")), 49 * kHour);
  // 47h from Monday ends at Sun 24:00 = 03-29 22:00Z, the end of the weekend, not next Sat.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-23T00:00:00Z"), 47 * kHour), T("2026-03-29T22:00:00Z"));
  // One more ms: Sat 04-04 00:00 CEST = 04-03 22:00Z, plus 1 ms.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-23T00:00:00Z"), 47 * kHour + 1),
            T("2026-04-03T22:00:00.001Z"));
}

TEST(BusinessCalendar, AlwaysOpenInBerlinIsAllTime) {
  // Every local day 00:00-24:00: the days tile time, also across DST changes.
  auto cal = Make(Spec("Europe/Berlin", {{"mon-sun", {"00:00-24:00"}}}));
  ASSERT_TRUE(cal);
  const TimeMs a = T("2026-03-28T12:34:56.789Z");
  const TimeMs b = T("2026-10-26T01:02:03.004Z");
  EXPECT_EQ(cal->WorkingTime(a, b), b - a);
  EXPECT_EQ(cal->AddWorkingTime(a, b - a), b);
}

TEST(BusinessCalendar, GapTimeMeansTheEndOfTheGap) {
  auto cal = Make(Spec("Europe/Berlin", {{"sun", {"02:30-05:00"}}}));
  ASSERT_TRUE(cal);
  // 03-29 02:30 does not exist; the gap ends at 03:00 CEST = 01:00Z. 05:00 CEST = 03:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-28T12:00:00Z"), 1), T("2026-03-29T01:00:00.001Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-03-28T12:00:00Z"), T("2026-03-30T00:00:00Z")), 2 * kHour);
  // An interval ending in the gap ends at the gap's end: 00:00 CET (03-28 23:00Z) to 01:00Z.
  auto ends_in_gap = Make(Spec("Europe/Berlin", {{"sun", {"00:00-02:30"}}}));
  ASSERT_TRUE(ends_in_gap);
  EXPECT_EQ(ends_in_gap->WorkingTime(T("2026-03-28T12:00:00Z"), T("2026-03-30T00:00:00Z")),
            2 * kHour);
}

TEST(BusinessCalendar, AmbiguousTimeMeansItsFirstOccurrence) {
  auto cal = Make(Spec("Europe/Berlin", {{"sun", {"02:30-04:00"}}}));
  ASSERT_TRUE(cal);
  // 10-25 02:30 happens twice; the first is 02:30 CEST = 00:30Z. 04:00 CET = 03:00Z: 2h30m.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-24T12:00:00Z"), 1), T("2026-10-25T00:30:00.001Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-10-24T12:00:00Z"), T("2026-10-26T00:00:00Z")), 150 * kMinute);
  // An interval ending at an ambiguous time ends at its first occurrence too:
  // 00:00 CEST (10-24 22:00Z) to 02:30 CEST (00:30Z) = 2h30m; the repeated 02:00-02:30 CET
  // does not count.
  auto ends_ambiguous = Make(Spec("Europe/Berlin", {{"sun", {"00:00-02:30"}}}));
  ASSERT_TRUE(ends_ambiguous);
  EXPECT_EQ(ends_ambiguous->WorkingTime(T("2026-10-24T12:00:00Z"), T("2026-10-26T00:00:00Z")),
            150 * kMinute);
  EXPECT_EQ(ends_ambiguous->WorkingTime(T("2026-10-25T00:30:00Z"), T("2026-10-25T02:00:00Z")), 0);
}

// ---- America/New_York DST ---------------------------------------------------------------
// 2026: spring forward Sun 03-08 02:00 EST -> 03:00 EDT (at 07:00Z);
//       fall back Sun 11-01 02:00 EDT -> 01:00 EST (at 06:00Z).

TEST(BusinessCalendar, DeadlineAcrossNewYorkSpringForward) {
  auto cal = Make(Spec("America/New_York", {{"mon-fri", {"09:00-17:00"}}}));
  ASSERT_TRUE(cal);
  // Fri 03-06 15:00 EST = 20:00Z. 3h = Fri 15-17 (2h) + Mon 09-10 EDT; 10:00 EDT = 14:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-03-06T20:00:00Z"), 3 * kHour), T("2026-03-09T14:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-03-06T20:00:00Z"), T("2026-03-09T14:00:00Z")), 3 * kHour);
}

TEST(BusinessCalendar, DeadlineAcrossNewYorkFallBack) {
  auto cal = Make(Spec("America/New_York", {{"mon-fri", {"09:00-17:00"}}}));
  ASSERT_TRUE(cal);
  // Fri 10-30 15:00 EDT = 19:00Z. 3h = Fri 15-17 + Mon 09-10 EST; 10:00 EST = 15:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-30T19:00:00Z"), 3 * kHour), T("2026-11-02T15:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-10-30T19:00:00Z"), T("2026-11-02T15:00:00Z")), 3 * kHour);
}

TEST(BusinessCalendar, NewYorkIntervalsSpanningTheChange) {
  auto wide = Make(Spec("America/New_York", {{"sun", {"01:00-04:00"}}}));
  auto narrow = Make(Spec("America/New_York", {{"sun", {"02:00-03:00"}}}));
  ASSERT_TRUE(wide && narrow);
  // 03-08: 01:00 EST = 06:00Z to 04:00 EDT = 08:00Z = 2h.
  EXPECT_EQ(wide->WorkingTime(T("2026-03-07T00:00:00Z"), T("2026-03-09T00:00:00Z")), 2 * kHour);
  // 03-08: 02:00 is in the gap -> 03:00 EDT = 07:00Z; 03:00 EDT = 07:00Z: nothing.
  EXPECT_EQ(narrow->WorkingTime(T("2026-03-07T00:00:00Z"), T("2026-03-09T00:00:00Z")), 0);
  // 11-01: 01:00 is ambiguous -> 01:00 EDT = 05:00Z; 04:00 EST = 09:00Z = 4h.
  EXPECT_EQ(wide->WorkingTime(T("2026-10-31T00:00:00Z"), T("2026-11-02T00:00:00Z")), 4 * kHour);
  // 11-01: 02:00 EST = 07:00Z (02:00 happens once) to 03:00 EST = 08:00Z = 1h.
  EXPECT_EQ(narrow->WorkingTime(T("2026-10-31T00:00:00Z"), T("2026-11-02T00:00:00Z")), kHour);
  // 1h30m from Saturday on the wide calendar in November: 05:00Z + 1h30 = 06:30Z, which is
  // 01:30 EST, the second pass through 01:30 (the first, 05:30Z, was only 30 min in).
  EXPECT_EQ(wide->AddWorkingTime(T("2026-10-31T00:00:00Z"), 90 * kMinute),
            T("2026-11-01T06:30:00Z"));
}

TEST(BusinessCalendar, NewYorkSundaysAcrossTheChanges) {
  auto cal = Make(Spec("America/New_York", {{"sun", {"00:00-24:00"}}}));
  ASSERT_TRUE(cal);
  // 03-08: 00:00 EST = 05:00Z to 03-09 00:00 EDT = 04:00Z: 23h.
  EXPECT_EQ(cal->WorkingTime(T("2026-03-02T12:00:00Z"), T("2026-03-12T00:00:00Z")), 23 * kHour);
  // 11-01: 00:00 EDT = 04:00Z to 11-02 00:00 EST = 05:00Z: 25h.
  EXPECT_EQ(cal->WorkingTime(T("2026-10-26T12:00:00Z"), T("2026-11-05T00:00:00Z")), 25 * kHour);
  // 24h from the start of 11-01 is 11-02 04:00Z (23:00 EST), an hour before that day's end.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-30T00:00:00Z"), 24 * kHour), T("2026-11-02T04:00:00Z"));
}

// ---- half-hour offsets --------------------------------------------------------------

TEST(BusinessCalendar, KolkataHalfHourOffset) {
  // IST = UTC+05:30, no DST. Mon-fri 09:30-18:00 = 8h30m a day.
  auto cal = Make(Spec("Asia/Kolkata", {{"mon-fri", {"09:30-18:00"}}}));
  ASSERT_TRUE(cal);
  // Mon 2026-06-01 09:30 IST = 04:00Z to 18:00 IST = 12:30Z.
  EXPECT_EQ(cal->WorkingTime(T("2026-06-01T00:00:00Z"), T("2026-06-02T00:00:00Z")),
            8 * kHour + 30 * kMinute);
  // From 08:30 IST (03:00Z) + 1h -> work starts 04:00Z -> 05:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-06-01T03:00:00Z"), kHour), T("2026-06-01T05:00:00Z"));
  // A full day from 04:00Z ends at 12:30Z that day; 1 ms more is Tue 04:00:00.001Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2026-06-01T04:00:00Z"), 510 * kMinute),
            T("2026-06-01T12:30:00Z"));
  EXPECT_EQ(cal->AddWorkingTime(T("2026-06-01T04:00:00Z"), 510 * kMinute + 1),
            T("2026-06-02T04:00:00.001Z"));
  // A week (Mon 00:00 IST = Sun 18:30Z, to the next) = 5 x 8h30m = 42h30m.
  EXPECT_EQ(cal->WorkingTime(T("2026-05-31T18:30:00Z"), T("2026-06-07T18:30:00Z")),
            42 * kHour + 30 * kMinute);
}

TEST(BusinessCalendar, LordHoweThirtyMinuteShift) {
  // Lord Howe: +11:00 in summer, +10:30 in winter.
  // 2026-04-05: 02:00 +11 (04-04 15:00Z) -> 01:30 +10:30; 01:30-02:00 happens twice.
  // 2026-10-04: 02:00 +10:30 (10-03 15:30Z) -> 02:30 +11; 02:00-02:30 does not exist.
  auto cal = Make(Spec("Australia/Lord_Howe", {{"sun", {"01:00-03:00"}}}));
  ASSERT_TRUE(cal);
  // April: 01:00 +11 = 04-04 14:00Z to 03:00 +10:30 = 16:30Z: 2h30m.
  EXPECT_EQ(cal->WorkingTime(T("2026-04-03T00:00:00Z"), T("2026-04-06T00:00:00Z")), 150 * kMinute);
  // October: 01:00 +10:30 = 10-03 14:30Z to 03:00 +11 = 16:00Z: 1h30m.
  EXPECT_EQ(cal->WorkingTime(T("2026-10-02T00:00:00Z"), T("2026-10-05T00:00:00Z")), 90 * kMinute);
  // 1h from Friday in October: 14:30Z + 1h = 15:30Z, the instant the gap ends (02:30 +11).
  EXPECT_EQ(cal->AddWorkingTime(T("2026-10-02T00:00:00Z"), kHour), T("2026-10-03T15:30:00Z"));

  // The ambiguous 01:45 (April) is its first occurrence, +11: 04-04 14:45Z.
  auto ambiguous = Make(Spec("Australia/Lord_Howe", {{"sun", {"01:45-03:00"}}}));
  ASSERT_TRUE(ambiguous);
  EXPECT_EQ(ambiguous->AddWorkingTime(T("2026-04-03T00:00:00Z"), 1), T("2026-04-04T14:45:00.001Z"));
  // 14:45Z to 16:30Z = 1h45m.
  EXPECT_EQ(ambiguous->WorkingTime(T("2026-04-03T00:00:00Z"), T("2026-04-06T00:00:00Z")),
            105 * kMinute);
  // The nonexistent 02:15 (October) is the end of the gap, 15:30Z; 03:00 +11 = 16:00Z: 30m.
  auto gap = Make(Spec("Australia/Lord_Howe", {{"sun", {"02:15-03:00"}}}));
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->WorkingTime(T("2026-10-02T00:00:00Z"), T("2026-10-05T00:00:00Z")), 30 * kMinute);
  EXPECT_EQ(gap->AddWorkingTime(T("2026-10-02T00:00:00Z"), 1), T("2026-10-03T15:30:00.001Z"));
}

// ---- holidays, year ends, leap days -----------------------------------------------------

TEST(BusinessCalendar, ThreeWeeksAcrossChristmasAndNewYear) {
  // docs/reference/config.md's emea_office: mon-fri 08-12 + 13-18 (9h), sat 09-13 (4h): 49h a week.
  // Holidays Thu 12-24, Fri 12-25, Sat 12-26 (a weekend day with hours), Thu 12-31,
  // Fri 01-01. Target: three weeks of working time, 3 x 49h = 147h.
  auto cal = Make(Spec("Europe/Berlin",
                       {{"mon-fri", {"08:00-12:00", "13:00-18:00"}}, {"sat", {"09:00-13:00"}}},
                       {"2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"}));
  ASSERT_TRUE(cal);
  const TimeMs start = T("2026-12-14T07:00:00Z");  // Mon 08:00 CET
  // Week of 12-14: 5 x 9h + Sat 4h = 49h                      -> 49h
  // Week of 12-21: Mon-Wed 27h; Thu, Fri, Sat holidays = 27h   -> 76h
  // Week of 12-28: Mon-Wed 27h; Thu, Fri holidays; Sat 01-02 4h -> 107h
  // Week of 01-04: Mon-Thu 36h -> 143h; Fri 01-08 08:00-12:00 = 4h -> 147h at 12:00 CET,
  // the end of the morning (not 13:00): 11:00Z.
  EXPECT_EQ(cal->AddWorkingTime(start, 147 * kHour), T("2027-01-08T11:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(start, T("2027-01-08T11:00:00Z")), 147 * kHour);
  EXPECT_EQ(cal->WorkingTime(T("2026-12-20T23:00:00Z"), T("2026-12-27T23:00:00Z")), 27 * kHour);
  EXPECT_EQ(cal->WorkingTime(T("2026-12-27T23:00:00Z"), T("2027-01-03T23:00:00Z")), 31 * kHour);
  // Without the holidays the same target ends three weeks later to the hour: Sat 01-02
  // 13:00 CET = 12:00Z.
  auto plain = Make(Spec("Europe/Berlin",
                         {{"mon-fri", {"08:00-12:00", "13:00-18:00"}}, {"sat", {"09:00-13:00"}}}));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->AddWorkingTime(start, 147 * kHour), T("2027-01-02T12:00:00Z"));
}

TEST(BusinessCalendar, HolidayOnAWeekendWithoutHoursChangesNothing) {
  // Sat 12-26 is a holiday, but a mon-fri calendar has no Saturday hours anyway.
  auto with = Make(BerlinOffice({"2026-12-26", "2026-12-27"}));
  auto without = Make(BerlinOffice());
  ASSERT_TRUE(with && without);
  const TimeMs a = T("2026-12-21T00:00:00Z");
  const TimeMs b = T("2027-01-04T00:00:00Z");
  // Two weeks x 45h = 90h either way.
  EXPECT_EQ(with->WorkingTime(a, b), 90 * kHour);
  EXPECT_EQ(without->WorkingTime(a, b), 90 * kHour);
}

TEST(BusinessCalendar, YearEnd) {
  auto cal = Make(Spec("Europe/London", {{"mon-fri", {"09:00-17:00"}}}, {"2027-01-01"}));
  ASSERT_TRUE(cal);
  // Thu 2026-12-31 16:00Z + 2h: Thu 16-17 (1h), Fri 01-01 holiday, Mon 01-04 09-10 (1h).
  EXPECT_EQ(cal->AddWorkingTime(T("2026-12-31T16:00:00Z"), 2 * kHour), T("2027-01-04T10:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(T("2026-12-31T00:00:00Z"), T("2027-01-05T00:00:00Z")), 16 * kHour);
}

TEST(BusinessCalendar, LeapDay) {
  auto cal = Make(Spec("Europe/London", {{"mon-fri", {"09:00-17:00"}}}));
  auto closed = Make(Spec("Europe/London", {{"mon-fri", {"09:00-17:00"}}}, {"2028-02-29"}));
  ASSERT_TRUE(cal && closed);
  // Mon 2028-02-28 16:00Z (GMT) + 8h: Mon 1h, Tue 02-29 09:00-16:00 (7h) -> 02-29 16:00Z.
  EXPECT_EQ(cal->AddWorkingTime(T("2028-02-28T16:00:00Z"), 8 * kHour), T("2028-02-29T16:00:00Z"));
  // With 02-29 a holiday: Mon 1h, Wed 03-01 7h -> 03-01 16:00Z.
  EXPECT_EQ(closed->AddWorkingTime(T("2028-02-28T16:00:00Z"), 8 * kHour),
            T("2028-03-01T16:00:00Z"));
  // Mon 02-28 .. Fri 03-03 is five working days either side of the leap day: 40h; 32h closed.
  EXPECT_EQ(cal->WorkingTime(T("2028-02-28T00:00:00Z"), T("2028-03-04T00:00:00Z")), 40 * kHour);
  EXPECT_EQ(closed->WorkingTime(T("2028-02-28T00:00:00Z"), T("2028-03-04T00:00:00Z")), 32 * kHour);
}

TEST(BusinessCalendar, LongTargetsSkipWeeksExactly) {
  auto cal = Make(BerlinOffice({"2026-12-24", "2026-12-25", "2027-04-02", "2027-04-05"}));
  ASSERT_TRUE(cal);
  // 52 weeks from Mon 2026-06-01 08:00 CEST (06:00Z) with 45h weeks is 52 x 45h = 2340h,
  // less the four holidays (Thu, Fri, Fri, Mon: 36h) which push the deadline 4 working days
  // on: the 52nd week would end Fri 2027-05-28 18:00 CEST; 4 days later is Thu 2027-06-03
  // 18:00 CEST = 16:00Z.
  const TimeMs start = T("2026-06-01T06:00:00Z");
  EXPECT_EQ(cal->AddWorkingTime(start, 2340 * kHour), T("2027-06-03T16:00:00Z"));
  EXPECT_EQ(cal->WorkingTime(start, T("2027-06-03T16:00:00Z")), 2340 * kHour);
}

// ---- Create() errors ------------------------------------------------------------------

TEST(BusinessCalendar, RejectsUnknownTimeZone) {
  EXPECT_EQ(CreateError(Spec("Europe/Berln", {{"mon-fri", {"09:00-17:00"}}})),
            "unknown time zone \"Europe/Berln\"");
  EXPECT_EQ(CreateError(Spec("", {{"mon-fri", {"09:00-17:00"}}})), "unknown time zone \"\"");
}

TEST(BusinessCalendar, RejectsInvertedHours) {
  EXPECT_THAT(CreateError(Spec("UTC", {{"tue", {"18:00-08:00"}}})),
              HasSubstr("tue: hours 18:00-08:00 end before they start"));
  EXPECT_THAT(CreateError(Spec("UTC", {{"tue", {"08:00-08:00"}}})), HasSubstr("08:00-08:00"));
}

TEST(BusinessCalendar, RejectsOverlappingHours) {
  EXPECT_EQ(CreateError(Spec("UTC", {{"wed", {"11:00-13:00", "08:00-12:00"}}})),
            "wed: hours 08:00-12:00 and 11:00-13:00 overlap");
  EXPECT_THAT(CreateError(Spec("UTC", {{"sat", {"00:00-24:00", "09:00-10:00"}}})),
              HasSubstr("overlap"));
}

TEST(BusinessCalendar, RejectsHoursOutOfRange) {
  CalendarSpec spec = Spec("UTC", {});
  spec.hours[0] = {LocalInterval{1440, 1441}};
  EXPECT_EQ(CreateError(spec), "mon: hours 24:00-24:01 are out of range; use 00:00 to 24:00");
  spec.hours[0] = {LocalInterval{-30, 60}};
  EXPECT_THAT(CreateError(spec), HasSubstr("out of range"));
  spec.hours[0] = {LocalInterval{600, 1500}};
  EXPECT_THAT(CreateError(spec), HasSubstr("10:00-25:00 are out of range"));
}

TEST(BusinessCalendar, RejectsAWeekWithoutWorkingTime) {
  EXPECT_EQ(CreateError(Spec("Europe/Berlin", {}, {"2026-12-24"})),
            "no working hours on any day of the week");
}

// ---- property tests ---------------------------------------------------------------------

struct Named {
  const char* name;
  CalendarSpec spec;
};

std::vector<Named> PropertyCalendars() {
  return {
      {"berlin office", BerlinOffice({"2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01",
                                      "2027-03-26", "2027-03-29"})},
      {"new york",
       Spec("America/New_York", {{"mon-fri", {"09:00-17:00"}}, {"sun", {"01:00-04:00"}}})},
      {"lord howe",
       Spec("Australia/Lord_Howe", {{"mon-fri", {"09:00-17:30"}}, {"sun", {"01:00-03:00"}}})},
      {"kolkata", Spec("Asia/Kolkata", {{"mon-sat", {"09:30-13:00", "14:00-18:00"}}})},
      {"berlin nights", Spec("Europe/Berlin", {{"mon-sat", {"00:00-06:00", "22:00-24:00"}},
                                               {"sun", {"02:30-02:45", "22:00-24:00"}}})},
      // Chile changes its clocks at midnight: whole local days start in a gap or twice.
      {"santiago", Spec("America/Santiago", {{"mon-fri", {"00:00-02:00", "23:00-24:00"}},
                                             {"sat-sun", {"00:00-24:00"}}})},
      {"utc 24x7", Spec("UTC", {{"mon-sun", {"00:00-24:00"}}})},
  };
}

// Instants in 2025..2028, with half of them within three days of a DST change of the zone.
class Sampler {
 public:
  Sampler(const std::string& zone, std::uint64_t seed) : rng_(seed) {
    const auto* tz = date::locate_zone(zone);
    auto info = tz->get_info(date::sys_seconds{std::chrono::seconds{kLow / 1000}});
    while (info.end.time_since_epoch().count() * 1000 < kHigh) {
      changes_.push_back(info.end.time_since_epoch().count() * 1000);
      info = tz->get_info(info.end);
    }
  }
  TimeMs Instant() {
    if (!changes_.empty() && Uniform(0, 1) == 0) {
      return changes_[Uniform(0, changes_.size() - 1)] + Uniform(-3 * kDay, 3 * kDay);
    }
    return Uniform(kLow, kHigh);
  }
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

 private:
  static constexpr TimeMs kLow = 1735689600000;   // 2025-01-01
  static constexpr TimeMs kHigh = 1861920000000;  // 2029-01-01
  std::mt19937_64 rng_;
  std::vector<TimeMs> changes_;
};

// A reference that shares nothing with the implementation: resolve every interval of every
// nearby local day with date/tz, then step minute by minute. Exact for minute-aligned
// ranges, since every zone used here has whole-minute offsets and changes.
DurationMs MinuteSteppingWorkingTime(const CalendarSpec& spec, TimeMs from, TimeMs to) {
  const auto* tz = date::locate_zone(spec.timezone);
  auto resolve = [&](TimeMs local_ms) -> TimeMs {
    const auto info = tz->get_info(date::local_seconds{std::chrono::seconds{local_ms / 1000}});
    if (info.result == date::local_info::nonexistent) {
      return info.first.end.time_since_epoch().count() * 1000;
    }
    return local_ms - info.first.offset.count() * 1000;  // unique, or the first of two
  };
  std::vector<std::pair<TimeMs, TimeMs>> working;
  for (std::int64_t d = from / kDay - 2; d <= to / kDay + 2; ++d) {
    if (std::find(spec.holidays.begin(), spec.holidays.end(), d) != spec.holidays.end()) continue;
    const int weekday = static_cast<int>(((d + 3) % 7 + 7) % 7);
    for (const LocalInterval& i : spec.hours[weekday]) {
      working.emplace_back(resolve(d * kDay + i.begin_minute * kMinute),
                           resolve(d * kDay + i.end_minute * kMinute));
    }
  }
  DurationMs total = 0;
  for (TimeMs t = from; t < to; t += kMinute) {
    for (const auto& [b, e] : working) {
      if (b <= t && t < e) {
        total += kMinute;
        break;
      }
    }
  }
  return total;
}

TEST(BusinessCalendarProperty, AgreesWithMinuteSteppingReference) {
  int cases = 0;
  for (const Named& c : PropertyCalendars()) {
    auto cal = Make(c.spec);
    ASSERT_TRUE(cal) << c.name;
    Sampler s(c.spec.timezone, 1);
    for (int n = 0; n < 150; ++n, ++cases) {
      const TimeMs from = s.Instant() / kMinute * kMinute;
      const TimeMs to = from + s.Uniform(0, 3 * 24 * 60) * kMinute;
      ASSERT_EQ(cal->WorkingTime(from, to), MinuteSteppingWorkingTime(c.spec, from, to))
          << c.name << " " << FormatRfc3339(from) << " .. " << FormatRfc3339(to);
    }
  }
  EXPECT_EQ(cases, 7 * 150);
}

// W(a,b) + W(b,c) == W(a,c) for a <= b <= c, on spans of up to 120 days (so that whole
// weeks are skipped on one side and walked day by day on the other), and of up to 3 years.
TEST(BusinessCalendarProperty, WorkingTimeIsAdditive) {
  for (const Named& c : PropertyCalendars()) {
    auto cal = Make(c.spec);
    ASSERT_TRUE(cal) << c.name;
    Sampler s(c.spec.timezone, 2);
    for (int n = 0; n < 1500; ++n) {
      const DurationMs max_span = n % 10 == 0 ? 3 * 365 * kDay : 120 * kDay;
      const TimeMs a = s.Instant();
      const TimeMs c2 = a + s.Uniform(0, max_span);
      const TimeMs b = s.Uniform(a, c2);
      ASSERT_EQ(cal->WorkingTime(a, b) + cal->WorkingTime(b, c2), cal->WorkingTime(a, c2))
          << c.name << " " << FormatRfc3339(a) << " " << FormatRfc3339(b) << " "
          << FormatRfc3339(c2);
      ASSERT_LE(cal->WorkingTime(a, c2), c2 - a);
    }
  }
}

// The exact round trip: for s < t where the millisecond [t-1, t) is working (t is inside a
// working interval or at its end), AddWorkingTime(s, WorkingTime(s, t)) == t. For t at the
// very start of an interval the earliest instant is the previous interval's end instead, so
// for any s <= t we check the general form: u = AddWorkingTime(s, WorkingTime(s, t)) has
// u <= t, WorkingTime(s, u) == WorkingTime(s, t) and WorkingTime(u, t) == 0.
TEST(BusinessCalendarProperty, DeadlineOfWorkingTimeRoundTrips) {
  int exact = 0;
  for (const Named& c : PropertyCalendars()) {
    auto cal = Make(c.spec);
    ASSERT_TRUE(cal) << c.name;
    Sampler sampler(c.spec.timezone, 3);
    for (int n = 0; n < 1500; ++n) {
      const TimeMs s = sampler.Instant();
      TimeMs t = s + sampler.Uniform(0, n % 10 == 0 ? 400 * kDay : 30 * kDay);
      const DurationMs w = cal->WorkingTime(s, t);
      const TimeMs u = cal->AddWorkingTime(s, w);
      ASSERT_LE(u, t) << c.name << " " << FormatRfc3339(s) << " " << FormatRfc3339(t);
      ASSERT_EQ(cal->WorkingTime(s, u), w) << c.name;
      ASSERT_EQ(cal->WorkingTime(u, t), 0) << c.name;

      // Move t onto a working millisecond: a deadline always ends one.
      if (cal->WorkingTime(t - 1, t) == 0) t = cal->AddWorkingTime(t, sampler.Uniform(1, kHour));
      ASSERT_EQ(cal->WorkingTime(t - 1, t), 1) << c.name << " " << FormatRfc3339(t);
      if (s < t) {
        ASSERT_EQ(cal->AddWorkingTime(s, cal->WorkingTime(s, t)), t)
            << c.name << " " << FormatRfc3339(s) << " " << FormatRfc3339(t);
        ++exact;
      }
    }
  }
  EXPECT_GT(exact, 7 * 1400);
}

TEST(BusinessCalendarProperty, DeadlineIsMonotone) {
  for (const Named& c : PropertyCalendars()) {
    auto cal = Make(c.spec);
    ASSERT_TRUE(cal) << c.name;
    Sampler s(c.spec.timezone, 4);
    for (int n = 0; n < 1500; ++n) {
      const TimeMs a = s.Instant();
      const TimeMs b = a + s.Uniform(0, 10 * kDay);
      const DurationMs w1 = s.Uniform(0, 200 * kHour);
      const DurationMs w2 = w1 + s.Uniform(0, 50 * kHour);
      const TimeMs d1 = cal->AddWorkingTime(a, w1);
      ASSERT_LE(d1, cal->AddWorkingTime(a, w2)) << c.name << " " << FormatRfc3339(a);
      ASSERT_LE(d1, cal->AddWorkingTime(b, w1)) << c.name << " " << FormatRfc3339(a);
      ASSERT_GE(d1, a);
      ASSERT_EQ(cal->WorkingTime(a, d1), w1) << c.name << " " << FormatRfc3339(a);
    }
  }
}

TEST(BusinessCalendarProperty, AllDayCalendarsEqualAlwaysOpen) {
  // 00:00-24:00 every day: the local days tile time in any zone, across every DST change.
  AlwaysOpenCalendar always;
  for (const char* zone : {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                           "America/Santiago", "Asia/Kolkata"}) {
    auto cal = Make(Spec(zone, {{"mon-sun", {"00:00-24:00"}}}));
    ASSERT_TRUE(cal) << zone;
    Sampler s(zone, 5);
    for (int n = 0; n < 500; ++n) {
      const TimeMs a = s.Instant();
      const TimeMs b = a + s.Uniform(0, 400 * kDay);
      ASSERT_EQ(cal->WorkingTime(a, b), always.WorkingTime(a, b)) << zone << FormatRfc3339(a);
      ASSERT_EQ(cal->AddWorkingTime(a, b - a), always.AddWorkingTime(a, b - a)) << zone;
    }
  }
}

}  // namespace
}  // namespace handoff
