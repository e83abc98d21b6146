// A DecisionPublisher whose deliveries the test acknowledges (or fails) by hand, so a
// test can check that a checkpoint waits for the decisions it covers.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "daemon/durability/decision_publisher.h"

namespace handoff::testing {

class FakeDecisionPublisher final : public DecisionPublisher {
 public:
  void OnDecisions(std::int32_t, std::span<const Decision> decisions) override {
    std::lock_guard lock(mutex_);
    for (const Decision& d : decisions) {
      if (!DecisionEventType(d.kind).empty()) sent_.push_back(d);
    }
    produced_ = sent_.size();
  }
  std::uint64_t Mark() const override {
    std::lock_guard lock(mutex_);
    return produced_;
  }
  Result<bool> WaitDelivered(std::uint64_t mark, DurationMs timeout) override {
    std::unique_lock lock(mutex_);
    ++waits_;
    changed_.notify_all();
    bool done = changed_.wait_for(lock, std::chrono::milliseconds(timeout),
                                  [&] { return failed_ || acknowledged_ >= mark; });
    if (failed_) return Error{"broker said no"};
    return done;
  }

  // Blocks until some thread has waited for a delivery (at most `timeout`): from then on
  // a test knows the waiter is held, without sleeping to find out.
  bool AwaitWaiter(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return waits_ > 0; });
  }

  void AcknowledgeAll() {
    std::lock_guard lock(mutex_);
    acknowledged_ = produced_;
    changed_.notify_all();
  }
  void Fail() {
    std::lock_guard lock(mutex_);
    failed_ = true;
    changed_.notify_all();
  }
  std::vector<Decision> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Decision> sent_;
  std::uint64_t produced_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t waits_ = 0;  // calls of WaitDelivered
  bool failed_ = false;
};

}  // namespace handoff::testing
