#include "daemon/ingest/batch_mailbox.h"

#include <utility>

namespace handoff {

bool BatchMailbox::Push(Batch batch) {
  bool post_drain = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return batches_.size() < capacity_; });
    batches_.push_back(std::move(batch));
    post_drain = !drain_posted_;
    drain_posted_ = true;
  }
  changed_.notify_all();
  return post_drain;
}

void BatchMailbox::Finish() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
}

std::optional<Batch> BatchMailbox::TakeOldest(bool* more) {
  std::optional<Batch> batch;
  {
    std::lock_guard lock(mutex_);
    if (!batches_.empty()) {
      batch = std::move(batches_.front());
      batches_.pop_front();
    }
    *more = !batches_.empty();
    if (!*more) drain_posted_ = false;
  }
  changed_.notify_all();
  return batch;
}

bool BatchMailbox::WaitForEnd(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !batches_.empty() || finished_; });
  return finished_ && batches_.empty();
}

}  // namespace handoff
