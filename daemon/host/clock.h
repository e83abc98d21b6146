// The wall clock, injected: the daemon reads it only through this interface, so tests
// move time with FakeClock (tests/fakes/fake_clock.h) instead of sleeping.
#pragma once

#include <chrono>

#include "handlers/time.h"

namespace handoff {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;  // ms since the epoch, UTC
};

class SystemClock final : public Clock {
 public:
  TimeMs Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace handoff
