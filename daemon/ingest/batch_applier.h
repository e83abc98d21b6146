// The engine thread's side of the Kafka source: applies one Batch to the EngineHost (or
// to the Daemon's checkpoint hooks) in the order batch.h gives, then stores the offsets
// reached in the consumer, because now their records are in engine state. Engine thread
// only. Owner: the ConsumerLoop.
#pragma once

#include <librdkafka/rdkafka.h>

#include "config/config.h"
#include "daemon/host/clock.h"
#include "daemon/ingest/batch.h"
#include "daemon/ingest/kafka_event_source.h"

namespace handoff {

class EngineHost;

class BatchApplier {
 public:
  // Everything must outlive the applier; `consumer` may be set later (set_consumer).
  BatchApplier(const Config& config, EngineHost& host, const Clock& clock,
               const KafkaEventSource::Hooks& hooks)
      : config_(config), host_(host), clock_(clock), hooks_(hooks) {}

  void set_consumer(rd_kafka_t* consumer) { consumer_ = consumer; }
  void Apply(Batch& batch);

 private:
  const Config& config_;
  EngineHost& host_;
  const Clock& clock_;
  const KafkaEventSource::Hooks& hooks_;
  rd_kafka_t* consumer_ = nullptr;
};

}  // namespace handoff
