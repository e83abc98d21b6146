// The glue between the Kafka source and the checkpoints (KafkaEventSource::Hooks,
// docs/durability.md): a partition assigned to this member is restored from its checkpoint
// before its first event; a revoked one is checkpointed after its last. Owner: the
// Daemon, which creates it once the store and the checkpointer exist.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "daemon/durability/checkpoint_store.h"
#include "daemon/durability/checkpointer.h"
#include "daemon/durability/partition_restore.h"
#include "daemon/host/clock.h"
#include "daemon/host/engine_host.h"
#include "daemon/ingest/kafka_event_source.h"
#include "daemon/serve/metrics.h"

namespace handoff {

class PartitionHandover {
 public:
  // Everything must outlive the handover. `on_restored` runs on the engine thread after
  // a partition was installed (the Daemon posts its readiness check from it).
  PartitionHandover(EngineHost& host, CheckpointStore& store, Checkpointer& checkpointer,
                    Metrics& metrics, const Clock& clock, std::function<void()> on_restored);

  // The hooks for the source; they call into this object from the consumer thread
  // (start_offsets) and the engine thread (the rest).
  KafkaEventSource::Hooks Hooks();

  // Engine thread, after a reload: partitions restored from now on use the new SLAs.
  void set_basis(const EngineHost::Basis& basis);
  // Engine thread, at shutdown: a revoked partition's checkpoint gets what is left of the
  // shutdown budget instead of its usual timeout.
  void set_deadline(TimeMs deadline) { deadline_ = deadline; }
  // Whether a partition is restored but not yet installed (any thread).
  bool restores_pending();
  // Whether a revoked partition's checkpoint found a decision undelivered (engine thread).
  bool decisions_lost() const { return decisions_lost_; }

 private:
  std::map<std::int32_t, Checkpointer::Offsets> Restore(const std::vector<std::int32_t>& partitions);
  void Install(std::int32_t partition);
  void Save(std::int32_t partition);

  EngineHost& host_;
  CheckpointStore& store_;
  Checkpointer& checkpointer_;
  Metrics& metrics_;
  const Clock& clock_;
  std::function<void()> on_restored_;
  // Partitions the consumer thread restored when they were assigned, waiting for the
  // engine thread to install them, and the host's basis they are restored under.
  std::mutex mutex_;
  std::map<std::int32_t, RestoredPartition> pending_;
  EngineHost::Basis basis_;
  TimeMs deadline_ = kNoTime;  // engine thread
  bool decisions_lost_ = false;  // engine thread
};

}  // namespace handoff
