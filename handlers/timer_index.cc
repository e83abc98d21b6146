#include "handlers/timer_index.h"

#include <algorithm>

namespace handoff {

void TimerIndex::Place(std::size_t index, const Timer& timer) {
  heap_[index] = timer;
  position_[timer.slot] = static_cast<std::uint32_t>(index);
}

void TimerIndex::Schedule(Slot slot, TimeMs due) {
  if (slot >= position_.size()) position_.resize(slot + 1, kNotQueued);
  if (position_[slot] == kNotQueued) {
    heap_.push_back({due, slot});
    position_[slot] = static_cast<std::uint32_t>(heap_.size() - 1);
    SiftUp(heap_.size() - 1);
    return;
  }
  std::size_t index = position_[slot];
  TimeMs old_due = heap_[index].due;
  heap_[index].due = due;
  if (due < old_due) {
    SiftUp(index);
  } else {
    SiftDown(index);
  }
}

void TimerIndex::Cancel(Slot slot) {
  if (!Contains(slot)) return;
  std::size_t index = position_[slot];
  position_[slot] = kNotQueued;
  Timer last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;
  Place(index, last);
  SiftUp(index);
  SiftDown(position_[last.slot]);
}

void TimerIndex::SiftUp(std::size_t index) {
  Timer timer = heap_[index];
  while (index > 0) {
    std::size_t parent = (index - 1) / kArity;
    if (!Before(timer, heap_[parent])) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, timer);
}

void TimerIndex::SiftDown(std::size_t index) {
  Timer timer = heap_[index];
  for (;;) {
    std::size_t first = index * kArity + 1;
    if (first >= heap_.size()) break;
    std::size_t best = first;
    std::size_t end = std::min(first + kArity, heap_.size());
    for (std::size_t child = first + 1; child < end; ++child) {
      if (Before(heap_[child], heap_[best])) best = child;
    }
    if (!Before(heap_[best], timer)) break;
    Place(index, heap_[best]);
    index = best;
  }
  Place(index, timer);
}

}  // namespace handoff
