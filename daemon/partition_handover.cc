#include "daemon/partition_handover.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "daemon/host/logger.h"

namespace handoff {
namespace {

// A revoked partition's checkpoint waits at most this long for its decisions and disk.
constexpr DurationMs kRevokeSaveTimeout = 10 * kSecond;

}  // namespace

PartitionHandover::PartitionHandover(EngineHost& host, CheckpointStore& store,
                                     Checkpointer& checkpointer, Metrics& metrics,
                                     const Clock& clock, std::function<void()> on_restored)
    : host_(host),
      store_(store),
      checkpointer_(checkpointer),
      metrics_(metrics),
      clock_(clock),
      on_restored_(std::move(on_restored)),
      basis_(host.basis()) {}

KafkaEventSource::Hooks PartitionHandover::Hooks() {
  KafkaEventSource::Hooks hooks;
  hooks.start_offsets = [this](const std::vector<std::int32_t>& partitions) {
    return Restore(partitions);
  };
  hooks.assign = [this](std::int32_t partition) { Install(partition); };
  hooks.revoke = [this](std::int32_t partition) { Save(partition); };
  hooks.applied = [this](std::int32_t partition, const std::string& topic,
                         std::int64_t next_offset) {
    checkpointer_.RecordApplied(partition, topic, next_offset);
  };
  return hooks;
}

void PartitionHandover::set_basis(const EngineHost::Basis& basis) {
  std::lock_guard lock(mutex_);
  basis_ = basis;
}

bool PartitionHandover::restores_pending() {
  std::lock_guard lock(mutex_);
  return !pending_.empty();
}

// Consumer thread, once per assignment: reads and restores every new partition's
// checkpoint on worker threads, keeps the engines for the engine thread, and answers the
// checkpoints' offsets to seek to. The engine thread keeps serving meanwhile.
std::map<std::int32_t, Checkpointer::Offsets> PartitionHandover::Restore(
    const std::vector<std::int32_t>& partitions) {
  EngineHost::Basis basis;
  {
    std::lock_guard lock(mutex_);
    basis = basis_;
  }
  std::vector<RestoredPartition> restored =
      RestoreFromStore(store_, partitions, basis, RestoreThreads());
  std::map<std::int32_t, Checkpointer::Offsets> offsets;
  std::lock_guard lock(mutex_);
  for (RestoredPartition& partition : restored) {
    // A topic the checkpoint has no offset for is not in its state at all: it starts
    // where a partition without a checkpoint would. (Since ConsumerLoop::SetStartOffsets
    // reports every start, only a checkpoint written by an earlier build lacks one.)
    Checkpointer::Offsets start;
    if (start_without_checkpoint_ && !partition.error) start = *start_without_checkpoint_;
    if (partition.offsets) {
      for (const auto& [topic, offset] : *partition.offsets) start[topic] = offset;
    }
    if (!start.empty()) offsets.emplace(partition.partition, std::move(start));
    pending_.insert_or_assign(partition.partition, std::move(partition));
  }
  return offsets;
}

// Engine thread, before the partition's first event: moves the restored engine in (a
// reload since it was restored makes the host re-home it under the new SLAs).
void PartitionHandover::Install(std::int32_t partition) {
  std::optional<RestoredPartition> restored;
  {
    std::lock_guard lock(mutex_);
    auto node = pending_.extract(partition);
    if (node) restored = std::move(node.mapped());
  }
  if (restored) {
    checkpointer_.RestorePartition(std::move(*restored));
  } else {
    checkpointer_.RestorePartition(partition);
  }
  on_restored_();
}

// Engine thread, after the partition's last event: checkpoints it for the next owner.
void PartitionHandover::Save(std::int32_t partition) {
  DurationMs timeout = kRevokeSaveTimeout;
  if (deadline_ != kNoTime) timeout = std::max<DurationMs>(deadline_ - clock_.Now(), 0);
  Checkpointer::Report report = checkpointer_.SaveNow({partition}, timeout);
  if (report.first_error) {
    LogError("checkpoint of a revoked partition not written",
             {{"partition", std::to_string(partition)}, {"error", report.first_error->message}});
  } else {
    metrics_.RecordCheckpoint(report.duration, report.finished_at);
  }
  if (report.decisions_lost) decisions_lost_ = true;
  checkpointer_.Forget(partition);
  host_.Revoke(partition);
}

}  // namespace handoff
