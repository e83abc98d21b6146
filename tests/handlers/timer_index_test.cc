#include "handlers/timer_index.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

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

// Growing past several of the heap's chunks while timers are rescheduled, cancelled and
// popped, against an ordered set of (due, slot): the heap never copies itself to grow.
TEST(TimerIndex, AgreesWithOrderedSetWhileGrowingPastManyChunks) {
  std::mt19937 rng(9);
  TimerIndex timers;
  std::set<std::pair<TimeMs, TimerIndex::Slot>> reference;
  std::vector<TimeMs> due_of;
  for (TimerIndex::Slot next = 0; next < 300000;) {
    switch (rng() % 4) {
      case 0:
      case 1: {  // a new slot, as the engine allocates them
        TimeMs at = rng() % 100000;
        timers.Schedule(next, at);
        reference.insert({at, next});
        due_of.push_back(at);
        ++next;
        break;
      }
      case 2: {  // reschedule or cancel an earlier one
        if (next == 0) break;
        TimerIndex::Slot slot = rng() % next;
        if (!timers.Contains(slot)) break;
        reference.erase({due_of[slot], slot});
        if (rng() % 2) {
          timers.Cancel(slot);
        } else {
          due_of[slot] = rng() % 100000;
          timers.Schedule(slot, due_of[slot]);
          reference.insert({due_of[slot], slot});
        }
        break;
      }
      case 3:
        if (reference.empty()) break;
        ASSERT_EQ(timers.Top().due, reference.begin()->first) << next;
        ASSERT_EQ(timers.Top().slot, reference.begin()->second) << next;
        timers.Pop();
        reference.erase(reference.begin());
        break;
    }
    ASSERT_EQ(timers.size(), reference.size());
  }
  for (const auto& [due, slot] : reference) {
    ASSERT_EQ(timers.Top().due, due);
    ASSERT_EQ(timers.Top().slot, slot);
    timers.Pop();
  }
  EXPECT_TRUE(timers.empty());
}

}  // namespace
}  // namespace handoff
