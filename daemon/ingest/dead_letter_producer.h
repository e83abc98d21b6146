// The dead-letter producer: sends a rejected record, as it came, to
// kafka.dead_letter_topic with why and where it was in headers. Consumer thread only
// (its delivery reports are served by Poll()). Owner: the ConsumerLoop.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "handlers/decoder.h"
#include "handlers/result.h"

namespace handoff {

class DeadLetterProducer {
 public:
  // Null (and no error) when no dead-letter topic is configured. The producer takes
  // kafka.properties, less the consumer-only ones it would only warn about.
  static Result<std::unique_ptr<DeadLetterProducer>> Create(const KafkaConfig& kafka);
  ~DeadLetterProducer();
  DeadLetterProducer(const DeadLetterProducer&) = delete;
  DeadLetterProducer& operator=(const DeadLetterProducer&) = delete;

  // Sends the record (a too-large one without its value). Never blocks for long: a full
  // queue is polled once, then the record is logged and dropped.
  void Send(const rd_kafka_message_t* message, const std::string& topic_name,
            RejectReason reason);
  // Serves delivery reports without waiting.
  void Poll();
  // At shutdown: waits a bounded time for what is still queued.
  void Flush();

 private:
  DeadLetterProducer(rd_kafka_t* producer, std::string topic);

  rd_kafka_t* producer_;
  std::string topic_;
};

}  // namespace handoff
