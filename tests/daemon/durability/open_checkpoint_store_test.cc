// The store the config names: files by default, the state topic with store: kafka.
#include "daemon/durability/open_checkpoint_store.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "daemon/demo/demo_cluster.h"
#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/kafka_checkpoint_store.h"

namespace handoff {
namespace {

TEST(OpenCheckpointStore, FilesByDefault) {
  Config config;
  config.checkpoint.dir = ::testing::TempDir() + "/open_checkpoint_store";
  auto store = OpenCheckpointStore(config, "http://a:9464");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_NE(dynamic_cast<FileCheckpointStore*>(store->get()), nullptr);
  std::filesystem::remove_all(config.checkpoint.dir);
}

TEST(OpenCheckpointStore, TheStateTopicWithStoreKafka) {
  auto cluster = DemoCluster::Create(1, {{"handoffs", 3}, {"team.state", 3}});
  ASSERT_TRUE(cluster) << cluster.error().message;
  Config config;
  config.kafka.brokers = (*cluster)->bootstrap_servers();
  config.kafka.topics = {"handoffs"};
  config.kafka.properties = {{"log_level", "0"}};
  config.checkpoint.store = CheckpointStoreKind::kKafka;
  config.checkpoint.topic = "team.state";
  auto store = OpenCheckpointStore(config, "http://a:9464");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_NE(dynamic_cast<KafkaCheckpointStore*>(store->get()), nullptr);

  config.checkpoint.topic = "handoff.state";  // not created
  auto missing = OpenCheckpointStore(config, "http://a:9464");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("checkpoint.topic handoff.state is not usable"),
            std::string::npos);
}

TEST(OpenCheckpointStore, MembersAreNamedByInstanceIdElseHostAndPid) {
  KafkaConfig kafka;
  kafka.group_instance_id = "handoffd-2";
  EXPECT_EQ(MemberName(kafka), "handoffd-2");
  kafka.group_instance_id.clear();
  EXPECT_TRUE(MemberName(kafka).ends_with("/" + std::to_string(::getpid())));
}

}  // namespace
}  // namespace handoff
