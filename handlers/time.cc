#include "handlers/time.h"

#include <array>
#include <charconv>
#include <cstdio>

#include <date/date.h>

namespace handoff {
namespace {

// Reads exactly `width` ASCII digits at `pos`, advancing it.
bool ReadDigits(std::string_view s, size_t& pos, int width, int& out) {
  if (pos + width > s.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<TimeMs> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return std::nullopt;
  ++pos;
  if (!ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute) ||
      !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
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
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!ReadDigits(s, pos, 2, oh) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  std::int64_t local_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  return (local_seconds - offset_minutes * 60) * 1000 + millis;
}

std::string FormatRfc3339(TimeMs t) {
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
