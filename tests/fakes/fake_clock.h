// A Clock that moves only when the test says so.
#pragma once

#include "daemon/host/clock.h"

namespace handoff::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs now) : now_(now) {}
  TimeMs Now() const override { return now_; }
  void Set(TimeMs now) { now_ = now; }
  void Advance(DurationMs by) { now_ += by; }

 private:
  TimeMs now_;
};

}  // namespace handoff::testing
