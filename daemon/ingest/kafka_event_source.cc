#include "daemon/ingest/kafka_event_source.h"

#include "daemon/ingest/consumer_loop.h"

namespace handoff {

std::vector<std::pair<std::string, std::string>> ConsumerProperties(const KafkaConfig& kafka) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", kafka.brokers},
      {"group.id", kafka.group_id},
      {"client.id", "handoffd"},
      // A new group reads what is already there: events before start-up still count.
      {"auto.offset.reset", "earliest"},
      // Eager "range" gives one member the same partition numbers of every topic, as
      // co-partitioned topics need (partition p of each topic feeds engine partition p).
      // Not "cooperative-sticky", even with one topic: under CPU load the group test
      // failed with it in two ways not understood yet (a restarted static member not
      // assigned within 30 s; once, a breach contradicting the met the other owner
      // decided), so the eager protocol the fencing was proven with stays. librdkafka
      // 2.0.2 (Debian 12) lacks upstream fixes to the sticky assignor when partitions
      // change owners (2.2.0, #4252) and to the batch consume API (2.1.0, #4208).
      {"partition.assignment.strategy", "range"},
      // Broker states arrive with the statistics: how readiness notices a recovery.
      {"statistics.interval.ms", "1000"},
      // The pre-fetch queue is shared by all partitions of a group consumer, and once it
      // is over either limit librdkafka 2.0 stops fetching until its broker thread looks
      // again, up to a second later (fetch.queue.backoff.ms, which tunes that, is 2.1+).
      // While catching up on a backlog the queue must therefore hold more than a second
      // of what the engine applies, or the consumer idles: 256 MB is ~1.3 M events of
      // ~200 bytes, ~1.5 s at the engine's rate. The message count is set high so that
      // the bytes bound it (500k messages idled the consumer ~20-40 % of a catch-up:
      // docs/performance.md). Lower both in kafka.properties to trade that for memory.
      {"queued.min.messages", "5000000"},
      {"queued.max.messages.kbytes", "262144"},
  };
  // Static membership: restarted under the same id, a member gets its partitions back
  // without waiting for the broker to expire its old session.
  if (!kafka.group_instance_id.empty()) {
    props.emplace_back("group.instance.id", kafka.group_instance_id);
  }
  for (const auto& [key, value] : kafka.properties) props.emplace_back(key, value);
  props.emplace_back("enable.auto.offset.store", "false");  // stored after the engine ran
  props.emplace_back("enable.partition.eof", "true");       // how caught-up is noticed
  return props;
}

KafkaEventSource::KafkaEventSource(std::shared_ptr<const Config> config, EngineHost& host,
                                   const Clock& clock, Poster post, Options options)
    : loop_(std::make_shared<ConsumerLoop>(std::move(config), host, clock, std::move(post),
                                           std::move(options))) {}

KafkaEventSource::~KafkaEventSource() { Stop(); }

Status KafkaEventSource::Start() { return loop_->Start(loop_); }

void KafkaEventSource::Stop() { loop_->Stop(); }

std::uint64_t KafkaEventSource::records_read() const { return loop_->records_read(); }

}  // namespace handoff
