// The daemon's configuration (DESIGN.md §3), fully validated and resolved. Built once by
// LoadConfig (config_loader.h); immutable afterwards and shared read-only. A reload
// builds a new Config and swaps it in on the engine thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "handlers/business_calendar.h"
#include "handlers/event_format.h"
#include "handlers/sla_definition.h"
#include "handlers/time.h"

namespace handoff {

// One problem found in a config. `line` and `column` are 1-based; an error about an
// environment variable has file "env", line 0 and column 0 and names the variable in
// its message; an error about the file as a whole (unreadable) has line 0 too.
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key;  // the key path: "slas[1].stop.where.to", "time.lateness"; may be empty
  std::string message;

  // "orders.yaml:12:5: slas[0].target: bad duration \"2x\" (use e.g. 90s, 15m, 2h, 1h30m,
  // 3d)"; without ":line:col" when line is 0 and without "key: " when key is empty.
  std::string ToString() const;
};
using ConfigErrors = std::vector<ConfigError>;

struct KafkaConfig {
  std::string brokers = "localhost:9092";
  std::string group_id = "handoffd";
  std::vector<std::string> topics;
  std::map<std::string, std::string> properties;  // passed to librdkafka unchanged
  std::string breach_topic;                       // empty: not produced
  std::string dead_letter_topic;                  // empty: not produced
};

struct TimeConfig {
  DurationMs lateness = 5 * kSecond;
  DurationMs idle_timeout = 10 * kSecond;
  DurationMs dedupe_window = kHour;
  DurationMs retention = 7 * kDay;
  DurationMs max_future = kHour;  // live: events further ahead of the clock are rejected
};

struct CheckpointConfig {
  std::string dir = "/var/lib/handoffd";
  DurationMs interval = 10 * kSecond;
};

struct WebConfig {
  std::string listen_address = ":9464";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

struct Config {
  std::string path;  // the file it was loaded from
  KafkaConfig kafka;
  EventFormat events;
  TimeConfig time;
  std::map<std::string, std::shared_ptr<const BusinessCalendar>> calendars;
  // The calendars as written (zone, hours, holidays), for summaries such as check-config.
  std::map<std::string, CalendarSpec> calendar_specs;
  std::vector<SlaDefinition> slas;  // config order is the order rules apply in
  CheckpointConfig checkpoint;
  WebConfig web;
  // Valid but probably not meant (check-config prints them; the daemon logs them).
  ConfigErrors warnings;
};

}  // namespace handoff
