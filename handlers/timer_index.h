// The timer index: for every open SLA instance, the instant of its next timer (a warning
// or its deadline), ordered so the engine can fire every timer <= F in time order.
// An indexed 4-ary min-heap: Schedule, Reschedule and Cancel are O(log n), Top is O(1),
// and a slot costs 12 bytes of heap plus 4 bytes of position. Both arrays grow a chunk at
// a time (ChunkedVector), so no Schedule copies the heap. Engine thread only.
#pragma once

#include <cstdint>

#include "handlers/chunked_vector.h"
#include "handlers/time.h"

namespace handoff {

class TimerIndex {
 public:
  using Slot = std::uint32_t;  // the engine's instance slot

  // 12 bytes, not 16: packed to 4-byte alignment (x86 reads the unaligned `due` freely).
#pragma pack(push, 4)
  struct Timer {
    TimeMs due;
    Slot slot;
  };
#pragma pack(pop)
  static_assert(sizeof(Timer) == 12);

  // Adds or moves the slot's timer to `due`.
  void Schedule(Slot slot, TimeMs due);
  // Removes the slot's timer if it has one.
  void Cancel(Slot slot);

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // The earliest timer; ties go to the lower slot. Precondition: !empty().
  const Timer& Top() const { return heap_.front(); }
  void Pop() { Cancel(heap_.front().slot); }
  bool Contains(Slot slot) const {
    return slot < position_.size() && position_[slot] != kNotQueued;
  }
  std::size_t MemoryBytes() const {
    return heap_.MemoryBytes() + position_.MemoryBytes();
  }

 private:
  static constexpr std::uint32_t kNotQueued = UINT32_MAX;
  static constexpr std::size_t kArity = 4;

  static bool Before(const Timer& a, const Timer& b) {
    return a.due != b.due ? a.due < b.due : a.slot < b.slot;
  }
  void Place(std::size_t index, const Timer& timer);
  void SiftUp(std::size_t index);
  void SiftDown(std::size_t index);

  ChunkedVector<Timer> heap_;
  ChunkedVector<std::uint32_t> position_;  // slot -> index in heap_, or kNotQueued
};

}  // namespace handoff
