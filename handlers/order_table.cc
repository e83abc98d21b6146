#include "handlers/order_table.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>

namespace handoff {

std::uint32_t OrderTable::Hash(std::string_view key) {
  std::uint64_t h = std::hash<std::string_view>()(key);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

OrderTable::Slot* OrderTable::Insert(std::uint32_t hash, Slot first) {
  if ((size_ + 1) * 5 > entries_.size() * 4) {
    Rehash(std::max<std::size_t>(16, entries_.size() * 3 / 2));
  }
  ++size_;
  return Place(hash, first);
}

OrderTable::Slot* OrderTable::Place(std::uint32_t hash, Slot first) {
  std::size_t i = Home(hash, entries_.size());
  while (entries_[i].first != kEmpty) i = Next(i);
  entries_[i] = Entry{.first = first, .hash = hash};
  return &entries_[i].first;
}

void OrderTable::Erase(Slot* entry) {
  // `first` is an Entry's first member, so the pointer is the entry's.
  std::size_t hole = static_cast<std::size_t>(reinterpret_cast<Entry*>(entry) - entries_.data());
  // Pull back every entry of the probe run that may live in the hole: one whose home is
  // not cyclically within (hole, j].
  for (std::size_t j = Next(hole); entries_[j].first != kEmpty; j = Next(j)) {
    std::size_t home = Home(entries_[j].hash, entries_.size());
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole] = Entry{};
  --size_;
}

void OrderTable::Reserve(std::size_t orders) {
  std::size_t capacity = orders * 5 / 4 + 16;
  if (capacity > entries_.size()) Rehash(capacity);
}

void OrderTable::Rehash(std::size_t capacity) {
  std::vector<Entry> old = std::exchange(entries_, std::vector<Entry>(capacity));
  for (const Entry& e : old) {
    if (e.first != kEmpty) Place(e.hash, e.first);
  }
}

KeyArena::Offset KeyArena::Add(std::string_view key) {
  std::size_t offset = bytes_.size();
  if (offset + Stored(key.size()) >= kNone) {
    // Over 4 GiB of live keys in one partition (the arena is compacted at half released).
    throw std::length_error("handoff: the order keys of one partition exceed 4 GiB");
  }
  if (key.size() < 128) {
    bytes_.push_back(static_cast<char>(key.size()));
  } else {
    auto length = static_cast<std::uint32_t>(key.size());
    char prefix[5] = {static_cast<char>(0x80)};
    std::memcpy(prefix + 1, &length, 4);
    bytes_.append(prefix, 5);
  }
  bytes_.append(key);
  return static_cast<Offset>(offset);
}

std::string_view KeyArena::Get(Offset offset) const {
  const char* p = bytes_.data() + offset;
  auto first = static_cast<unsigned char>(*p);
  if (first < 128) return {p + 1, first};
  std::uint32_t length;
  std::memcpy(&length, p + 1, 4);
  return {p + 5, length};
}

}  // namespace handoff
