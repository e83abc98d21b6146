// Writes and restores partition checkpoints for the Daemon (docs/durability.md; format and
// crash semantics: docs/durability.md). The engine thread snapshots one partition per
// loop turn (SlaEngine::SaveState plus the next offsets the engine has applied), and a
// writer thread of its own first waits until the decisions that snapshot covers are
// acknowledged by the decisions topic, then saves it to the CheckpointStore. So a
// checkpoint never covers a decision that could still be lost, and the engine thread
// never waits for a disk or a broker during a periodic round.
// Owner: the Daemon. Every public method runs on the engine thread; the reports it
// posts back run there too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/durability/checkpoint_store.h"
#include "daemon/durability/decision_publisher.h"
#include "daemon/durability/partition_restore.h"
#include "daemon/host/clock.h"
#include "daemon/host/engine_host.h"

namespace handoff {

class Checkpointer {
 public:
  // Runs a task on the engine thread, after the ones posted before it.
  using Poster = std::function<void(std::function<void()>)>;
  using Offsets = std::map<std::string, std::int64_t>;  // topic -> next offset to read

  struct Options {
    DurationMs delivery_timeout = 30 * kSecond;  // decisions acknowledged before a save
    std::size_t max_in_flight = 2;               // snapshots waiting for the writer
  };

  // The outcome of a round (or of SaveNow), on the engine thread.
  struct Report {
    std::size_t saved = 0;         // partitions written
    std::size_t failed = 0;        // partitions not written
    DurationMs duration = 0;       // first snapshot to last write, steady clock
    TimeMs finished_at = kNoTime;  // wall clock
    std::optional<Error> first_error;
    // A decision was not acknowledged: no later checkpoint may be written, the daemon
    // must stop (exit 2) so that a restart re-sends it from the last good checkpoint.
    bool decisions_lost = false;
  };
  using OnReport = std::function<void(const Report&)>;

  // `publisher` may be null (no kafka.breach_topic). Everything passed must outlive this.
  Checkpointer(EngineHost& host, CheckpointStore& store, DecisionPublisher* publisher,
               const Clock& clock, Poster post, Options options);
  Checkpointer(EngineHost& host, CheckpointStore& store, DecisionPublisher* publisher,
               const Clock& clock, Poster post)
      : Checkpointer(host, store, publisher, clock, std::move(post), Options()) {}
  ~Checkpointer();  // finishes queued writes, joins the writer
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The source reports what the engine has applied: `next_offset` of `topic` for the
  // partition (the offset after the last record offered to the engine).
  void RecordApplied(std::int32_t partition, const std::string& topic, std::int64_t next_offset);

  // Assigns `partition` in the host from its checkpoint and returns the offsets to seek
  // to. With no checkpoint, or an unusable one (logged with the reason), the partition
  // starts empty and nullopt means "start at the committed offset".
  std::optional<Offsets> RestorePartition(std::int32_t partition);
  // The same with a partition already loaded and restored by other threads (the Kafka
  // consumer's, RestoreFromStore): this only moves its engine in.
  std::optional<Offsets> RestorePartition(RestoredPartition restored);

  // Starts a round over every assigned partition unless one is running; `on_report`
  // gets its outcome. Returns false when a round was already running.
  bool StartRound(OnReport on_report);
  bool round_running() const { return round_ != nullptr; }

  // Checkpoints these partitions now and waits for them to be written (revoke, shutdown),
  // at most `timeout`. Blocks the engine thread.
  Report SaveNow(const std::vector<std::int32_t>& partitions, DurationMs timeout);

  // Forgets a partition's applied offsets (after revoke).
  void Forget(std::int32_t partition) { applied_.erase(partition); }

  // Sticky: a decision delivery failed; no checkpoint is written any more.
  bool decisions_lost() const;

 private:
  struct Round;
  struct Writer;    // the thread, its queue and its lock
  struct SyncWait;  // SaveNow waits on it
  void SnapshotNext();
  Status AwaitDecisions(std::uint64_t mark);  // writer thread
  void OnWritten(std::int32_t partition, const Status& written, bool lost,
                 std::uint64_t round_id);
  // Snapshots the partition and queues it for the writer; false if it is not assigned.
  bool Enqueue(std::int32_t partition, std::uint64_t round_id,
               const std::shared_ptr<SyncWait>& sync);

  EngineHost& host_;
  CheckpointStore& store_;
  DecisionPublisher* publisher_;
  const Clock& clock_;
  Poster post_;
  Options options_;
  std::map<std::int32_t, Offsets> applied_;
  std::unique_ptr<Round> round_;
  std::uint64_t next_round_id_ = 1;
  std::unique_ptr<Writer> writer_;
  std::shared_ptr<int> alive_;  // tasks posted to the engine thread check it is still here
};

}  // namespace handoff
