// Sends decisions to kafka.breach_topic as CloudEvents (decision_publisher.h) through an
// idempotent producer (enable.idempotence=true, acks=all; kafka.properties passed
// through), keyed by the order key. Owner: the Daemon. OnDecisions and Mark run on the
// engine thread and never wait for the network (they wait only while librdkafka's
// queue is full); a thread of its own serves delivery reports; WaitDelivered may be
// called from any thread. librdkafka stays in the .cc.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/durability/decision_publisher.h"
#include "daemon/host/engine_host.h"

namespace handoff {

// The producer's librdkafka properties in the order they are set: bootstrap servers and
// client id, kafka.properties unchanged, then the two settings no-loss depends on
// (enable.idempotence=true, acks=all), which win over the user's.
std::vector<std::pair<std::string, std::string>> DecisionProducerProperties(
    const KafkaConfig& kafka);

class KafkaDecisionPublisher final : public DecisionPublisher {
 public:
  // Reads the topic and properties from host.config().kafka, and each decision's SLA
  // from host.config() when it is sent (so it follows reloads). `host` must outlive it.
  static Result<std::unique_ptr<KafkaDecisionPublisher>> Create(const EngineHost& host);
  ~KafkaDecisionPublisher() override;  // waits up to 5 s for what is still queued
  KafkaDecisionPublisher(const KafkaDecisionPublisher&) = delete;
  KafkaDecisionPublisher& operator=(const KafkaDecisionPublisher&) = delete;

  void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) override;
  std::uint64_t Mark() const override;
  Result<bool> WaitDelivered(std::uint64_t mark, DurationMs timeout) override;

  std::uint64_t published() const;  // acknowledged decisions; any thread

 private:
  struct Producer;  // librdkafka handle, delivery bookkeeping, the poll thread
  explicit KafkaDecisionPublisher(const EngineHost& host, std::unique_ptr<Producer> producer);
  const EngineHost& host_;
  std::unique_ptr<Producer> producer_;
};

}  // namespace handoff
