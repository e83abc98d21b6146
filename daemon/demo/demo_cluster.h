// An in-process Kafka: librdkafka's mock cluster, listening on 127.0.0.1 ephemeral ports,
// with the given topics created. For `handoffd demo`, the tests' mock_kafka tool and the
// ingest benchmark, never for production. Any thread; librdkafka stays in the .cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "handlers/result.h"

namespace handoff {

class DemoCluster {
 public:
  struct Topic {
    std::string name;
    int partitions = 1;
  };

  static Result<std::unique_ptr<DemoCluster>> Create(int brokers, const std::vector<Topic>& topics);
  ~DemoCluster();
  DemoCluster(const DemoCluster&) = delete;
  DemoCluster& operator=(const DemoCluster&) = delete;

  // "127.0.0.1:port,...": what clients put in bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  // Every broker drops its connections and refuses new ones; then accepts them again.
  void SetBrokersDown();
  void SetBrokersUp();
  // The next `count` produce requests, from any client, fail with
  // TOPIC_AUTHORIZATION_FAILED, which no retry fixes: how a test makes a producer give up.
  void FailProduceRequests(int count);

 private:
  struct Handles;  // the librdkafka handle that owns the mock cluster
  explicit DemoCluster(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
  std::string bootstrap_servers_;
};

}  // namespace handoff
