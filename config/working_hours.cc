#include "config/working_hours.h"

#include <algorithm>
#include <charconv>

#include <date/date.h>

namespace handoff {
namespace {

constexpr std::array<std::string_view, 7> kDayNames{"mon", "tue", "wed", "thu",
                                                    "fri", "sat", "sun"};

int DayIndex(std::string_view name) {
  auto it = std::find(kDayNames.begin(), kDayNames.end(), name);
  return it == kDayNames.end() ? -1 : static_cast<int>(it - kDayNames.begin());
}

// Exactly `digits` decimal digits.
std::optional<int> Digits(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "HH:MM" as minutes after midnight; 24:00 only when `is_end`.
std::optional<int> ParseClock(std::string_view text, bool is_end) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  auto hour = Digits(text.substr(0, 2), 2);
  auto minute = Digits(text.substr(3, 2), 2);
  if (!hour || !minute || *minute > 59) return std::nullopt;
  if (*hour == 24 && *minute == 0 && is_end) return 24 * 60;
  if (*hour > 23) return std::nullopt;
  return *hour * 60 + *minute;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Result<DaySet> ParseDayKey(std::string_view key) {
  static const std::string kHelp =
      " (use mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or a list like sat,sun)";
  DaySet days{};
  std::size_t begin = 0;
  while (true) {
    std::size_t comma = key.find(',', begin);
    std::string part = Trim(key.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin));
    std::size_t dash = part.find('-');
    int first = DayIndex(part.substr(0, dash));
    int last = dash == std::string::npos ? first : DayIndex(part.substr(dash + 1));
    if (first < 0 || last < 0) return Error{"bad day \"" + part + "\"" + kHelp};
    if (last < first) {
      return Error{"day range \"" + part + "\" runs backwards; ranges go from mon to sun" +
                   " (write e.g. fri-sun,mon)"};
    }
    for (int d = first; d <= last; ++d) {
      if (days[d])
        return Error{"day " + std::string(kDayNames[d]) + " appears twice in \"" +
                     std::string(key) + "\""};
      days[d] = true;
    }
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return days;
}

Result<LocalInterval> ParseInterval(std::string_view text) {
  std::size_t dash = text.find('-');
  std::optional<int> begin, end;
  if (dash != std::string_view::npos) {
    begin = ParseClock(text.substr(0, dash), false);
    end = ParseClock(text.substr(dash + 1), true);
  }
  if (!begin || !end) {
    return Error{"bad interval \"" + std::string(text) +
                 "\" (use HH:MM-HH:MM, e.g. 08:00-12:00; 24:00 only as an end)"};
  }
  if (*end <= *begin) {
    return Error{"interval \"" + std::string(text) +
                 "\" ends before it begins (split a night shift at 24:00)"};
  }
  return LocalInterval{*begin, *end};
}

Result<std::int32_t> ParseDate(std::string_view text) {
  std::optional<int> y, m, d;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    y = Digits(text.substr(0, 4), 4);
    m = Digits(text.substr(5, 2), 2);
    d = Digits(text.substr(8, 2), 2);
  }
  if (!y || !m || !d) return Error{"bad date \"" + std::string(text) + "\" (use YYYY-MM-DD)"};
  date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                           date::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return Error{"impossible date \"" + std::string(text) + "\""};
  return static_cast<std::int32_t>(date::sys_days{ymd}.time_since_epoch().count());
}

std::string_view DayName(int day) { return kDayNames.at(day); }

std::string FormatInterval(const LocalInterval& interval) {
  auto two = [](int n) { return std::string{char('0' + n / 10 % 10), char('0' + n % 10)}; };
  return two(interval.begin_minute / 60) + ":" + two(interval.begin_minute % 60) + "-" +
         two(interval.end_minute / 60) + ":" + two(interval.end_minute % 60);
}

}  // namespace handoff
