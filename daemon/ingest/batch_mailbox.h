// The hand-off from the consumer thread to the engine thread: a bounded queue of
// Batches. The consumer thread pushes (and waits while the engine is max_queued_batches
// behind, so a slow engine slows the consumer instead of growing memory); the engine
// thread takes one batch per turn of its loop. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "daemon/ingest/batch.h"

namespace handoff {

class BatchMailbox {
 public:
  explicit BatchMailbox(std::size_t capacity) : capacity_(capacity) {}

  // Consumer thread: queues `batch`, waiting while the mailbox is full. True when the
  // caller must post a drain to the engine thread (none is pending yet).
  bool Push(Batch batch);
  // Consumer thread, last: no batch follows.
  void Finish();

  // Engine thread: the oldest batch, if any, and whether another is queued behind it.
  // When none is, the next Push posts a drain again.
  std::optional<Batch> TakeOldest(bool* more);
  // Engine thread: waits up to `timeout` for a batch or the end. True once the consumer
  // thread has finished and every batch was taken.
  bool WaitForEnd(std::chrono::milliseconds timeout);

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;  // an entry was added or taken, or the thread finished
  std::deque<Batch> batches_;
  bool drain_posted_ = false;
  bool finished_ = false;
};

}  // namespace handoff
