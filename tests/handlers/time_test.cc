#include "handlers/time.h"

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(Rfc3339, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:00:00Z"), 1795773600000);
  EXPECT_EQ(ParseRfc3339("2026-11-27T16:00:00+05:30"), ParseRfc3339("2026-11-27T10:30:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-27T07:30:00-05:00"), ParseRfc3339("2026-11-27T12:30:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-27t10:00:00z"), ParseRfc3339("2026-11-27T10:00:00Z"));
}

TEST(Rfc3339, TruncatesFractionToMillisecondsNeverRounds) {
  TimeMs base = *ParseRfc3339("2026-11-27T12:00:00Z");
  EXPECT_EQ(ParseRfc3339("2026-11-27T13:00:00.0009+01:00"), base);
  EXPECT_EQ(ParseRfc3339("2026-11-27T12:00:00.999999Z"), base + 999);
  EXPECT_EQ(ParseRfc3339("2026-11-27T12:00:00.5Z"), base + 500);
  EXPECT_EQ(ParseRfc3339("2026-11-27T12:00:00.25Z"), base + 250);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.9999Z"), 999);
}

TEST(Rfc3339, RejectsBadTimes) {
  for (const char* bad : {"", "2026-11-27", "2026-11-27T10:00:00", "2026-11-27 10:00:00Z",
                          "2026-11-27T24:00:00Z", "2026-11-27T10:00:60Z", "2026-02-30T10:00:00Z",
                          "2025-02-29T10:00:00Z", "2026-13-01T10:00:00Z", "2026-11-27T10:00Z",
                          "2026-11-27T10:00:00.Z", "2026-11-27T10:00:00+0100",
                          "2026-11-27T10:00:00+24:00", "2026-11-27T10:00:00Zjunk",
                          "26-11-27T10:00:00Z", "2026-11-27T1:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
  EXPECT_TRUE(ParseRfc3339("2028-02-29T10:00:00Z"));
}

TEST(Rfc3339, CountsDaysAcrossTheWholeRange) {
  EXPECT_EQ(ParseRfc3339("1970-03-01T00:00:00Z"), 59 * kDay);
  EXPECT_EQ(ParseRfc3339("2000-03-01T00:00:00Z"), 951868800000);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59.999Z"), 253402300799999);
  EXPECT_EQ(ParseRfc3339("1970-01-01T01:30:00+01:00"), 30 * kMinute);
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2400-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("1900-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2100-02-29T00:00:00Z"));
  for (const char* bad : {"2026-00-10T10:00:00Z", "2026-11-00T10:00:00Z", "2026-04-31T10:00:00Z",
                          "2026-11-27X10:00:00Z", "2026-11-27T10:00:00+01:0a",
                          "2026-11-27T10:00:00+01-00", "2026-11-27T10:00:00+01:00Z",
                          "2026-1a-27T10:00:00Z", "2026-11-27T10:00:0\xffZ"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

// docs/reference/events.md "Values": a time outside the years 1970-9999 (in UTC, after the
// offset) is bad.
TEST(Rfc3339, RejectsInstantsOutsideYears1970To9999) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), kMinEventTime);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59.999Z"), kMaxEventTime);
  for (const char* bad : {"1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z",
                          "1600-03-01T00:00:00Z", "1970-01-01T00:30:00+01:00",
                          "9999-12-31T23:59:59-23:59", "9999-12-31T23:00:00-01:00"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(Rfc3339, AlwaysFormatsAFourDigitYear) {
  EXPECT_EQ(FormatRfc3339(kMaxEventTime), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(kMaxEventTime + 1), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(kEndOfTime), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(kNoTime + 1), "0000-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-62167219200001), "0000-01-01T00:00:00Z");
}

TEST(Time, SaturatingAddNeverWraps) {
  EXPECT_EQ(SaturatingAdd(10, 5), 15);
  EXPECT_EQ(SaturatingAdd(kMaxEventTime, kEndOfTime), kEndOfTime);
  EXPECT_EQ(SaturatingAdd(kEndOfTime - 1, 2), kEndOfTime);
  EXPECT_EQ(SaturatingAdd(-5, kNoTime), kNoTime + 1);  // never the "no instant" marker
  EXPECT_EQ(SaturatingAdd(0, kNoTime), kNoTime + 1);
}

TEST(Time, TooFarAheadIsStrictlyMoreThanMaxFutureAfterNow) {
  const TimeMs now = *ParseRfc3339("2026-11-27T10:00:00Z");
  EXPECT_FALSE(IsTooFarAhead(now + kHour, now, kHour));
  EXPECT_TRUE(IsTooFarAhead(now + kHour + 1, now, kHour));
  EXPECT_FALSE(IsTooFarAhead(now - 100 * kDay, now, 0));
  EXPECT_TRUE(IsTooFarAhead(kMaxEventTime, now, kHour));
  EXPECT_FALSE(IsTooFarAhead(kMaxEventTime, kMaxEventTime, kMaxConfigDuration));  // no wrap
}

TEST(Rfc3339, FormatsUtcWithMillisecondsOnlyWhenNonZero) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-27T10:00:00Z")), "2026-11-27T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-27T10:00:00.250Z")),
            "2026-11-27T10:00:00.250Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-27T12:30:00.999-05:00")),
            "2026-11-27T17:30:00.999Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Duration, ParsesUnitsInOrder) {
  EXPECT_EQ(ParseDuration("90s"), 90 * kSecond);
  EXPECT_EQ(ParseDuration("15m"), 15 * kMinute);
  EXPECT_EQ(ParseDuration("2h"), 2 * kHour);
  EXPECT_EQ(ParseDuration("3d"), 3 * kDay);
  EXPECT_EQ(ParseDuration("1h30m"), 90 * kMinute);
  EXPECT_EQ(ParseDuration("1d2h3m4s5ms"), kDay + 2 * kHour + 3 * kMinute + 4 * kSecond + 5);
  EXPECT_EQ(ParseDuration("0s"), 0);
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad : {"", "2", "h", "2x", "1m1h", "1h1h", "-5s", "1.5h", " 5s", "5s ",
                          "5S", "99999999999999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
}

TEST(Duration, FormatsShortestForm) {
  EXPECT_EQ(FormatDuration(90 * kMinute), "1h30m");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(3 * kDay + 250), "3d250ms");
  EXPECT_EQ(*ParseDuration(FormatDuration(123456789)), 123456789);
}

TEST(Seconds, MillisecondPrecisionWithoutTrailingZeros) {
  EXPECT_EQ(FormatSeconds(7200000), "7200");
  EXPECT_EQ(FormatSeconds(7200001), "7200.001");
  EXPECT_EQ(FormatSeconds(7200990), "7200.99");
  EXPECT_EQ(FormatSeconds(-1500), "-1.5");
  EXPECT_EQ(FormatSeconds(0), "0");
}

}  // namespace
}  // namespace handoff
