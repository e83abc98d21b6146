#include "daemon/config_reload.h"

#include <tuple>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "daemon/host/logger.h"

namespace handoff {
namespace {

// The sections a reload cannot change (docs/durability.md, reload rule 7).
bool SameKafka(const KafkaConfig& a, const KafkaConfig& b) {
  return std::tie(a.brokers, a.group_id, a.group_instance_id, a.topics, a.properties,
                  a.breach_topic, a.dead_letter_topic) ==
         std::tie(b.brokers, b.group_id, b.group_instance_id, b.topics, b.properties,
                  b.breach_topic, b.dead_letter_topic);
}

bool SameEvents(const EventFormat& a, const EventFormat& b) {
  auto pointers = [](const EventFormat& f) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NamedPointer& p : f.attributes) out.emplace_back(p.name, p.pointer);
    return out;
  };
  return std::tie(a.format, a.id_pointer, a.type_pointer, a.time_pointer, a.key_pointer,
                  a.time_format) == std::tie(b.format, b.id_pointer, b.type_pointer,
                                             b.time_pointer, b.key_pointer, b.time_format) &&
         pointers(a) == pointers(b);
}

bool SameCheckpoint(const CheckpointConfig& a, const CheckpointConfig& b) {
  return std::tie(a.store, a.dir, a.topic, a.interval) ==
         std::tie(b.store, b.dir, b.topic, b.interval);
}

bool SameWeb(const WebConfig& a, const WebConfig& b) {
  return std::tie(a.listen_address, a.advertise_url, a.tls_cert_file, a.tls_key_file,
                  a.basic_auth_users) == std::tie(b.listen_address, b.advertise_url,
                                                  b.tls_cert_file, b.tls_key_file,
                                                  b.basic_auth_users);
}

}  // namespace

ConfigReloader::~ConfigReloader() {
  if (loader_.joinable()) loader_.join();
}

void ConfigReloader::Reload(Done done) {
  if (loading_) {
    next_.push_back(std::move(done));
    return;
  }
  waiting_.push_back(std::move(done));
  StartLoad();
}

void ConfigReloader::StartLoad() {
  loading_ = true;
  notifier_.Reloading();
  notifier_.Status("reloading the config");
  if (loader_.joinable()) loader_.join();  // the last load's thread, long finished
  loader_ = std::thread([this, path = config_->path] {
    auto loaded = std::make_shared<Result<Config, ConfigErrors>>(
        LoadConfigFile(path, ProcessEnvironment()));
    post_to_engine_([this, loaded] {
      Result<std::string> result = Error{"config reload failed"};
      try {
        result = Apply(std::move(*loaded));
      } catch (const std::exception& e) {  // nothing escapes into the engine's loop
        LogError("config reload failed", {{"error", e.what()}});
        result = Error{std::string("config reload failed: ") + e.what()};
      }
      notifier_.Ready();
      notifier_.Status(result ? "running; config reloaded" : "running; config reload failed");
      loading_ = false;
      std::vector<Done> done = std::move(waiting_);
      waiting_ = std::move(next_);
      next_.clear();
      if (!waiting_.empty()) StartLoad();
      for (const Done& d : done) d(result);
    });
  });
}

Result<std::string> ConfigReloader::Apply(Result<Config, ConfigErrors> loaded) {
  const std::string& path = config_->path;
  if (!loaded) {
    for (const ConfigError& error : loaded.error()) {
      LogError("config reload: invalid config", {{"error", error.ToString()}});
    }
    metrics_.RecordReload(false, clock_.Now());
    return Error{path + ": " + std::to_string(loaded.error().size()) +
                 " error(s); the old config keeps running"};
  }
  Config next = std::move(loaded).value();
  // Rule 7: these sections are read once, at start.
  auto keep = [](const char* section, bool same, auto& field, const auto& running) {
    if (same) return;
    LogWarn("config reload: this section needs a restart; keeping the running values",
            {{"section", section}});
    field = running;
  };
  keep("kafka", SameKafka(next.kafka, config_->kafka), next.kafka, config_->kafka);
  keep("events", SameEvents(next.events, config_->events), next.events, config_->events);
  keep("checkpoint", SameCheckpoint(next.checkpoint, config_->checkpoint), next.checkpoint,
       config_->checkpoint);
  keep("web", SameWeb(next.web, config_->web), next.web, config_->web);
  auto shared = std::make_shared<const Config>(std::move(next));
  Result<std::size_t> dropped = host_.Reconfigure(shared);
  if (!dropped) {
    LogError("config reload: cannot apply the config; the old one keeps running",
             {{"error", dropped.error().message}});
    metrics_.RecordReload(false, clock_.Now());
    return dropped.error();
  }
  config_ = shared;
  if (on_applied_) on_applied_(host_.basis());
  metrics_.OnReconfigured();
  metrics_.RecordReload(true, clock_.Now());
  LogInfo("config reloaded", {{"config", DescribeConfigOneLine(*config_)},
                              {"dropped_open_instances", std::to_string(*dropped)}});
  return std::string("config reloaded");
}

}  // namespace handoff
