#include "daemon/ingest/batch_applier.h"

#include "daemon/host/engine_host.h"
#include "daemon/ingest/rdkafka_util.h"

namespace handoff {

void BatchApplier::Apply(Batch& batch) {
  const auto& topics = config_.kafka.topics;
  for (std::int32_t partition : batch.assign) {
    if (hooks_.assign) {
      hooks_.assign(partition);
    } else {
      host_.Assign(partition);
    }
  }
  TimeMs now = clock_.Now();
  host_.Offer(batch.events, now);
  for (std::size_t t = 0; t < batch.consumed.size(); ++t) {
    if (batch.consumed[t] != 0) host_.CountConsumed(topics[t], batch.consumed[t]);
  }
  for (RejectReason reason : kAllRejectReasons) {
    for (std::uint64_t n = batch.rejected[static_cast<std::size_t>(reason)]; n > 0; --n) {
      host_.CountRejected(reason);
    }
  }
  for (const Batch::Lag& lag : batch.lag) host_.SetLag(lag.partition, topics[lag.topic], lag.lag);
  for (const auto& [partition, caught_up] : batch.caught_up) host_.SetCaughtUp(partition, caught_up);
  if (batch.ready) host_.SetReady(*batch.ready);
  if (hooks_.applied) {
    for (const auto& [tp, offset] : batch.offsets) hooks_.applied(tp.second, topics[tp.first], offset);
  }
  for (std::int32_t partition : batch.revoke) {
    if (hooks_.revoke) {
      hooks_.revoke(partition);
    } else {
      host_.Revoke(partition);
    }
  }
  if (batch.offsets.empty()) return;
  TopicPartitionList offsets(rd_kafka_topic_partition_list_new(batch.offsets.size()));
  for (const auto& [tp, offset] : batch.offsets) {
    rd_kafka_topic_partition_list_add(offsets.get(), topics[tp.first].c_str(), tp.second)
        ->offset = offset;
  }
  // Thread-safe; fails harmlessly for a partition revoked meanwhile.
  rd_kafka_offsets_store(consumer_, offsets.get());
}

}  // namespace handoff
