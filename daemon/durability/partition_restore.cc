#include "daemon/durability/partition_restore.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include "daemon/host/thread_name.h"

namespace handoff {

RestoredPartition RestoreFromStore(CheckpointStore& store, std::int32_t partition,
                                   const EngineHost::Basis& basis) {
  RestoredPartition restored{.partition = partition, .basis = basis};
  // A worker thread: an allocation failure must become an error, not std::terminate.
  try {
    Result<std::optional<Checkpoint>> loaded = store.Load(partition);
    if (!loaded.ok()) {
      restored.error = loaded.error();
      return restored;
    }
    if (!loaded->has_value()) return restored;
    Checkpoint& checkpoint = *loaded.value();
    restored.offsets = std::move(checkpoint.offsets);
    restored.attachment = std::move(checkpoint.attachment);
    Result<SlaEngine> engine =
        EngineHost::RestoreEngine(basis, checkpoint.engine_state, &restored.dropped_open);
    if (engine.ok()) {
      restored.engine.emplace(std::move(engine).value());
    } else {
      restored.error = engine.error();
    }
  } catch (const std::exception& e) {
    restored.engine.reset();
    restored.error = Error{"restoring partition " + std::to_string(partition) + ": " + e.what()};
  }
  return restored;
}

std::vector<RestoredPartition> RestoreFromStore(CheckpointStore& store,
                                                const std::vector<std::int32_t>& partitions,
                                                const EngineHost::Basis& basis, unsigned threads) {
  std::vector<std::optional<RestoredPartition>> slots(partitions.size());
  std::atomic<std::size_t> next{0};
  // Each worker takes the next partition not yet taken, so a large partition does not
  // hold up the small ones behind it.
  auto work = [&] {
    for (std::size_t i = next++; i < partitions.size(); i = next++) {
      slots[i].emplace(RestoreFromStore(store, partitions[i], basis));
    }
  };
  std::size_t workers = std::min<std::size_t>(std::max(threads, 1u), partitions.size());
  std::vector<std::jthread> pool;
  for (std::size_t w = 1; w < workers; ++w) {
    pool.emplace_back([&] {
      NameThisThread("handoff-restore");
      work();
    });
  }
  work();  // the caller is one of the workers
  pool.clear();  // joins
  std::vector<RestoredPartition> out;
  out.reserve(slots.size());
  for (auto& slot : slots) out.push_back(std::move(*slot));
  return out;
}

unsigned RestoreThreads() { return std::max(std::thread::hardware_concurrency(), 1u); }

}  // namespace handoff
