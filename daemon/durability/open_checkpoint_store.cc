#include "daemon/durability/open_checkpoint_store.h"

#include <unistd.h>

#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/kafka_checkpoint_store.h"

namespace handoff {

std::string MemberName(const KafkaConfig& kafka) {
  if (!kafka.group_instance_id.empty()) return kafka.group_instance_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "unknown") + "/" + std::to_string(::getpid());
}

Result<std::unique_ptr<CheckpointStore>> OpenCheckpointStore(const Config& config,
                                                             const std::string& api_url) {
  if (config.checkpoint.store == CheckpointStoreKind::kFile) {
    auto store = FileCheckpointStore::Open(config.checkpoint.dir);
    if (!store) return store.error();
    return std::unique_ptr<CheckpointStore>(std::move(store).value());
  }
  KafkaCheckpointStore::Options options;
  options.brokers = config.kafka.brokers;
  options.properties = config.kafka.properties;
  options.topic = config.checkpoint.topic;
  options.member = MemberName(config.kafka);
  options.api_url = api_url;
  auto store = KafkaCheckpointStore::Open(std::move(options), config.kafka.topics);
  if (!store) return store.error();
  return std::unique_ptr<CheckpointStore>(std::move(store).value());
}

}  // namespace handoff
