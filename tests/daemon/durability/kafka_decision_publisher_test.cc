// KafkaDecisionPublisher against librdkafka's mock cluster: a real Kafka protocol peer.
#include "daemon/durability/kafka_decision_publisher.h"

#include <map>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

// A one-broker mock cluster, owned by a producer handle that does nothing else.
class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cluster_ = rd_kafka_mock_cluster_new(owner_, 1);
    rd_kafka_mock_topic_create(cluster_, "handoff.decisions", 2, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  // Every record of the topic: key -> values, in partition order.
  std::vector<std::pair<std::string, std::string>> ReadAll(std::size_t expected) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "test", err, sizeof err);
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(2);
    for (int p = 0; p < 2; ++p) {
      rd_kafka_topic_partition_list_add(parts, "handoff.decisions", p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < 100 && out.size() < expected; ++i) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (!m) continue;
      if (!m->err) {
        out.emplace_back(std::string(static_cast<const char*>(m->key), m->key_len),
                         std::string(static_cast<const char*>(m->payload), m->len));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return out;
  }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

Decision Of(DecisionKind kind, const std::string& key) {
  Decision d;
  d.kind = kind;
  d.at = T("2026-11-27T11:00:00Z");
  d.instance.key = key;
  d.instance.cycle = 1;
  d.instance.started_at = T("2026-11-27T10:00:00Z");
  d.instance.target = kHour;
  return d;
}

TEST(KafkaDecisionPublisher, PropertiesPassThroughButIdempotenceWins) {
  KafkaConfig kafka;
  kafka.brokers = "k:9092";
  kafka.properties = {{"acks", "1"}, {"security.protocol", "ssl"}};
  auto props = DecisionProducerProperties(kafka);
  std::map<std::string, std::string> last;
  for (const auto& [k, v] : props) last[k] = v;  // later settings win, as in librdkafka
  EXPECT_EQ(last["bootstrap.servers"], "k:9092");
  EXPECT_EQ(last["security.protocol"], "ssl");
  EXPECT_EQ(last["acks"], "all");
  EXPECT_EQ(last["enable.idempotence"], "true");
}

TEST(KafkaDecisionPublisher, BadPropertyIsAnError) {
  auto config = std::make_shared<Config>();
  config->kafka.breach_topic = "handoff.decisions";
  config->kafka.properties = {{"no.such.property", "1"}};
  EngineHost host(config);
  auto publisher = KafkaDecisionPublisher::Create(host);
  ASSERT_FALSE(publisher.ok());
  EXPECT_NE(publisher.error().message.find("no.such.property"), std::string::npos);
}

TEST(KafkaDecisionPublisher, OutcomesReachTheTopicKeyedByOrder) {
  MockCluster cluster;
  auto config = std::make_shared<Config>();
  config->slas = {AcceptSla(kHour)};
  config->kafka.brokers = cluster.bootstraps();
  config->kafka.breach_topic = "handoff.decisions";
  EngineHost host(config);
  auto publisher = KafkaDecisionPublisher::Create(host);
  ASSERT_TRUE(publisher.ok()) << publisher.error().message;
  std::vector<Decision> decisions = {Of(DecisionKind::kStarted, "o1"),
                                     Of(DecisionKind::kBreached, "o1"),
                                     Of(DecisionKind::kMet, "o2"), Of(DecisionKind::kPaused, "o2")};
  (*publisher)->OnDecisions(0, decisions);
  std::uint64_t mark = (*publisher)->Mark();
  EXPECT_EQ(mark, 2u);  // started and paused are not published
  auto delivered = (*publisher)->WaitDelivered(mark, 10 * kSecond);
  ASSERT_TRUE(delivered.ok()) << delivered.error().message;
  EXPECT_TRUE(*delivered);
  EXPECT_EQ((*publisher)->published(), 2u);
  auto records = cluster.ReadAll(2);
  ASSERT_EQ(records.size(), 2u);
  std::map<std::string, std::string> by_key(records.begin(), records.end());
  EXPECT_EQ(by_key["o1"], *DecisionCloudEvent(decisions[1], config->slas[0]));
  EXPECT_EQ(by_key["o2"], *DecisionCloudEvent(decisions[2], config->slas[0]));
}

}  // namespace
}  // namespace handoff
