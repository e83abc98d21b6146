#include "config/working_hours.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

DaySet Days(std::initializer_list<int> days) {
  DaySet set{};
  for (int d : days) set[d] = true;
  return set;
}

TEST(WorkingHours, ParsesDayKeys) {
  EXPECT_EQ(ParseDayKey("mon").value(), Days({0}));
  EXPECT_EQ(ParseDayKey("sun").value(), Days({6}));
  EXPECT_EQ(ParseDayKey("mon-fri").value(), Days({0, 1, 2, 3, 4}));
  EXPECT_EQ(ParseDayKey("sat,sun").value(), Days({5, 6}));
  EXPECT_EQ(ParseDayKey("mon, wed-thu").value(), Days({0, 2, 3}));
  EXPECT_EQ(ParseDayKey("fri-fri").value(), Days({4}));
}

TEST(WorkingHours, RejectsBadDayKeys) {
  for (std::string_view bad : {"", "Mon", "monday", "mon-", "-fri", "mon--fri", "mon,", "1"}) {
    EXPECT_FALSE(ParseDayKey(bad).ok()) << bad;
  }
  EXPECT_NE(ParseDayKey("fri-mon").error().message.find("backwards"), std::string::npos);
  EXPECT_NE(ParseDayKey("mon-wed,tue").error().message.find("tue appears twice"),
            std::string::npos);
}

TEST(WorkingHours, ParsesIntervals) {
  LocalInterval i = ParseInterval("08:00-12:30").value();
  EXPECT_EQ(i.begin_minute, 8 * 60);
  EXPECT_EQ(i.end_minute, 12 * 60 + 30);
  EXPECT_EQ(ParseInterval("00:00-24:00").value().end_minute, 1440);
  EXPECT_EQ(FormatInterval(ParseInterval("09:05-24:00").value()), "09:05-24:00");
}

TEST(WorkingHours, RejectsBadIntervals) {
  for (std::string_view bad :
       {"", "8:00-12:00", "08:00-12", "08:00 - 12:00", "24:00-24:00", "23:60-24:00", "25:00-26:00",
        "08:00-24:01", "08:00", "aa:bb-cc:dd", "08:00-12:00-13:00"}) {
    EXPECT_FALSE(ParseInterval(bad).ok()) << bad;
  }
  EXPECT_NE(ParseInterval("12:00-08:00").error().message.find("ends before it begins"),
            std::string::npos);
  EXPECT_FALSE(ParseInterval("08:00-08:00").ok());
}

TEST(WorkingHours, ParsesDates) {
  EXPECT_EQ(ParseDate("1970-01-01").value(), 0);
  EXPECT_EQ(ParseDate("2026-12-24").value(), 20811);
  EXPECT_EQ(ParseDate("1969-12-31").value(), -1);
  EXPECT_EQ(ParseDate("2024-02-29").value(), 19782);
}

TEST(WorkingHours, RejectsBadDates) {
  for (std::string_view bad : {"", "2026-12-4", "24.12.2026", "2026-13-01", "2026-02-29",
                               "2026-00-10", "2026-12-24T00:00", "20261224"}) {
    EXPECT_FALSE(ParseDate(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace handoff
