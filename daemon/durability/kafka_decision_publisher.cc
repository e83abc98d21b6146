#include "daemon/durability/kafka_decision_publisher.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <librdkafka/rdkafka.h>

#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"

namespace handoff {

std::vector<std::pair<std::string, std::string>> DecisionProducerProperties(
    const KafkaConfig& kafka) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", kafka.brokers},
      {"client.id", "handoffd-decisions"},
      {"linger.ms", "5"},
  };
  for (const auto& [key, value] : kafka.properties) props.emplace_back(key, value);
  // Retries without duplicates or reordering, acknowledged by every in-sync replica.
  props.emplace_back("enable.idempotence", "true");
  props.emplace_back("acks", "all");
  return props;
}

// Decisions are numbered as they are produced (the message's opaque); a delivery report
// removes its number from `outstanding`, so "every decision up to mark is delivered" is
// "the smallest outstanding number is above mark".
struct KafkaDecisionPublisher::Producer {
  ~Producer() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (rk) {
      rd_kafka_flush(rk, 5000);
      rd_kafka_destroy(rk);
    }
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<Producer*>(opaque);
    auto seq = reinterpret_cast<std::uintptr_t>(message->_private);
    std::lock_guard lock(self->mutex);
    self->outstanding.erase(seq);
    if (message->err) {
      if (!self->failure) {
        self->failure =
            "decision delivery to " + self->topic + " failed: " + rd_kafka_err2str(message->err);
      }
    } else {
      ++self->delivered;
    }
    self->changed.notify_all();
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Producer*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_fatal_error(rk, buf, sizeof buf);
      std::lock_guard lock(self->mutex);
      if (!self->failure) self->failure = std::string("decision producer failed: ") + buf;
      self->changed.notify_all();
      return;
    }
    LogWarn(
        "decision producer",
        {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))}, {"reason", reason}});
  }

  void Fail(std::string message) {
    std::lock_guard lock(mutex);
    if (!failure) failure = std::move(message);
    changed.notify_all();
  }

  rd_kafka_t* rk = nullptr;
  std::string topic;
  std::thread poller;
  std::atomic<bool> stop{false};
  std::uint64_t produced = 0;  // engine thread only

  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::uintptr_t> outstanding;
  std::uint64_t delivered = 0;
  std::optional<std::string> failure;
};

Result<std::unique_ptr<KafkaDecisionPublisher>> KafkaDecisionPublisher::Create(
    const EngineHost& host) {
  const KafkaConfig& kafka = host.config().kafka;
  if (kafka.breach_topic.empty()) return Error{"kafka.breach_topic is not set"};
  auto producer = std::make_unique<Producer>();
  producer->topic = kafka.breach_topic;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [key, value] : DecisionProducerProperties(kafka)) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error{"decision producer: kafka property " + key + ": " + err};
    }
  }
  rd_kafka_conf_set_opaque(conf, producer.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Producer::OnDelivery);
  rd_kafka_conf_set_error_cb(conf, &Producer::OnError);
  producer->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!producer->rk) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("decision producer: ") + err};
  }
  // Delivery reports are served here, never on the engine thread.
  producer->poller = std::thread([p = producer.get()] {
    NameThisThread("handoff-dpoll");
    while (!p->stop) rd_kafka_poll(p->rk, 100);
  });
  return std::unique_ptr<KafkaDecisionPublisher>(
      new KafkaDecisionPublisher(host, std::move(producer)));
}

KafkaDecisionPublisher::KafkaDecisionPublisher(const EngineHost& host,
                                               std::unique_ptr<Producer> producer)
    : host_(host), producer_(std::move(producer)) {}

KafkaDecisionPublisher::~KafkaDecisionPublisher() = default;

void KafkaDecisionPublisher::OnDecisions(std::int32_t, std::span<const Decision> decisions) {
  Producer& p = *producer_;
  const std::vector<SlaDefinition>& slas = host_.config().slas;
  for (const Decision& decision : decisions) {
    if (decision.instance.sla >= slas.size()) continue;
    std::optional<std::string> value = DecisionCloudEvent(decision, slas[decision.instance.sla]);
    if (!value) continue;
    std::uintptr_t seq = ++p.produced;
    {
      std::lock_guard lock(p.mutex);
      p.outstanding.insert(seq);
    }
    const std::string& key = decision.instance.key;
    // A full local queue means the brokers are slower than the engine: wait for room
    // (back-pressure on the engine thread) rather than drop a decision.
    for (int attempt = 0;; ++attempt) {
      rd_kafka_resp_err_t rc = rd_kafka_producev(
          p.rk, RD_KAFKA_V_TOPIC(p.topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value->data(), value->size()),
          RD_KAFKA_V_HEADER("content-type", kDecisionContentType.data(),
                            static_cast<ssize_t>(kDecisionContentType.size())),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(seq)), RD_KAFKA_V_END);
      if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (rc == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < 60000) {
        if (attempt == 0) LogWarn("decision producer queue is full; waiting");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      {
        std::lock_guard lock(p.mutex);
        p.outstanding.erase(seq);
      }
      p.Fail("cannot produce decision " + *DecisionEventId(decision, slas[decision.instance.sla]) +
             ": " + rd_kafka_err2str(rc));
      break;
    }
  }
}

std::uint64_t KafkaDecisionPublisher::Mark() const { return producer_->produced; }

Result<bool> KafkaDecisionPublisher::WaitDelivered(std::uint64_t mark, DurationMs timeout) {
  Producer& p = *producer_;
  std::unique_lock lock(p.mutex);
  bool done = p.changed.wait_for(lock, std::chrono::milliseconds(timeout), [&] {
    return p.failure || p.outstanding.empty() || *p.outstanding.begin() > mark;
  });
  if (p.failure) return Error{*p.failure};
  return done;
}

std::uint64_t KafkaDecisionPublisher::published() const {
  std::lock_guard lock(producer_->mutex);
  return producer_->delivered;
}

}  // namespace handoff
