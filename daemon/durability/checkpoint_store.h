// Where partition checkpoints live (docs/durability.md). A checkpoint is everything one
// partition's engine needs to continue as if it had never stopped (SlaEngine::SaveState)
// plus the next offset to read per topic. The interface keeps the engine and the daemon
// independent of the medium: files today (FileCheckpointStore), a compacted Kafka topic
// later. Implementations say which threads may call them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "handlers/result.h"

namespace handoff {

struct Checkpoint {
  std::string engine_state;                     // SlaEngine::SaveState()
  std::map<std::string, std::int64_t> offsets;  // topic -> next offset to read
  // The partition is leaving this member (revoke, shutdown): a store that may skip a
  // periodic save (KafkaCheckpointStore's byte budget) writes this one, so the next owner
  // starts exactly here and re-sends nothing.
  bool handover = false;
  // What moves with the partition besides its engine: PartitionAttachment::Save (the
  // order timeline). Empty in checkpoints of format version 1.
  std::string attachment = {};
};

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // Replaces the partition's checkpoint atomically: after a crash at any moment, Load
  // returns either the previous checkpoint or this one, never a mix. nullopt on success.
  virtual Status Save(std::int32_t partition, const Checkpoint& checkpoint) = 0;

  // nullopt when the partition has no checkpoint; an Error when one exists but cannot be
  // used (unreadable, corrupt, truncated, another format version). The caller logs it
  // and rebuilds the partition from the committed offset.
  virtual Result<std::optional<Checkpoint>> Load(std::int32_t partition) = 0;

  // The partitions that have a checkpoint, ascending.
  virtual Result<std::vector<std::int32_t>> List() = 0;
};

}  // namespace handoff
