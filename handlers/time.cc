#include "handlers/time.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include <date/date.h>

namespace handoff {
namespace {

// The two ASCII digits at `p` as a number, or a number over 99 if either is not a digit.
unsigned TwoDigits(const char* p) {
  unsigned tens = static_cast<unsigned char>(p[0]) - unsigned{'0'};
  unsigned ones = static_cast<unsigned char>(p[1]) - unsigned{'0'};
  return tens > 9 || ones > 9 ? 100 : tens * 10 + ones;
}

bool IsLeapYear(unsigned year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// Days from 1970-01-01 to a valid date of years 0000-9999 (Howard Hinnant's
// days_from_civil, the algorithm under date::sys_days). Counting from 400 years earlier
// keeps every quantity unsigned, so the divisions by constants become multiplications.
std::int64_t DaysFromCivil(unsigned year, unsigned month, unsigned day) {
  constexpr unsigned kEraDays = 146097;  // days in 400 Gregorian years
  unsigned shifted_year = year + 400 - (month <= 2);
  unsigned era = shifted_year / 400;
  unsigned year_of_era = shifted_year - era * 400;
  unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return std::int64_t{era} * kEraDays + day_of_era - 719468 - kEraDays;
}

}  // namespace

// The decoder calls this once per event, so the fixed-width prefix
// "YYYY-MM-DDTHH:MM:SS" is read at fixed positions, without a date library call.
std::optional<TimeMs> ParseRfc3339(std::string_view s) {
  // "YYYY-MM-DDTHH:MM:SS", then at least the 'Z'.
  constexpr std::size_t kPrefix = 19;
  if (s.size() < kPrefix + 1) return std::nullopt;
  const char* p = s.data();
  unsigned century = TwoDigits(p), year_in_century = TwoDigits(p + 2);
  unsigned month = TwoDigits(p + 5), day = TwoDigits(p + 8);
  unsigned hour = TwoDigits(p + 11), minute = TwoDigits(p + 14), second = TwoDigits(p + 17);
  // Non-digits read as 100, so the range checks reject them too. `|` rather than `||`:
  // the common case, a valid time, then takes one branch instead of a dozen.
  bool bad = (century > 99) | (year_in_century > 99) | (p[4] != '-') | (p[7] != '-') |
             ((p[10] | 0x20) != 't') | (p[13] != ':') | (p[16] != ':') | (month - 1 > 11) |
             (day - 1 > 30) | (hour > 23) | (minute > 59) | (second > 59);
  if (bad) return std::nullopt;
  unsigned year = century * 100 + year_in_century;
  static constexpr std::array<unsigned, 12> kMonthDays{31, 28, 31, 30, 31, 30,
                                                       31, 31, 30, 31, 30, 31};
  if (day > kMonthDays[month - 1] + (month == 2 && IsLeapYear(year))) return std::nullopt;

  size_t pos = kPrefix;
  int millis = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
  }

  int offset_minutes = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    // "+hh:mm", and nothing after it.
    if (s.size() - pos != 6) return std::nullopt;
    int sign = s[pos] == '-' ? -1 : 1;
    unsigned oh = TwoDigits(p + pos + 1), om = TwoDigits(p + pos + 4);
    if (s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * static_cast<int>(oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  std::int64_t local_seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  TimeMs t = (local_seconds - offset_minutes * 60) * 1000 + millis;
  if (t < kMinEventTime || t > kMaxEventTime) return std::nullopt;
  return t;
}

std::string FormatRfc3339(TimeMs t) {
  constexpr TimeMs kYear0 = -62167219200000;  // 0000-01-01T00:00:00Z
  t = std::clamp(t, kYear0, kMaxEventTime);
  std::int64_t days = t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
  std::int64_t in_day = t - days * kDay;
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  int ms = static_cast<int>(in_day % 1000);
  std::int64_t secs = in_day / 1000;
  std::array<char, 40> buf;
  int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(secs / 3600),
                        static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  if (ms != 0) n += std::snprintf(buf.data() + n, buf.size() - n, ".%03d", ms);
  buf[n++] = 'Z';
  return std::string(buf.data(), n);
}

std::optional<DurationMs> ParseDuration(std::string_view s) {
  struct Unit {
    std::string_view name;
    DurationMs ms;
  };
  static constexpr std::array<Unit, 5> kUnits{
      {{"d", kDay}, {"h", kHour}, {"m", kMinute}, {"s", kSecond}, {"ms", 1}}};
  if (s.empty()) return std::nullopt;
  DurationMs total = 0;
  size_t next_unit = 0;  // units must appear in kUnits order, each at most once
  size_t pos = 0;
  while (pos < s.size()) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), value);
    if (ec != std::errc{} || end == s.data() + pos || value < 0) return std::nullopt;
    pos = end - s.data();
    size_t unit_end = pos;
    while (unit_end < s.size() && s[unit_end] >= 'a' && s[unit_end] <= 'z') ++unit_end;
    std::string_view unit = s.substr(pos, unit_end - pos);
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size()) return std::nullopt;
    if (value > (std::numeric_limits<DurationMs>::max() - total) / kUnits[u].ms) {
      return std::nullopt;
    }
    total += value * kUnits[u].ms;
    next_unit = u + 1;
    pos = unit_end;
  }
  return total;
}

std::string FormatDuration(DurationMs d) {
  if (d == 0) return "0s";
  std::string out;
  const std::array<std::pair<DurationMs, const char*>, 5> units{
      {{kDay, "d"}, {kHour, "h"}, {kMinute, "m"}, {kSecond, "s"}, {1, "ms"}}};
  for (auto [size, name] : units) {
    if (d >= size) {
      out += std::to_string(d / size) + name;
      d %= size;
    }
  }
  return out;
}

std::string FormatSeconds(DurationMs d) {
  std::uint64_t magnitude = d < 0 ? 0 - static_cast<std::uint64_t>(d) : d;
  std::string out = (d < 0 ? "-" : "") + std::to_string(magnitude / 1000);
  int ms = static_cast<int>(magnitude % 1000);
  if (ms == 0) return out;
  std::string frac{'.', char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10)};
  while (frac.back() == '0') frac.pop_back();
  return out + frac;
}

}  // namespace handoff
