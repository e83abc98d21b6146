// A CheckpointStore in memory that records every save, can be told to fail, and can
// hold a damaged checkpoint. Thread-safe: the Checkpointer's writer thread saves.
#pragma once

#include <map>
#include <mutex>

#include "daemon/durability/checkpoint_store.h"

namespace handoff::testing {

class MemoryCheckpointStore final : public CheckpointStore {
 public:
  Status Save(std::int32_t partition, const Checkpoint& checkpoint) override {
    std::lock_guard lock(mutex_);
    if (fail_saves_) return Error{"disk full"};
    ++saves_;
    saved_[partition] = checkpoint;
    return {};
  }
  Result<std::optional<Checkpoint>> Load(std::int32_t partition) override {
    std::lock_guard lock(mutex_);
    if (corrupt_.count(partition))
      return Error{"partition-" + std::to_string(partition) +
                   ".ckpt: checkpoint is corrupt (checksum mismatch)"};
    auto it = saved_.find(partition);
    if (it == saved_.end()) return std::optional<Checkpoint>();
    return std::optional<Checkpoint>(it->second);
  }
  Result<std::vector<std::int32_t>> List() override {
    std::lock_guard lock(mutex_);
    std::vector<std::int32_t> out;
    for (const auto& [p, _] : saved_) out.push_back(p);
    return out;
  }

  void FailSaves(bool fail) {
    std::lock_guard lock(mutex_);
    fail_saves_ = fail;
  }
  void Corrupt(std::int32_t partition) {
    std::lock_guard lock(mutex_);
    corrupt_[partition] = true;
  }
  void Put(std::int32_t partition, Checkpoint checkpoint) {
    std::lock_guard lock(mutex_);
    saved_[partition] = std::move(checkpoint);
  }
  std::size_t saves() const {
    std::lock_guard lock(mutex_);
    return saves_;
  }
  std::optional<Checkpoint> Get(std::int32_t partition) const {
    std::lock_guard lock(mutex_);
    auto it = saved_.find(partition);
    if (it == saved_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::int32_t, Checkpoint> saved_;
  std::map<std::int32_t, bool> corrupt_;
  bool fail_saves_ = false;
  std::size_t saves_ = 0;
};

}  // namespace handoff::testing
