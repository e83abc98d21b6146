#include "handlers/timer_index.h"

#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace handoff {
namespace {

TEST(TimerIndex, PopsInDueOrderWithSlotBreakingTies) {
  TimerIndex timers;
  timers.Schedule(3, 30);
  timers.Schedule(1, 10);
  timers.Schedule(2, 10);
  timers.Schedule(0, 20);
  std::vector<TimerIndex::Slot> order;
  while (!timers.empty()) {
    order.push_back(timers.Top().slot);
    timers.Pop();
  }
  EXPECT_EQ(order, (std::vector<TimerIndex::Slot>{1, 2, 0, 3}));
}

TEST(TimerIndex, RescheduleAndCancelKeepHeapOrder) {
  TimerIndex timers;
  for (TimerIndex::Slot s = 0; s < 10; ++s) timers.Schedule(s, 100 + s);
  timers.Schedule(9, 1);    // earlier
  timers.Schedule(0, 500);  // later
  timers.Cancel(5);
  timers.Cancel(5);  // twice is harmless
  EXPECT_FALSE(timers.Contains(5));
  EXPECT_EQ(timers.size(), 9u);
  EXPECT_EQ(timers.Top().slot, 9u);
}

// Against std::multimap on random operations: the same timer is always on top.
TEST(TimerIndex, AgreesWithOrderedMapOnRandomOperations) {
  std::mt19937 rng(42);
  TimerIndex timers;
  std::map<TimerIndex::Slot, TimeMs> due;
  for (int step = 0; step < 20000; ++step) {
    TimerIndex::Slot slot = rng() % 500;
    switch (rng() % 3) {
      case 0:
      case 1: {
        TimeMs at = rng() % 1000;
        timers.Schedule(slot, at);
        due[slot] = at;
        break;
      }
      case 2:
        timers.Cancel(slot);
        due.erase(slot);
        break;
    }
    ASSERT_EQ(timers.size(), due.size());
    if (due.empty()) continue;
    auto best = std::min_element(due.begin(), due.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second < b.second : a.first < b.first;
    });
    ASSERT_EQ(timers.Top().slot, best->first);
    ASSERT_EQ(timers.Top().due, best->second);
  }
}

}  // namespace
}  // namespace handoff
