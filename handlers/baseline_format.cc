#include "handlers/baseline_format.h"

#include <algorithm>
#include <cstdio>

#include "handlers/json_writer.h"
#include "handlers/replay_report.h"

namespace handoff {
namespace {

constexpr std::string_view kMissingValue = "(missing)";

bool HasCalendar(const SlaDefinition& sla) { return !sla.calendar_name.empty(); }

std::optional<double> MetShare(const BaselineGroup& group) {
  if (group.stopped() == 0) return std::nullopt;
  return static_cast<double>(group.met) / static_cast<double>(group.stopped());
}

void WriteGroupJson(JsonWriter& json, const BaselineGroup& group, const SlaDefinition& sla) {
  json.Key("stopped").Int(group.stopped());
  json.Key("met").Int(group.met);
  json.Key("breached").Int(group.breached);
  json.Key("open").Int(group.open);
  json.Key("overdue").Int(group.overdue);
  json.Key("target_seconds");
  DurationMs target = group.target == 0 ? sla.target : group.target;
  target == kMixedTargets ? json.Null() : json.Seconds(target);
  json.Key("met_share");
  if (auto share = MetShare(group)) {
    json.Number(*share);
  } else {
    json.Null();
  }
  json.Key("elapsed_seconds").BeginObject();
  for (int percent : kBaselinePercentiles) {
    json.Key("p" + std::to_string(percent));
    group.elapsed.empty() ? json.Null() : json.Seconds(NearestRank(group.elapsed, percent));
  }
  json.EndObject();
  json.Key("target_for_share_seconds").BeginObject();
  for (int percent : kTargetShares) {
    json.Key("p" + std::to_string(percent));
    group.elapsed.empty() ? json.Null()
                          : json.Seconds(RoundUpTarget(NearestRank(group.elapsed, percent)));
  }
  json.EndObject();
  json.Key("target_for_share").BeginObject();
  for (int percent : kTargetShares) {
    json.Key("p" + std::to_string(percent));
    if (group.elapsed.empty()) {
      json.Null();
    } else {
      json.String(TargetText(RoundUpTarget(NearestRank(group.elapsed, percent)), HasCalendar(sla)));
    }
  }
  json.EndObject();
}

std::string Percent(std::optional<double> share) {
  if (!share) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", *share * 100);
  return buf;
}

// Rows of cells; the first two columns are left-aligned, the others right-aligned.
std::string Columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string pad(widths[c] - row[c].size(), ' ');
      line += c < 2 ? row[c] + pad : pad + row[c];
      line += c + 1 < row.size() ? "  " : "";
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + '\n';
  }
  return out;
}

std::vector<std::string> GroupRow(std::string sla_cell, std::string group_cell,
                                  const BaselineGroup& group, const SlaDefinition& sla) {
  bool working = HasCalendar(sla);
  DurationMs target = group.target == 0 ? sla.target : group.target;
  std::vector<std::string> row{std::move(sla_cell), std::move(group_cell),
                               std::to_string(group.stopped()),
                               target == kMixedTargets ? "mixed" : TargetText(target, working),
                               Percent(MetShare(group))};
  for (int percent : kBaselinePercentiles) {
    row.push_back(group.elapsed.empty() ? "-"
                                        : TargetText(NearestRank(group.elapsed, percent), working));
  }
  for (int percent : kTargetShares) {
    row.push_back(group.elapsed.empty()
                      ? "-"
                      : TargetText(RoundUpTarget(NearestRank(group.elapsed, percent)), working));
  }
  row.push_back(std::to_string(group.open) +
                (group.overdue > 0 ? " (" + std::to_string(group.overdue) + " overdue)" : ""));
  return row;
}

}  // namespace

std::string TargetText(DurationMs d, bool working_time) {
  d -= d % kSecond;
  if (!working_time || d < kDay) return FormatDuration(d);
  std::string out = std::to_string(d / kHour) + "h";
  return d % kHour == 0 ? out : out + FormatDuration(d % kHour);
}

std::string BaselineJson(const Baseline& baseline, const std::vector<SlaDefinition>& slas,
                         std::string_view by, bool pretty) {
  JsonWriter json(pretty);
  json.BeginObject();
  json.Key("as_of").Time(baseline.as_of);
  json.Key("by");
  by.empty() ? json.Null() : json.String(by);
  json.Key("slas").BeginObject();
  for (std::size_t i = 0; i < slas.size(); ++i) {
    const BaselineSla& sla = baseline.slas[i];
    json.Key(slas[i].name).BeginObject();
    json.Key("calendar");
    HasCalendar(slas[i]) ? json.String(slas[i].calendar_name) : json.Null();
    WriteGroupJson(json, sla.all, slas[i]);
    if (!by.empty()) {
      json.Key("groups").BeginArray();
      for (const BaselineGroup& group : sla.groups) {
        json.BeginObject();
        json.Key("value");
        group.value ? json.String(*group.value) : json.Null();
        WriteGroupJson(json, group, slas[i]);
        json.EndObject();
      }
      json.EndArray();
    }
    json.EndObject();
  }
  json.EndObject();
  json.EndObject();
  return json.TakeLine();
}

std::string BaselineTable(const Baseline& baseline, const std::vector<SlaDefinition>& slas,
                          std::string_view by) {
  std::vector<std::vector<std::string>> rows{
      {"SLA", by.empty() ? "" : std::string(by), "STOPPED", "TARGET", "MET", "P50", "P75", "P90",
       "P95", "P99", "FOR 50%", "FOR 90%", "FOR 95%", "FOR 99%", "OPEN"}};
  bool any_calendar = false;
  for (std::size_t i = 0; i < slas.size(); ++i) {
    const SlaDefinition& sla = slas[i];
    any_calendar = any_calendar || HasCalendar(sla);
    std::string name = sla.name + (HasCalendar(sla) ? " *" : "");
    rows.push_back(GroupRow(name, by.empty() ? "" : "(all)", baseline.slas[i].all, sla));
    for (const BaselineGroup& group : baseline.slas[i].groups) {
      rows.push_back(GroupRow("", group.value ? *group.value : std::string(kMissingValue), group, sla));
    }
  }
  std::string out = "as of " + FormatRfc3339(baseline.as_of) +
                    (by.empty() ? "" : ", by the start event's " + std::string(by)) + "\n\n";
  out += Columns(rows);
  out += "\nSTOPPED: met + breached instances; the percentiles (nearest rank) are of their "
         "elapsed time.\nMET: the share of them that met the target they had (TARGET; "
         "\"mixed\" when a `targets:` override applied).\nFOR N%: the smallest target N% of "
         "them met, rounded up to the minute under 1h,\n  to the quarter hour under 24h, to "
         "the hour beyond. OPEN: still open at as_of, not counted above.\n";
  if (any_calendar) {
    out += "* working time on the SLA's calendar: a target of 24h is 24 working hours.\n";
  }
  return out;
}

}  // namespace handoff
