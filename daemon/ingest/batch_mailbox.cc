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

std::deque<Batch> BatchMailbox::TakeAll() {
  std::deque<Batch> batches;
  {
    std::lock_guard lock(mutex_);
    batches.swap(batches_);
    drain_posted_ = false;
  }
  changed_.notify_all();
  return batches;
}

bool BatchMailbox::WaitForEnd(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !batches_.empty() || finished_; });
  return finished_ && batches_.empty();
}

}  // namespace handoff
