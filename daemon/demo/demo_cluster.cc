#include "daemon/demo/demo_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <vector>

namespace handoff {

struct DemoCluster::Handles {
  ~Handles() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (owner != nullptr) rd_kafka_destroy(owner);
  }
  rd_kafka_t* owner = nullptr;  // required by the mock for its bookkeeping; never used
  rd_kafka_mock_cluster_t* cluster = nullptr;
};

Result<std::unique_ptr<DemoCluster>> DemoCluster::Create(int brokers,
                                                         const std::vector<Topic>& topics) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The owning handle has no bootstrap servers on purpose; keep it from saying so.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  auto handles = std::make_unique<Handles>();
  handles->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (handles->owner == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("mock cluster: ") + errstr};
  }
  handles->cluster = rd_kafka_mock_cluster_new(handles->owner, brokers);
  if (handles->cluster == nullptr) return Error{"mock cluster: cannot create"};
  for (const Topic& topic : topics) {
    if (rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
            handles->cluster, topic.name.c_str(), topic.partitions, 1)) {
      return Error{"mock cluster: topic " + topic.name + ": " + rd_kafka_err2str(err)};
    }
  }
  return std::unique_ptr<DemoCluster>(new DemoCluster(std::move(handles)));
}

DemoCluster::DemoCluster(std::unique_ptr<Handles> handles)
    : handles_(std::move(handles)),
      bootstrap_servers_(rd_kafka_mock_cluster_bootstraps(handles_->cluster)) {}

DemoCluster::~DemoCluster() = default;

void DemoCluster::SetBrokersDown() { rd_kafka_mock_broker_set_down(handles_->cluster, -1); }

void DemoCluster::SetBrokersUp() { rd_kafka_mock_broker_set_up(handles_->cluster, -1); }

void DemoCluster::FailProduceRequests(int count) {
  constexpr std::int16_t kProduceApiKey = 0;  // the Kafka protocol's number for Produce
  std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(count),
                                          RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(handles_->cluster, kProduceApiKey, errors.size(),
                                          errors.data());
}

}  // namespace handoff
