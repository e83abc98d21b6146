// The daemon's configuration (docs/reference/config.md), fully validated and resolved. Built once by
// LoadConfig (config_loader.h); immutable afterwards and shared read-only. A reload
// builds a new Config and swaps it in on the engine thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config_error.h"
#include "handlers/business_calendar.h"
#include "handlers/event_format.h"
#include "handlers/sla_definition.h"
#include "handlers/time.h"

namespace handoff {

struct KafkaConfig {
  std::string brokers = "localhost:9092";
  std::string group_id = "handoffd";
  // Static membership (group.instance.id): a member restarted under the same id gets its
  // partitions back without a rebalance. Empty: dynamic membership.
  std::string group_instance_id;
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

// Where partition state lives: files on this machine's disk (one member), or a Kafka
// topic, so that several members of one consumer group can take partitions over.
enum class CheckpointStoreKind { kFile, kKafka };

struct CheckpointConfig {
  CheckpointStoreKind store = CheckpointStoreKind::kFile;
  std::string dir = "/var/lib/handoffd";  // store: file
  std::string topic = "handoff.state";    // store: kafka
  DurationMs interval = 10 * kSecond;
};

struct WebConfig {
  std::string listen_address = ":9464";
  // Where the other members of the group reach this one's API (http[s]://host:port);
  // empty: the listen address, with the host's address for a wildcard.
  std::string advertise_url;
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
