#include "daemon/ingest/dead_letter_producer.h"

#include <sys/types.h>

#include <string_view>
#include <utility>
#include <vector>

#include "daemon/host/logger.h"
#include "daemon/ingest/kafka_event_source.h"
#include "daemon/ingest/rdkafka_util.h"

namespace handoff {
namespace {

constexpr int kFlushTimeoutMs = 5000;

// Consumer settings the dead-letter producer would only warn about.
bool IsConsumerOnly(std::string_view key) {
  for (std::string_view prefix :
       {"group.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "auto.offset.reset", "enable.auto.", "auto.commit.", "partition.assignment.strategy",
        "fetch.", "queued.", "isolation.level", "enable.partition.eof", "check.crcs",
        "consume.callback.max.messages", "coordinator.query.interval.ms"}) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogError("dead letter not delivered", {{"error", rd_kafka_err2str(message->err)}});
  }
}

}  // namespace

Result<std::unique_ptr<DeadLetterProducer>> DeadLetterProducer::Create(
    const KafkaConfig& kafka) {
  if (kafka.dead_letter_topic.empty()) return std::unique_ptr<DeadLetterProducer>();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", kafka.brokers}, {"client.id", "handoffd-dead-letters"}};
  for (const auto& [key, value] : kafka.properties) {
    if (!IsConsumerOnly(key)) props.emplace_back(key, value);
  }
  if (Status set = SetAll(conf, props); !set) {
    rd_kafka_conf_destroy(conf);
    return set.error();
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
  rd_kafka_conf_set_log_cb(conf, &OnLibraryLog);
  char errstr[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("kafka dead-letter producer: ") + errstr};
  }
  return std::unique_ptr<DeadLetterProducer>(
      new DeadLetterProducer(producer, kafka.dead_letter_topic));
}

DeadLetterProducer::DeadLetterProducer(rd_kafka_t* producer, std::string topic)
    : producer_(producer), topic_(std::move(topic)) {}

DeadLetterProducer::~DeadLetterProducer() { rd_kafka_destroy(producer_); }

void DeadLetterProducer::Send(const rd_kafka_message_t* message, const std::string& topic_name,
                              RejectReason reason) {
  rd_kafka_headers_t* original = nullptr;
  rd_kafka_headers_t* headers =
      rd_kafka_message_headers(message, &original) == RD_KAFKA_RESP_ERR_NO_ERROR
          ? rd_kafka_headers_copy(original)
          : rd_kafka_headers_new(4);
  std::string_view reason_name = RejectReasonName(reason);
  std::string partition = std::to_string(message->partition);
  std::string offset = std::to_string(message->offset);
  rd_kafka_header_add(headers, kRejectReasonHeader, -1, reason_name.data(),
                      static_cast<ssize_t>(reason_name.size()));
  rd_kafka_header_add(headers, kOriginalTopicHeader, -1, topic_name.data(),
                      static_cast<ssize_t>(topic_name.size()));
  rd_kafka_header_add(headers, kOriginalPartitionHeader, -1, partition.data(),
                      static_cast<ssize_t>(partition.size()));
  rd_kafka_header_add(headers, kOriginalOffsetHeader, -1, offset.data(),
                      static_cast<ssize_t>(offset.size()));
  bool with_value = reason != RejectReason::kTooLarge && message->payload != nullptr;
  void* value = with_value ? message->payload : nullptr;
  std::size_t value_len = with_value ? message->len : 0;
  void* key = message->key;
  std::size_t key_len = key != nullptr ? message->key_len : 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE(value, value_len),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // the producer owns the headers now
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt == 1) {
      LogError("dead letter not sent", {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
      break;
    }
    rd_kafka_poll(producer_, 100);  // make room: delivery reports free the queue
  }
  rd_kafka_headers_destroy(headers);
}

void DeadLetterProducer::Poll() { rd_kafka_poll(producer_, 0); }

void DeadLetterProducer::Flush() {
  if (rd_kafka_flush(producer_, kFlushTimeoutMs) != 0) {
    LogWarn("dead letters not delivered at shutdown",
            {{"pending", std::to_string(rd_kafka_outq_len(producer_))}});
  }
}

}  // namespace handoff
