// Partition checkpoints in a Kafka topic (checkpoint.store: kafka), so that any member of
// the consumer group can restore any partition: state-topic partition p holds input
// partition p's claims and snapshots (records and fencing rule: state_records.h; design
// and measurements: docs/durability.md, "Several members, one group").
// - Load claims the partition for this member (a claim record), then restores the newest
//   snapshot that no later claim fenced off, reading back from the end of the partition:
//   its cost is one snapshot, not the whole log.
// - Save writes a snapshot as chunks, checks that no other member claimed the partition
//   meanwhile, then commits it. If one did, Save fails with fenced(partition) set: this
//   member has lost the partition and must stop deciding it until it is assigned again.
// Any thread; Loads and Saves of different partitions may run concurrently, Saves of one
// partition must not overlap (the Checkpointer's one writer thread serializes them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/durability/checkpoint_store.h"
#include "handlers/time.h"

namespace handoff {

class KafkaCheckpointStore final : public CheckpointStore {
 public:
  struct Options {
    std::string brokers;
    std::map<std::string, std::string> properties;  // kafka.properties (security, ...)
    std::string topic;                              // checkpoint.topic
    std::string member;   // who claims: unique in the group (group.instance.id, host/pid)
    std::string api_url;  // where this member's HTTP API answers, for the other members
    std::size_t chunk_bytes = 512 * 1024;  // under the brokers' message.max.bytes (1 MB)
    // A periodic save is skipped while (records read since the last snapshot) x this is
    // below the last snapshot's size: the bytes written per record read stay under it
    // however large the state, and a restore re-reads at most size / this records.
    // Handovers are always written. 0: write every save.
    std::size_t bytes_per_record = 256;
    DurationMs timeout = 30 * kSecond;  // each produce or read as a whole
  };

  // Connects and checks the topic: it exists and has at least as many partitions as each
  // of `input_topics` (state partition p holds input partition p). Otherwise an error
  // names the topic and what is wrong; the docs give the kafka-topics command that
  // creates it.
  static Result<std::unique_ptr<KafkaCheckpointStore>> Open(
      Options options, const std::vector<std::string>& input_topics);
  ~KafkaCheckpointStore() override;
  KafkaCheckpointStore(const KafkaCheckpointStore&) = delete;
  KafkaCheckpointStore& operator=(const KafkaCheckpointStore&) = delete;

  Status Save(std::int32_t partition, const Checkpoint& checkpoint) override;
  Result<std::optional<Checkpoint>> Load(std::int32_t partition) override;
  // The state partitions that hold any record.
  Result<std::vector<std::int32_t>> List() override;
  // Where the API of each partition's owner answers, as its newest claim says (one entry
  // per partition with a claim; the same address repeats): the group's members, for
  // answers gathered from all of them (group_fanout.h). Reads a few records a partition,
  // all within `budget`.
  Result<std::vector<std::string>> OwnerUrls(DurationMs budget);

  // Another member claimed the partition after this one did: Save refuses it until this
  // member claims it again (Load).
  bool fenced(std::int32_t partition) const;

  // What a restore read: records, and bytes of their values (for the benchmark).
  struct ReadStats {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };
  ReadStats last_load_stats() const;
  // Bytes of record values this store has produced, all partitions; saves skipped.
  std::uint64_t bytes_written() const;
  std::uint64_t saves_skipped() const;

 private:
  struct Kafka;  // the librdkafka handles (state_topic_io.h); rdkafka.h stays out of here
  // What this member knows of its own claim on a partition.
  struct Claim {
    std::int64_t offset = -1;            // the claim record's offset: its epoch
    std::int64_t verified_through = -1;  // no newer claim up to here
    std::uint64_t next_snapshot = 1;
    std::vector<std::string> previous_keys;  // the last snapshot's keys, deleted after the next
    bool fenced = false;
    std::size_t last_size = 0;  // engine state and attachment bytes of the last snapshot written or restored
    std::int64_t last_records = 0;  // the sum of its offsets: records read before it
  };

  KafkaCheckpointStore(Options options, std::unique_ptr<Kafka> kafka);
  Result<std::int32_t> PartitionCount(DurationMs timeout);
  Result<Claim> WriteClaim(std::int32_t partition);
  // Whether a claim other than `claim` lies in (after, through]; `own` are offsets this
  // member wrote there, skipped without reading.
  Result<bool> NewerClaimIn(std::int32_t partition, const Claim& claim, std::int64_t through,
                            const std::vector<std::int64_t>& own);
  Result<std::optional<Checkpoint>> ReadNewestSnapshot(std::int32_t partition,
                                                       std::vector<std::string>* keys);

  Options options_;
  std::unique_ptr<Kafka> kafka_;
  mutable std::mutex mutex_;  // guards claims_ and last_load_stats_
  std::map<std::int32_t, Claim> claims_;
  ReadStats last_load_stats_;
};

}  // namespace handoff
