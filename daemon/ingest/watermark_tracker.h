// Where each assigned topic partition is, and what that says about lag, caught-up and
// readiness (docs/reference/metrics.md). Consumer thread only: it learns from the records, the
// end-of-partition events and the broker callbacks, and Refresh() puts what changed into
// the next batch for the engine thread. Owner: the ConsumerLoop.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/ingest/batch.h"
#include "handlers/time.h"

namespace handoff {

class WatermarkTracker {
 public:
  // `topics` (the config's topic list) must outlive the tracker.
  explicit WatermarkTracker(const std::vector<std::string>& topics) : topics_(topics) {}

  // A record at `offset` was read. False if the partition was revoked since it was
  // fetched: the record is dropped. Inline: it runs once per record.
  bool OnRecord(const TopicPartition& tp, std::int64_t offset) {
    auto it = assigned_.find(tp);
    if (it == assigned_.end()) return false;
    it->second.next_offset = offset + 1;
    brokers_down_ = false;
    touched_.insert(tp);
    return true;
  }
  // The partition has nothing after `offset` (yet).
  void OnEndOfPartition(const TopicPartition& tp, std::int64_t offset);

  // Assignment changes. Add() is false for a partition already assigned, Remove() for
  // one that was not.
  bool Add(const TopicPartition& tp);
  bool Remove(const TopicPartition& tp);
  // Whether any topic's partition `partition` is still assigned.
  bool HasEnginePartition(std::int32_t partition) const;
  // The engine partition left this member: its next caught-up flag is posted afresh.
  void ForgetEnginePartition(std::int32_t partition) { caught_up_posted_.erase(partition); }
  // Ready needs an assignment: set on one, cleared when the last partition went.
  void set_assignment_received(bool received) { assignment_received_ = received; }
  bool empty() const { return assigned_.empty(); }
  std::size_t size() const { return assigned_.size(); }

  // From the error and statistics callbacks: an outage starts or ends.
  void set_brokers_down(bool down) { brokers_down_ = down; }
  bool brokers_down() const { return brokers_down_; }

  // Lag and caught-up for the partitions read from since the last call (every partition
  // once a second), from the watermarks librdkafka caches with each fetch: no broker
  // round trip. A topic partition is caught up when it has read up to the high
  // watermark; an engine partition when all of its topics are, and never while the
  // brokers are down. What changed, and readiness, go into `out`. `stopping` only
  // quiets the not-ready warning.
  void Refresh(rd_kafka_t* consumer, TimeMs now, bool stopping, Batch& out);

 private:
  struct TopicPartitionState {
    std::int64_t next_offset = -1;  // after the last record read (or the end-of-partition offset)
    std::int64_t lag = -1;          // last posted
    std::int64_t confirmed_high = -1;  // asked of the broker after an outage
    bool at_eof = false;
    bool caught_up = false;
  };

  bool ConfirmWatermarks(rd_kafka_t* consumer);

  const std::vector<std::string>& topics_;
  std::map<TopicPartition, TopicPartitionState> assigned_;
  std::set<TopicPartition> touched_;               // read from since the last Refresh
  std::map<std::int32_t, bool> caught_up_posted_;  // engine partition -> last posted
  bool assignment_received_ = false;
  bool brokers_down_ = false;
  bool confirm_watermarks_ = false;  // set by an outage, cleared once the brokers answered
  bool ready_posted_ = false;
  TimeMs next_refresh_ = 0;
};

}  // namespace handoff
