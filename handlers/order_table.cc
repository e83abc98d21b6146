#include "handlers/order_table.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace handoff {

std::uint32_t OrderTable::Hash(std::string_view key) {
  std::uint64_t h = std::hash<std::string_view>()(key);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

OrderTable::Slot* OrderTable::Insert(std::uint32_t hash, Slot first) {
  Step();
  // Over 4/5 full, the table starts to grow; while a growth is filling its next table it
  // fills a little further, and only past 7/8 is the rest done at once.
  if (table_.capacity == 0 || (table_.size + 1) * 8 > table_.capacity * 7) Finish();
  if (!busy() && (table_.size + 1) * 5 > table_.capacity * 4) {
    Prepare(std::max<std::size_t>(16, table_.capacity * 3 / 2));
    if (table_.capacity == 0) Finish();
  }
  return Place(table_, hash, first);
}

OrderTable::Slot* OrderTable::Place(Table& t, std::uint32_t hash, Slot first) {
  std::size_t i = Home(hash, t.capacity);
  while (t.slots[i].first != kEmpty) i = Next(t, i);
  t.slots[i] = Entry{.first = first, .hash = hash};
  ++t.size;
  return &t.slots[i].first;
}

void OrderTable::Erase(Slot* entry) {
  // `first` is an Entry's first member, so the pointer is the entry's.
  auto* e = reinterpret_cast<Entry*>(entry);
  Table& t = e >= table_.slots.get() && e < table_.slots.get() + table_.capacity ? table_ : old_;
  EraseAt(t, static_cast<std::size_t>(e - t.slots.get()));
  Step();
}

void OrderTable::EraseAt(Table& t, std::size_t hole) {
  // Pull back every entry of the probe run that may live in the hole: one whose home is
  // not cyclically within (hole, j].
  for (std::size_t j = Next(t, hole); t.slots[j].first != kEmpty; j = Next(t, j)) {
    std::size_t home = Home(t.slots[j].hash, t.capacity);
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      t.slots[hole] = t.slots[j];
      hole = j;
    }
  }
  t.slots[hole].first = kEmpty;
  --t.size;
}

void OrderTable::Reserve(std::size_t orders) {
  Finish();
  std::size_t capacity = orders * 5 / 4 + 16;
  if (capacity <= table_.capacity) return;
  Prepare(capacity);
  Finish();
}

void OrderTable::Prepare(std::size_t capacity) {
  // Left uninitialised: Step fills it a slice at a time.
  next_ = Table{.slots = std::unique_ptr<Entry[]>(new Entry[capacity]), .capacity = capacity};
  next_filled_ = 0;
}

void OrderTable::Step() {
  freeing_.Step();
  if (next_.capacity != 0) {
    std::size_t n = std::min(kFillStep, next_.capacity - next_filled_);
    std::memset(static_cast<void*>(next_.slots.get() + next_filled_), 0xff, n * sizeof(Entry));
    next_filled_ += n;
    if (next_filled_ < next_.capacity) return;
    // Filled: the move begins, at an empty slot of the old table (one within a run's
    // length, as it is at most 7/8 full).
    old_ = std::exchange(table_, std::exchange(next_, Table()));
    move_start_ = 0;
    while (old_.size != 0 && old_.slots[move_start_].first != kEmpty) ++move_start_;
    moved_ = 0;
  }
  for (std::size_t end = moved_ + kMoveStep; moving() && moved_ < end;) {
    if (old_.size == 0) {
      freeing_.Start(std::move(old_.slots), old_.capacity);
      old_ = Table();
      break;
    }
    Entry& e = old_.slots[MovePosition()];
    if (e.first != kEmpty) {
      Place(table_, e.hash, e.first);
      e.first = kEmpty;
      --old_.size;
    }
    ++moved_;
  }
}

void OrderTable::Finish() {
  while (busy()) Step();
}

KeyArena::Offset KeyArena::Add(std::string_view key) {
  std::size_t stored = Stored(key.size());
  if (used_ + stored > chunk_size_) {
    if (chunks_.size() == max_chunks_) {
      throw std::length_error("handoff: the keys of one partition exceed " +
                              std::to_string(max_chunks_ * kChunk >> 20) + " MiB");
    }
    chunk_size_ = std::max(kChunk, stored);
    chunks_.push_back(std::unique_ptr<char[]>(new char[chunk_size_]));
    memory_ += chunk_size_;
    used_ = 0;
  }
  auto offset = static_cast<Offset>((chunks_.size() - 1) << kChunkBits | used_);
  char* p = chunks_.back().get() + used_;
  if (key.size() < 128) {
    *p++ = static_cast<char>(key.size());
  } else {
    auto length = static_cast<std::uint32_t>(key.size());
    *p++ = static_cast<char>(0x80);
    std::memcpy(p, &length, 4);
    p += 4;
  }
  std::memcpy(p, key.data(), key.size());
  used_ += stored;
  stored_ += stored;
  return offset;
}

std::string_view KeyArena::Get(Offset offset) const {
  const char* p = At(offset);
  auto first = static_cast<unsigned char>(*p);
  if (first < 128) return {p + 1, first};
  std::uint32_t length;
  std::memcpy(&length, p + 1, 4);
  return {p + 5, length};
}

}  // namespace handoff
