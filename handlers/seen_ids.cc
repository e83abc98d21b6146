#include "handlers/seen_ids.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace handoff {
namespace {

// The smallest power of two, 64 or more, that holds `ids` at most 3/4 full.
std::size_t CapacityFor(std::size_t ids) {
  std::size_t capacity = 64;
  while (ids * 4 > capacity * 3) capacity *= 2;
  return capacity;
}

}  // namespace

std::uint64_t SeenIds::Hash(std::string_view id) {
  return std::hash<std::string_view>()(id) | (std::uint64_t{1} << 63);
}

std::pair<TimeMs*, bool> SeenIds::TryEmplace(std::uint64_t hash, std::string_view id,
                                              TimeMs time) {
  Step();
  if (table_.capacity != 0) {
    for (std::size_t i = hash & table_.mask(); table_.slots[i].hash != 0;
         i = (i + 1) & table_.mask()) {
      Entry& e = table_.slots[i];
      if (e.hash == hash && ids_.Get(e.id) == id) return {&e.time, false};
    }
  }
  if (moving()) {
    // An old entry before move_position_ was moved (the new table had it) or dropped.
    for (std::size_t i = hash & old_.mask(); old_.slots[i].hash != 0; i = (i + 1) & old_.mask()) {
      Entry& e = old_.slots[i];
      if (i >= move_position_ && e.hash == hash && old_ids_.Get(e.id) == id) {
        return {&e.time, false};
      }
    }
  }
  // Over 3/4 full (counting what is still to move in), the table starts to grow. While a
  // sweep or a growth is under way it fills a little further; only past 7/8, which ids
  // arriving far faster than they expire could reach, is the rest done at once.
  if (table_.capacity == 0 || (size() + 1) * 8 > table_.capacity * 7) Finish();
  if (!busy() && (size_ + 1) * 4 > table_.capacity * 3) {
    Prepare(std::max<std::size_t>(64, table_.capacity * 2), kNoTime);
    if (table_.capacity == 0) Finish();
  }
  Entry* entry = Place(table_, Entry{.hash = hash, .time = time, .id = ids_.Add(id)});
  ++size_;
  oldest_ = std::min(oldest_, time);
  return {&entry->time, true};
}

void SeenIds::StartSweep(TimeMs since) {
  if (busy()) return;
  if (oldest_ >= since) {  // nothing expired: wait for the table to double again
    kept_by_last_sweep_ = size_;
    return;
  }
  oldest_ = since;  // what the move keeps is no older; what arrives lowers it as usual
  // Everything may still be there when the move ends, plus what arrives meanwhile: over
  // 9/16 full, the table doubles on the way, or it would fill before the move ended.
  std::size_t capacity = table_.capacity;
  if (size_ * 16 > capacity * 9) capacity *= 2;
  sweeping_ = true;
  Prepare(capacity, since);
}

void SeenIds::Reserve(std::size_t ids) {
  Finish();
  std::size_t capacity = CapacityFor(ids);
  if (capacity <= table_.capacity) return;
  Prepare(capacity, kNoTime);
  Finish();
}

void SeenIds::Prepare(std::size_t capacity, TimeMs drop_before) {
  // Left uninitialised: Step zeroes it a slice at a time, writing each page first.
  next_ = Table{.slots = std::unique_ptr<Entry[]>(new Entry[capacity]), .capacity = capacity};
  next_zeroed_ = 0;
  drop_before_ = drop_before;
}

void SeenIds::Step() {
  freeing_.Step();
  if (next_.capacity == 0) {
    MoveSome(kMoveStep);
    return;
  }
  std::size_t n = std::min(kZeroStep, next_.capacity - next_zeroed_);
  std::memset(static_cast<void*>(next_.slots.get() + next_zeroed_), 0, n * sizeof(Entry));
  next_zeroed_ += n;
  if (next_zeroed_ < next_.capacity) return;
  // Zeroed: the move begins.
  old_ = std::exchange(table_, std::exchange(next_, Table()));
  old_ids_ = std::exchange(ids_, KeyArena());
  old_left_ = std::exchange(size_, 0);
  move_position_ = 0;
  MoveSome(0);  // with nothing to move, the move ends here
}

void SeenIds::Finish() {
  while (busy()) Step();
}

void SeenIds::MoveSome(std::size_t slots) {
  if (!moving()) return;
  std::size_t end = std::min(old_.capacity, move_position_ + slots);
  for (; move_position_ < end && old_left_ > 0; ++move_position_) {
    const Entry& e = old_.slots[move_position_];
    if (e.hash == 0) continue;
    --old_left_;
    if (e.time < drop_before_) continue;
    Place(table_, Entry{.hash = e.hash, .time = e.time, .id = ids_.Add(old_ids_.Get(e.id))});
    ++size_;
  }
  if (old_left_ > 0) return;
  freeing_.Start(std::move(old_.slots), old_.capacity);
  old_ = Table();
  old_ids_ = KeyArena();
  move_position_ = 0;
  if (!std::exchange(sweeping_, false)) return;
  kept_by_last_sweep_ = size_;
  // A sweep after a burst can leave a large table mostly empty: hand the memory back.
  // (A small one stays: shrinking it only to grow it again costs more than it saves.)
  std::size_t fit = CapacityFor(2 * size_);
  if (table_.capacity >= kShrinkFrom && fit * 4 <= table_.capacity) Prepare(fit, kNoTime);
}

SeenIds::Entry* SeenIds::Place(Table& table, const Entry& entry) {
  for (std::size_t i = entry.hash & table.mask();; i = (i + 1) & table.mask()) {
    if (table.slots[i].hash == 0) {
      table.slots[i] = entry;
      return &table.slots[i];
    }
  }
}

}  // namespace handoff
