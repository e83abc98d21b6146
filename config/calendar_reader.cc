// `calendars:` (docs/reference/config.md). Hours, holidays and their positions are checked here so
// every error points at its own line; BusinessCalendar::Create then has the last word on
// the time zone and on anything this file does not check.
#include <algorithm>
#include <exception>

#include "config/config_sections.h"
#include "config/working_hours.h"

namespace handoff {
namespace {

// The path of item `i` of a value that may be a single scalar or a list.
std::string ItemPath(const YAML::Node& node, const std::string& path, std::size_t i) {
  return node.IsSequence() ? path + "[" + std::to_string(i) + "]" : path;
}

// Fills spec->hours from `hours:`. Returns false after reporting any problem.
bool ReadHours(LoadContext& ctx, MapReader& hours, CalendarSpec* spec) {
  bool ok = true;
  std::array<const MapReader::Entry*, 7> set_by{};  // which key set each day
  for (const MapReader::Entry& entry : hours.Entries()) {
    std::string path = hours.PathOf(entry.key);
    Result<DaySet> days = ParseDayKey(entry.key);
    if (!days) {
      ctx.ErrorAt(entry.key_node, path, days.error().message);
      ok = false;
      continue;
    }
    std::vector<LocalInterval> intervals;
    auto items = ReadStringList(ctx, entry.value, path, /*allow_single=*/true);
    ok = ok && items.has_value();
    for (std::size_t i = 0; items && i < items->size(); ++i) {
      const Scalar& item = (*items)[i];
      Result<LocalInterval> interval = ParseInterval(item.text);
      if (!interval) {
        ctx.Error(item.origin, ItemPath(entry.value, path, i), interval.error().message);
        ok = false;
        continue;
      }
      auto overlapping = std::find_if(intervals.begin(), intervals.end(), [&](auto& other) {
        return other.begin_minute < interval->end_minute &&
               interval->begin_minute < other.end_minute;
      });
      if (overlapping != intervals.end()) {
        ctx.Error(
            item.origin, ItemPath(entry.value, path, i),
            "interval \"" + item.text + "\" overlaps \"" + FormatInterval(*overlapping) + "\"");
        ok = false;
        continue;
      }
      intervals.push_back(*interval);
    }
    std::sort(intervals.begin(), intervals.end(),
              [](auto& a, auto& b) { return a.begin_minute < b.begin_minute; });
    for (int d = 0; d < 7; ++d) {
      if (!(*days)[d]) continue;
      if (set_by[d] != nullptr) {
        ctx.ErrorAt(entry.key_node, path,
                    std::string(DayName(d)) + " is already set by `" + set_by[d]->key + "` (line " +
                        std::to_string(LoadContext::OriginOf(set_by[d]->key_node).line) + ")");
        ok = false;
        break;
      }
      set_by[d] = &entry;
      spec->hours[d] = intervals;
    }
  }
  bool any_time =
      std::any_of(spec->hours.begin(), spec->hours.end(), [](auto& day) { return !day.empty(); });
  if (ok && !any_time) {
    ctx.Error(hours.origin(), hours.path(), "the calendar has no working time in the week");
    ok = false;
  }
  return ok;
}

// Fills spec->holidays from `holidays:`. Returns false after reporting any problem.
bool ReadHolidays(LoadContext& ctx, const MapReader::Entry& holidays, const std::string& path,
                  CalendarSpec* spec) {
  auto items = ReadStringList(ctx, holidays.value, path, /*allow_single=*/false);
  if (!items) return false;
  bool ok = true;
  for (std::size_t i = 0; i < items->size(); ++i) {
    Result<std::int32_t> day = ParseDate((*items)[i].text);
    if (!day) {
      ctx.Error((*items)[i].origin, ItemPath(holidays.value, path, i), day.error().message);
      ok = false;
      continue;
    }
    spec->holidays.push_back(*day);
  }
  std::sort(spec->holidays.begin(), spec->holidays.end());
  spec->holidays.erase(std::unique(spec->holidays.begin(), spec->holidays.end()),
                       spec->holidays.end());
  return ok;
}

Result<std::shared_ptr<const BusinessCalendar>> CreateCalendar(const CalendarSpec& spec) {
  try {
    return BusinessCalendar::Create(spec);
  } catch (const std::exception& e) {  // the tz database may throw; keep collecting
    return Error{e.what()};
  }
}

void ReadCalendar(LoadContext& ctx, const MapReader::Entry& entry, const std::string& path,
                  bool env_overrides, Config* config) {
  MapReader calendar(ctx, entry.value, path, LoadContext::OriginOf(entry.key_node), env_overrides);
  CalendarSpec spec;
  auto timezone = calendar.GetScalar("timezone");
  calendar.Require("timezone", timezone.has_value());
  auto hours_entry = calendar.Get("hours");
  calendar.Require("hours", hours_entry.has_value());
  MapReader hours = calendar.Child("hours");
  bool ok = hours_entry && ReadHours(ctx, hours, &spec);
  if (auto holidays = calendar.Get("holidays")) {
    ok = ReadHolidays(ctx, *holidays, calendar.PathOf("holidays"), &spec) && ok;
  }
  calendar.RejectUnknownKeys();
  if (!timezone) return;

  // First the zone alone, on a week that is certainly valid, so that a zone error is
  // reported at `timezone` even when the hours have errors of their own.
  CalendarSpec probe;
  probe.timezone = timezone->text;
  probe.hours[0].push_back({0, 24 * 60});
  if (auto zone = CreateCalendar(probe); !zone) {
    ctx.Error(timezone->origin, calendar.PathOf("timezone"),
              zone.error().message + " (use an IANA name such as Europe/Berlin or UTC)");
    return;
  }
  if (!ok) return;
  spec.timezone = timezone->text;
  auto created = CreateCalendar(spec);
  if (!created) {
    ctx.Error(hours.origin(), hours.path(), created.error().message);
    return;
  }
  config->calendars[entry.key] = created.value();
  config->calendar_specs[entry.key] = spec;
}

}  // namespace

void ReadCalendars(MapReader& root, Declared* declared, Config* config) {
  MapReader calendars = root.Child("calendars");
  for (const MapReader::Entry& entry : calendars.Entries()) {
    declared->calendars.insert(entry.key);
    ReadCalendar(root.ctx(), entry, calendars.PathOf(entry.key), calendars.env_overrides(), config);
  }
}

}  // namespace handoff
