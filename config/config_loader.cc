// Walks the YAML file with MapReader section by section (the calendar and SLA sections
// live in calendar_reader.cc and sla_reader.cc). Every problem is recorded and the walk
// goes on, so one run of `check-config` shows them all. yaml-cpp reports syntax errors by
// throwing; the throw is caught here and becomes an error with its position.
#include "config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <unordered_set>

#include "config/config_sections.h"
#include "config/web_config.h"
#include "config/yaml_reader.h"

namespace handoff {
namespace {

std::vector<std::string> SplitTopics(const std::string& text) {
  std::vector<std::string> topics;
  std::stringstream in(text);
  for (std::string topic; std::getline(in, topic, ',');) {
    topic.erase(0, topic.find_first_not_of(' '));
    topic.erase(topic.find_last_not_of(' ') + 1);
    topics.push_back(topic);
  }
  return topics;
}

// `topics:` from the file, or HANDOFF_KAFKA_TOPICS as a comma list.
void ReadTopics(MapReader& kafka, std::vector<std::string>* out) {
  LoadContext& ctx = kafka.ctx();
  std::string path = kafka.PathOf("topics");
  std::vector<Scalar> topics;
  auto entry = kafka.Get("topics");
  bool quiet = kafka.quiet();  // a wrong kind was reported already
  if (auto env = ctx.FromEnv(path)) {
    for (const std::string& topic : SplitTopics(env->text)) topics.push_back({topic, env->origin});
  } else if (entry) {
    auto list = ReadStringList(ctx, entry->value, path, /*allow_single=*/true);
    quiet = quiet || !list;
    topics = list.value_or(topics);
  }
  std::unordered_set<std::string> listed;
  for (const Scalar& topic : topics) {
    if (topic.text.empty()) {
      ctx.Error(topic.origin, path, "a topic name must not be empty");
    } else if (!listed.insert(topic.text).second) {
      ctx.Error(topic.origin, path, "topic \"" + topic.text + "\" is listed twice");
    } else {
      out->push_back(topic.text);
    }
  }
  if (topics.empty() && !quiet) {
    ctx.Error(entry ? LoadContext::OriginOf(entry->value) : kafka.origin(), path,
              "needs at least one topic");
  }
}

// librdkafka properties, with `<name>_file: PATH` replaced by `<name>: <file content>`.
void ReadProperties(MapReader& properties, std::map<std::string, std::string>* out) {
  constexpr std::string_view kFileSuffix = "_file";
  const auto& entries = properties.Entries();
  for (const MapReader::Entry& entry : entries) {
    auto value = properties.ScalarOf(entry);
    if (!value) continue;
    std::string path = properties.PathOf(entry.key);
    bool is_file = entry.key.size() > kFileSuffix.size() && entry.key.ends_with(kFileSuffix);
    if (!is_file) {
      (*out)[entry.key] = value->text;
      continue;
    }
    std::string name = entry.key.substr(0, entry.key.size() - kFileSuffix.size());
    if (properties.Contains(name)) {
      properties.ctx().Error(value->origin, path,
                             "give `" + name + "` or `" + entry.key + "`, not both");
      continue;
    }
    std::string error;
    if (auto secret = ReadFileText(value->text, &error)) {
      // Files written by `echo` or editors end in a newline that is not part of the secret.
      if (secret->ends_with('\n')) secret->pop_back();
      (*out)[name] = *secret;
    } else {
      properties.ctx().Error(value->origin, path,
                             "cannot read secret file \"" + value->text + "\": " + error);
    }
  }
}

void ReadKafka(MapReader& root, KafkaConfig* kafka) {
  MapReader reader = root.Child("kafka");
  ReadNonEmptyString(reader, "brokers", &kafka->brokers);
  ReadNonEmptyString(reader, "group_id", &kafka->group_id);
  ReadString(reader, "group_instance_id", &kafka->group_instance_id);
  ReadTopics(reader, &kafka->topics);
  MapReader properties = reader.Child("properties");
  ReadProperties(properties, &kafka->properties);
  ReadString(reader, "breach_topic", &kafka->breach_topic);
  ReadString(reader, "dead_letter_topic", &kafka->dead_letter_topic);
  reader.RejectUnknownKeys();
}

// The field pointers default to CloudEvents' attributes (docs/reference/config.md). For plain JSON
// they default to the same names at the top level, except the key, which is read from
// "/key" (and falls back to the Kafka message key when that is absent).
void ReadEvents(MapReader& root, Declared* declared, EventFormat* events) {
  MapReader reader = root.Child("events");
  ReadChoice<PayloadFormat>(
      reader, "format",
      {{"cloudevents", PayloadFormat::kCloudEvents}, {"json", PayloadFormat::kJson}},
      &events->format);
  if (events->format == PayloadFormat::kJson) events->key_pointer = "/key";
  MapReader fields = reader.Child("fields");
  ReadPointer(fields, "id", &events->id_pointer);
  ReadPointer(fields, "type", &events->type_pointer);
  ReadPointer(fields, "time", &events->time_pointer);
  ReadPointer(fields, "key", &events->key_pointer);
  fields.RejectUnknownKeys();
  ReadChoice<TimeFormat>(reader, "time_format",
                         {{"rfc3339", TimeFormat::kRfc3339},
                          {"epoch_ms", TimeFormat::kEpochMs},
                          {"epoch_s", TimeFormat::kEpochS}},
                         &events->time_format);
  MapReader attributes = reader.Child("attributes");
  for (const MapReader::Entry& entry : attributes.Entries()) {
    std::string path = attributes.PathOf(entry.key);
    if (entry.key.empty()) {
      attributes.ctx().ErrorAt(entry.key_node, path, "an attribute name must not be empty");
      continue;
    }
    auto pointer = attributes.ScalarOf(entry);
    if (!pointer) {
      if (entry.value.IsNull())
        attributes.ctx().ErrorAt(entry.key_node, path, "needs a JSON pointer");
      continue;
    }
    if (!CheckPointer(attributes.ctx(), *pointer, path)) continue;
    declared->attributes[entry.key] = events->attributes.size();
    events->attributes.push_back({entry.key, pointer->text});
  }
  reader.RejectUnknownKeys();
}

// Memory shorter than `lateness` is valid, but events may still arrive (late) after what
// they need to be matched against was forgotten; say what follows.
void WarnShorterThanLateness(MapReader& reader, const TimeConfig& time) {
  auto warn = [&](std::string_view key, DurationMs value, std::string_view consequence) {
    if (value >= time.lateness) return;
    auto scalar = reader.GetScalar(key);
    reader.ctx().Warning(scalar ? scalar->origin : reader.origin(), reader.PathOf(key),
                         std::string(key) + " (" + FormatDuration(value) +
                             ") is shorter than lateness (" + FormatDuration(time.lateness) +
                             "): " + std::string(consequence));
  };
  warn("dedupe_window", time.dedupe_window,
       "an event id is forgotten while events may still arrive late, so a redelivered "
       "event can be applied twice");
  warn("retention", time.retention,
       "a closed instance is forgotten while its order's events may still arrive late, so a "
       "late stop is ignored as a stray and a late start opens cycle 1 again");
}

void ReadTime(MapReader& root, TimeConfig* time) {
  MapReader reader = root.Child("time");
  ReadDuration(reader, "lateness", &time->lateness, Bound::kNonNegative);
  ReadDuration(reader, "idle_timeout", &time->idle_timeout, Bound::kPositive);
  ReadDuration(reader, "dedupe_window", &time->dedupe_window, Bound::kNonNegative);
  ReadDuration(reader, "retention", &time->retention, Bound::kNonNegative);
  ReadDuration(reader, "max_future", &time->max_future, Bound::kNonNegative);
  WarnShorterThanLateness(reader, *time);
  reader.RejectUnknownKeys();
}

void ReadCheckpoint(MapReader& root, const KafkaConfig& kafka, CheckpointConfig* checkpoint) {
  MapReader reader = root.Child("checkpoint");
  ReadChoice<CheckpointStoreKind>(
      reader, "store",
      {{"file", CheckpointStoreKind::kFile}, {"kafka", CheckpointStoreKind::kKafka}},
      &checkpoint->store);
  ReadNonEmptyString(reader, "dir", &checkpoint->dir);
  ReadNonEmptyString(reader, "topic", &checkpoint->topic);
  // The state topic holds only state records: sharing it with events or decisions would
  // make each read the other's records.
  if (auto topic = reader.GetScalar("topic");
      topic && checkpoint->store == CheckpointStoreKind::kKafka) {
    std::vector<std::pair<std::string_view, std::string_view>> taken;  // topic, its key
    for (const std::string& input : kafka.topics) taken.emplace_back(input, "kafka.topics");
    taken.emplace_back(kafka.breach_topic, "kafka.breach_topic");
    taken.emplace_back(kafka.dead_letter_topic, "kafka.dead_letter_topic");
    for (const auto& [name, key] : taken) {
      if (name.empty() || name != topic->text) continue;  // an empty topic is not produced
      reader.ctx().Error(topic->origin, reader.PathOf("topic"),
                         "\"" + topic->text + "\" is already " + std::string(key) +
                             "; the state needs a topic of its own");
    }
  }
  ReadDuration(reader, "interval", &checkpoint->interval, Bound::kPositive);
  reader.RejectUnknownKeys();
}

// host:port, where host may be empty (all interfaces), a name, an IPv4 address or a
// bracketed IPv6 address, and port is 0..65535 (0 picks a free port).
bool IsListenAddress(std::string_view address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return false;
  }
  if (host.starts_with('[')) return host.size() > 2 && host.ends_with(']');
  return host.find_first_of(":[] /") == std::string_view::npos;
}

// http://host:port or https://host:port, nothing after the port.
bool IsAdvertiseUrl(std::string_view url) {
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else {
    return false;
  }
  return IsListenAddress(url) && !url.starts_with(':') && !url.ends_with(":0");
}

void ReadWeb(MapReader& root, WebConfig* web) {
  MapReader reader = root.Child("web");
  LoadContext& ctx = reader.ctx();
  if (auto address = reader.GetScalar("listen_address")) {
    if (IsListenAddress(address->text)) {
      web->listen_address = address->text;
    } else {
      ctx.Error(address->origin, reader.PathOf("listen_address"),
                "bad listen address \"" + address->text +
                    "\" (use host:port, e.g. :9464, 0.0.0.0:9464 or [::1]:9464)");
    }
  }
  if (auto url = reader.GetScalar("advertise_url")) {
    if (IsAdvertiseUrl(url->text)) {
      web->advertise_url = url->text;
    } else {
      ctx.Error(url->origin, reader.PathOf("advertise_url"),
                "bad advertise URL \"" + url->text +
                    "\" (use http://host:port or https://host:port, with no path, e.g. "
                    "http://10.0.3.7:9464)");
    }
  }
  auto cert = reader.GetScalar("tls_cert_file");
  auto key = reader.GetScalar("tls_key_file");
  if (cert) web->tls_cert_file = cert->text;
  if (key) web->tls_key_file = key->text;
  if (web->tls_cert_file.empty() != web->tls_key_file.empty()) {
    bool has_cert = !web->tls_cert_file.empty();
    ctx.Error(has_cert ? cert->origin : key->origin,
              reader.PathOf(has_cert ? "tls_cert_file" : "tls_key_file"),
              "tls_cert_file and tls_key_file go together; give both or neither");
  }
  MapReader users = reader.Child("basic_auth_users");
  ReadBasicAuthUsers(users, &web->basic_auth_users);
  // They still work, and go in the next release; a --web.config.file beside them is
  // refused at start-up (the daemon cannot tell which to trust).
  auto deprecated = [&](const Origin& at, std::string_view key, std::string_view replacement) {
    ctx.Warning(at, reader.PathOf(key),
                "deprecated and goes in the next release: put " + std::string(replacement) +
                    " in a web config file (--web.config.file)");
  };
  if (cert) deprecated(cert->origin, "tls_cert_file", "tls_server_config.cert_file");
  if (key) deprecated(key->origin, "tls_key_file", "tls_server_config.key_file");
  if (!web->basic_auth_users.empty()) deprecated(users.origin(), "basic_auth_users", "basic_auth_users");
  reader.RejectUnknownKeys();
}

void ReadConfig(LoadContext& ctx, const YAML::Node& node, Config* config) {
  MapReader root(ctx, node, "", Origin{}, /*env_overrides=*/true);
  Declared declared;
  ReadKafka(root, &config->kafka);
  ReadEvents(root, &declared, &config->events);
  ReadTime(root, &config->time);
  ReadCalendars(root, &declared, config);
  ReadSlas(root, declared, config);
  ReadCheckpoint(root, config->kafka, &config->checkpoint);
  ReadWeb(root, &config->web);
  root.RejectUnknownKeys();
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Config, ConfigErrors> LoadConfigString(std::string_view yaml, const std::string& name,
                                              const EnvLookup& env) {
  LoadContext ctx(name, env);
  Config config;
  config.path = name;
  ConfigErrors errors =
      ReadYamlDocument(ctx, yaml, [&](const YAML::Node& root) { ReadConfig(ctx, root, &config); });
  if (!errors.empty()) return errors;
  config.warnings = std::move(ctx.warnings());
  SortByPosition(config.warnings);
  return config;
}

Result<Config, ConfigErrors> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::string error;
  std::optional<std::string> text = ReadFileText(path, &error);
  if (!text) return ConfigErrors{{path, 0, 0, "", "cannot read config file: " + error}};
  return LoadConfigString(*text, path, env);
}

}  // namespace handoff
