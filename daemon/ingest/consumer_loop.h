// The consumer thread ("handoff-consume") and what it drives: the group consumer, its
// rebalance/error/statistics callbacks, decoding, the DeadLetterProducer, the
// WatermarkTracker, and the BatchMailbox to the engine thread (whose drains run the
// BatchApplier). KafkaEventSource is its public face; the engine-thread methods are
// Start(), Drain() and Stop(). Shared with the tasks it posts, which hold it weakly.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "daemon/host/rate_limited_log.h"
#include "daemon/ingest/batch.h"
#include "daemon/ingest/batch_applier.h"
#include "daemon/ingest/batch_mailbox.h"
#include "daemon/ingest/dead_letter_producer.h"
#include "daemon/ingest/kafka_event_source.h"
#include "daemon/ingest/watermark_tracker.h"

namespace handoff {

class ConsumerLoop {
 public:
  ConsumerLoop(std::shared_ptr<const Config> config, EngineHost& host, const Clock& clock,
               KafkaEventSource::Poster post, KafkaEventSource::Options options);
  ~ConsumerLoop();
  ConsumerLoop(const ConsumerLoop&) = delete;
  ConsumerLoop& operator=(const ConsumerLoop&) = delete;

  // Engine thread. `self` is this object, for the drains it posts.
  Status Start(std::weak_ptr<ConsumerLoop> self);
  void Stop();
  std::uint64_t records_read() const { return records_read_.load(std::memory_order_relaxed); }

 private:
  // ---- the consumer thread
  void Loop();
  int TopicIndex(const char* name) const;
  void Handle(const rd_kafka_message_t* message);
  void HandleError(const rd_kafka_message_t* message, int topic);
  void Reject(const rd_kafka_message_t* message, int topic, RejectReason reason);
  void Refresh() { tracker_.Refresh(consumer_, clock_.Now(), stopping_, next_); }
  void Flush();
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  // `protocol`: the group's rebalance protocol (EAGER or COOPERATIVE), for the log.
  void OnAssigned(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                  const char* protocol);
  void SetStartOffsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                       const std::vector<std::int32_t>& fresh);
  void OnRevoked(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static int OnStats(rd_kafka_t*, char* json, std::size_t len, void* opaque);
  void CloseConsumer();

  // ---- the engine thread
  // Applies the oldest queued batch; true when another is queued behind it.
  bool ApplyNext();
  // Posted: one batch, then posts itself again while more are queued, so timers,
  // scrapes, checkpoints and reloads run between batches, not after a whole backlog.
  void Drain();
  void PostDrain();

  // ---- read-only after Start()
  std::shared_ptr<const Config> config_;
  const Clock& clock_;
  KafkaEventSource::Poster post_;
  KafkaEventSource::Options options_;
  std::weak_ptr<ConsumerLoop> self_;
  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  std::unique_ptr<DeadLetterProducer> dead_letters_;  // null when no topic is configured
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> records_read_{0};

  BatchMailbox mailbox_;   // consumer thread -> engine thread
  BatchApplier applier_;   // engine thread

  // ---- consumer-thread state
  WatermarkTracker tracker_;
  EventDecoder decoder_;
  TimeMs arrival_ = 0;  // the wall clock when the records being handled were read
  RecordView record_;  // reused: its header vector keeps its capacity
  Batch next_;
  std::array<LogRateLimiter, kAllRejectReasons.size()> reject_log_;  // one per reason
  LogRateLimiter error_log_;
};

}  // namespace handoff
