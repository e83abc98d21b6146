// Summaries of a loaded Config for `check-config` and the start-up log line. Secret
// values (passwords, keys, hashes) are never printed: their keys are shown with "***".
#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_set>

#include "config/config_loader.h"
#include "config/working_hours.h"

namespace handoff {
namespace {

std::string Join(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(separator)) + w;
  return out;
}

// Departments in order of first mention (from, to, owner of each SLA in turn).
std::vector<std::string> Departments(const Config& config) {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  for (const SlaDefinition& sla : config.slas) {
    for (const std::string* d : {&sla.from, &sla.to, &sla.owner}) {
      if (seen.insert(*d).second) out.push_back(*d);
    }
  }
  return out;
}

bool IsSecretKey(std::string key) {
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word :
       {"password", "secret", "key.pem", "sasl.oauthbearer.config", "sasl.jaas.config"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

// A logfmt value: quoted when it holds a space, '=', '"' or nothing at all.
std::string LogfmtValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" =\"\\") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "Europe/Berlin, mon-fri 08:00-12:00,13:00-18:00 sat 09:00-13:00 (49h a week), 5 holidays"
std::string DescribeCalendar(const CalendarSpec& spec) {
  auto day_hours = [&](int d) {
    std::vector<std::string> intervals;
    for (const LocalInterval& i : spec.hours[d]) intervals.push_back(FormatInterval(i));
    return Join(intervals, ",");
  };
  std::string out = spec.timezone + ",";
  int week_minutes = 0;
  for (int d = 0; d < 7;) {
    int last = d;  // runs of days with the same hours are shown as one range
    while (last + 1 < 7 && day_hours(last + 1) == day_hours(d)) ++last;
    if (!spec.hours[d].empty()) {
      out += " " + std::string(DayName(d)) + (last > d ? "-" + std::string(DayName(last)) : "") +
             " " + day_hours(d);
      for (const LocalInterval& i : spec.hours[d]) {
        week_minutes += (last - d + 1) * (i.end_minute - i.begin_minute);
      }
    }
    d = last + 1;
  }
  return out + " (" + std::to_string(week_minutes / 60) + "h" +
         (week_minutes % 60 ? std::to_string(week_minutes % 60) + "m" : "") + " a week), " +
         std::to_string(spec.holidays.size()) + " holidays";
}

std::string DescribeTarget(const SlaDefinition& sla, const EventFormat& events) {
  std::string out = FormatDuration(sla.target);
  for (const TargetOverride& t : sla.targets) {
    std::vector<std::string> matches;
    for (const AttributeMatch& m : t.when.where) {
      std::string name =
          m.attribute < events.attributes.size() ? events.attributes[m.attribute].name : "?";
      matches.push_back(name + "=" + Join(m.values, "|"));
    }
    out += ", " + FormatDuration(t.target) + " when " + Join(matches, ",");
  }
  return out;
}

// " shadow=a,b" when some SLAs are shadow, else empty: a reload that flips one shows in
// the log.
std::string ShadowSlas(const Config& config) {
  std::vector<std::string> names;
  for (const SlaDefinition& sla : config.slas) {
    if (sla.shadow) names.push_back(sla.name);
  }
  return names.empty() ? "" : " shadow=" + LogfmtValue(Join(names, ","));
}

}  // namespace

std::string DescribeConfig(const Config& config) {
  std::string out = "config " + config.path + "\n";
  const KafkaConfig& kafka = config.kafka;
  out += "kafka: brokers=" + kafka.brokers + " group_id=" + kafka.group_id +
         " topics=" + Join(kafka.topics, ",");
  if (!kafka.breach_topic.empty()) out += " breach_topic=" + kafka.breach_topic;
  if (!kafka.dead_letter_topic.empty()) out += " dead_letter_topic=" + kafka.dead_letter_topic;
  out += "\n";
  for (const auto& [key, value] : kafka.properties) {
    out += "  " + key + "=" + (IsSecretKey(key) ? "***" : value) + "\n";
  }
  const EventFormat& events = config.events;
  static constexpr const char* kTimeFormats[] = {"rfc3339", "epoch_ms", "epoch_s"};
  out += std::string("events: format=") +
         (events.format == PayloadFormat::kJson ? "json" : "cloudevents") +
         " id=" + events.id_pointer + " type=" + events.type_pointer +
         " time=" + events.time_pointer + " key=" + events.key_pointer +
         " time_format=" + kTimeFormats[static_cast<int>(events.time_format)] + "\n";
  for (const NamedPointer& a : events.attributes) out += "  " + a.name + "=" + a.pointer + "\n";
  out += "time: lateness=" + FormatDuration(config.time.lateness) +
         " idle_timeout=" + FormatDuration(config.time.idle_timeout) +
         " dedupe_window=" + FormatDuration(config.time.dedupe_window) +
         " retention=" + FormatDuration(config.time.retention) +
         " max_future=" + FormatDuration(config.time.max_future) + "\n";
  out += "calendars: " + std::to_string(config.calendars.size()) + "\n";
  for (const auto& [name, spec] : config.calendar_specs) {
    out += "  " + name + ": " + DescribeCalendar(spec) + "\n";
  }
  out += "slas: " + std::to_string(config.slas.size()) + "\n";
  for (const SlaDefinition& sla : config.slas) {
    out += "  " + sla.name + ": " + sla.from + " -> " + sla.to + ", owner " + sla.owner +
           ", target " + DescribeTarget(sla, events) + ", calendar " +
           (sla.calendar_name.empty() ? "24x7" : sla.calendar_name) +
           (sla.shadow ? ", shadow (no decisions sent)" : "") + "\n";
  }
  out += "departments: " + Join(Departments(config), ", ") + "\n";
  out += config.checkpoint.store == CheckpointStoreKind::kKafka
             ? "checkpoint: store=kafka topic=" + config.checkpoint.topic
             : "checkpoint: store=file dir=" + config.checkpoint.dir;
  out += " interval=" + FormatDuration(config.checkpoint.interval) + "\n";
  std::vector<std::string> users;
  for (const auto& [user, hash] : config.web.basic_auth_users) users.push_back(user);
  out += "web: listen_address=" + config.web.listen_address +
         (config.web.advertise_url.empty() ? "" : " advertise_url=" + config.web.advertise_url) +
         " tls=" + (config.web.tls_cert_file.empty() ? "off" : "on") +
         " basic_auth_users=" + (users.empty() ? "none" : Join(users, ",")) + "\n";
  return out;
}

std::string DescribeConfigOneLine(const Config& config) {
  std::vector<std::string> calendars;
  for (const auto& [name, calendar] : config.calendars) calendars.push_back(name);
  return "slas=" + std::to_string(config.slas.size()) +
         " calendars=" + std::to_string(config.calendars.size()) +
         " topics=" + LogfmtValue(Join(config.kafka.topics, ",")) +
         " departments=" + LogfmtValue(Join(Departments(config), ",")) + ShadowSlas(config);
}

}  // namespace handoff
