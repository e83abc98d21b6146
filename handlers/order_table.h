// The engine's order index: order key -> the slot of the order's first instance. A flat
// open-addressing table of 8-byte entries {32-bit hash, slot}; the keys themselves live in
// a KeyArena, referred to by the instances. The table never touches a key: the caller
// passes a predicate that compares the key of a candidate entry's instance. Engine thread
// only, like the engine that owns it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace handoff {

class OrderTable {
 public:
  using Slot = std::uint32_t;
  static constexpr Slot kEmpty = UINT32_MAX;

  static std::uint32_t Hash(std::string_view key);

  // The entry's first-instance slot for the order with `hash` whose key `same_key(slot)`
  // accepts, or nullptr. The pointer is valid until the next Insert or Erase.
  template <typename SameKey>
  Slot* Find(std::uint32_t hash, SameKey same_key) {
    if (entries_.empty()) return nullptr;
    for (std::size_t i = Home(hash, entries_.size());; i = Next(i)) {
      Entry& e = entries_[i];
      if (e.first == kEmpty) return nullptr;
      if (e.hash == hash && same_key(e.first)) return &e.first;
    }
  }

  // Starts loading the cache line Find(hash) will probe first.
  void Prefetch(std::uint32_t hash) const {
    if (!entries_.empty()) __builtin_prefetch(&entries_[Home(hash, entries_.size())]);
  }
  // Adds an order that Find did not find; returns its entry's slot, as Find.
  Slot* Insert(std::uint32_t hash, Slot first);
  // Removes the entry Find returned (backward-shift deletion: no tombstones).
  void Erase(Slot* entry);
  void Reserve(std::size_t orders);

  std::size_t size() const { return size_; }
  std::size_t MemoryBytes() const { return entries_.capacity() * sizeof(Entry); }
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Entry& e : entries_) {
      if (e.first != kEmpty) visit(e.first);
    }
  }

 private:
  struct Entry {
    Slot first = kEmpty;  // first: Erase turns a pointer to it back into the entry
    std::uint32_t hash = 0;
  };
  // Maps a hash onto [0, capacity) by multiplication, so the capacity need not be a power
  // of two and growth can be 1.5x.
  static std::size_t Home(std::uint32_t hash, std::size_t capacity) {
    return static_cast<std::size_t>((std::uint64_t{hash} * capacity) >> 32);
  }
  std::size_t Next(std::size_t i) const { return i + 1 == entries_.size() ? 0 : i + 1; }
  void Rehash(std::size_t capacity);
  Slot* Place(std::uint32_t hash, Slot first);

  std::vector<Entry> entries_;  // at most 4/5 full
  std::size_t size_ = 0;
};

// Short strings (order keys, each stored once however many instances the order has; event
// ids): a length (one byte, or five for strings of 128 bytes or more) and the bytes,
// appended to one buffer and named by offset. Released ones stay until the owner compacts
// (see NeedsCompaction) or rebuilds the arena.
class KeyArena {
 public:
  using Offset = std::uint32_t;
  static constexpr Offset kNone = UINT32_MAX;

  Offset Add(std::string_view key);
  std::string_view Get(Offset offset) const;
  void Prefetch(Offset offset) const { __builtin_prefetch(bytes_.data() + offset); }
  void Release(Offset offset) { released_ += Stored(Get(offset).size()); }
  void Reserve(std::size_t bytes) { bytes_.reserve(bytes); }
  // Once more than half the buffer is released keys: the owner then copies every live
  // key into a new arena and moves its offsets over, O(1) a released byte amortised.
  bool NeedsCompaction() const { return released_ * 2 > bytes_.size(); }
  std::size_t MemoryBytes() const { return bytes_.capacity(); }

 private:
  static std::size_t Stored(std::size_t length) { return length + (length < 128 ? 1 : 5); }
  std::string bytes_;
  std::size_t released_ = 0;
};

}  // namespace handoff
