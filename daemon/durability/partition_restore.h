// Restores partitions from their checkpoints off the engine thread, several at once
// (docs/durability.md "How a partition comes back"): each worker reads one
// partition's checkpoint (file, CRC) and builds its engine (SlaEngine::RestoreState); the
// engine thread then only moves the engines in (Checkpointer::RestorePartition). Any
// thread; the store must allow concurrent Loads. Used by the daemon and checkpoint_bench.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/durability/checkpoint_store.h"
#include "daemon/host/engine_host.h"

namespace handoff {

// One partition's checkpoint, loaded and restored; nothing but `engine` is large.
struct RestoredPartition {
  std::int32_t partition = 0;
  // Where the consumer starts each topic: the checkpoint's offsets. nullopt: there is no
  // checkpoint, or the store refused it (start at the committed offset).
  std::optional<std::map<std::string, std::int64_t>> offsets = {};
  // The engine built from the checkpoint under `basis`; nullopt with `error`, or with no
  // checkpoint (the partition starts empty).
  std::optional<SlaEngine> engine = {};
  EngineHost::Basis basis = {};
  // Open instances in the checkpoint whose SLA `basis` no longer has: dropped.
  std::size_t dropped_open = 0;
  // The checkpoint's attachment (the order timeline), for the host's PartitionAttachment.
  std::string attachment = {};
  // Why the checkpoint is unusable: the store refused the file (then `offsets` is nullopt),
  // or the engine refused its state (then `offsets` is set: the consumer has already
  // been told to start there). The engine thread logs it and starts the partition empty.
  std::optional<Error> error = {};
};

// Loads and restores one partition on the calling thread.
RestoredPartition RestoreFromStore(CheckpointStore& store, std::int32_t partition,
                                   const EngineHost::Basis& basis);

// Loads and restores every partition on `threads` worker threads (at most one per
// partition; the caller waits), in the order of `partitions`.
std::vector<RestoredPartition> RestoreFromStore(CheckpointStore& store,
                                                const std::vector<std::int32_t>& partitions,
                                                const EngineHost::Basis& basis, unsigned threads);

// The worker threads the daemon restores with: one per core, at least one.
unsigned RestoreThreads();

}  // namespace handoff
