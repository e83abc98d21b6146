// The engine's order index: order key -> the slot of the order's first instance. A flat
// open-addressing table of 8-byte entries {32-bit hash, slot}; the keys themselves live in
// a KeyArena, referred to by the instances. The table never touches a key: the caller
// passes a predicate that compares the key of a candidate entry's instance. It grows a
// slice per call, as SeenIds does: while the entries move, a lookup reads the new table,
// then what is left of the old one. Engine thread only, like the engine that owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/slow_free.h"

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
    if (Slot* found = FindIn(table_, Home(hash, table_.capacity), hash, same_key)) return found;
    if (!moving()) return nullptr;
    // The old table's slots the move has passed are empty: a run that began there
    // continues from the move's position.
    std::size_t home = Home(hash, old_.capacity);
    return FindIn(old_, Moved(home) ? MovePosition() : home, hash, same_key);
  }

  // Starts loading the cache line Find(hash) will probe first.
  void Prefetch(std::uint32_t hash) const {
    if (table_.capacity != 0) __builtin_prefetch(&table_.slots[Home(hash, table_.capacity)]);
  }
  // Adds an order that Find did not find; returns its entry's slot, as Find.
  Slot* Insert(std::uint32_t hash, Slot first);
  // Removes the entry Find returned (backward-shift deletion: no tombstones).
  void Erase(Slot* entry);
  // Room for `orders` without growing; finishes a growth under way (restore).
  void Reserve(std::size_t orders);

  std::size_t size() const { return table_.size + old_.size; }
  std::size_t capacity() const { return table_.capacity; }
  // A growth is under way: the next table is being filled with empty entries, or the
  // entries are moving into it.
  bool busy() const { return next_.capacity != 0 || moving(); }
  bool moving() const { return old_.capacity != 0; }
  std::size_t MemoryBytes() const {
    return (table_.capacity + old_.capacity + next_.capacity) * sizeof(Entry);
  }
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Table* t : {&table_, &old_}) {
      for (std::size_t i = 0; i < t->capacity; ++i) {
        if (t->slots[i].first != kEmpty) visit(t->slots[i].first);
      }
    }
  }

 private:
  struct Entry {  // all bits set: empty
    Slot first;   // first: Erase turns a pointer to it back into the entry
    std::uint32_t hash;
  };
  struct Table {
    std::unique_ptr<Entry[]> slots;
    std::size_t capacity = 0;
    std::size_t size = 0;
  };
  // A growth first fills its new table with empty entries, kFillStep (8 KiB) per Insert or
  // Erase, then moves kMoveStep of the old table's slots per call: a table of capacity C
  // within C / 32 calls, while at most C / 32 orders arrive, so the new table (1.5 C) stays
  // far from full. (At once, growing 1.8M orders stopped the engine for 15-35 ms.)
  static constexpr std::size_t kFillStep = 1024;
  static constexpr std::size_t kMoveStep = 32;

  // Maps a hash onto [0, capacity) by multiplication, so the capacity need not be a power
  // of two and growth can be 1.5x.
  static std::size_t Home(std::uint32_t hash, std::size_t capacity) {
    return static_cast<std::size_t>((std::uint64_t{hash} * capacity) >> 32);
  }
  static std::size_t Next(const Table& t, std::size_t i) { return i + 1 == t.capacity ? 0 : i + 1; }
  template <typename SameKey>
  static Slot* FindIn(Table& t, std::size_t start, std::uint32_t hash, SameKey& same_key) {
    if (t.capacity == 0) return nullptr;
    for (std::size_t i = start;; i = Next(t, i)) {
      Entry& e = t.slots[i];
      if (e.first == kEmpty) return nullptr;
      if (e.hash == hash && same_key(e.first)) return &e.first;
    }
  }
  // The move empties old_ from an empty slot, move_start_, onwards (cyclically), so that
  // no run of entries crosses the slots it has passed.
  std::size_t MovePosition() const {
    std::size_t p = move_start_ + moved_;
    return p >= old_.capacity ? p - old_.capacity : p;
  }
  bool Moved(std::size_t i) const {
    return (i >= move_start_ ? i - move_start_ : i + old_.capacity - move_start_) < moved_;
  }
  static Slot* Place(Table& t, std::uint32_t hash, Slot first);
  static void EraseAt(Table& t, std::size_t hole);
  void Prepare(std::size_t capacity);  // starts a growth into a table of `capacity`
  void Step();    // one slice of the fill, or of the move
  void Finish();  // the rest of both, now

  Table table_;  // where new orders go; at most 4/5 full, 7/8 while a growth is filling
  Table next_;   // while filling: the next table_; its first next_filled_ entries are empty
  std::size_t next_filled_ = 0;
  Table old_;    // while moving: the table being emptied into table_
  std::size_t move_start_ = 0;
  std::size_t moved_ = 0;  // old_'s slots from move_start_ on that the move has emptied
  SlowFree<Entry> freeing_;  // an old table the move emptied
};

// Short strings (order keys, each stored once however many instances the order has; event
// ids): a length (one byte, or five for strings of 128 bytes or more) and the bytes,
// appended and named by offset. Released ones stay until the owner compacts (see
// NeedsCompaction) or rebuilds the arena. The bytes sit in chunks of 64 KiB (a longer
// string gets a chunk of its own), so that growing never copies what is stored: doubling
// one buffer of 27 MB of keys stopped the engine for milliseconds.
class KeyArena {
 public:
  using Offset = std::uint32_t;  // chunk << 16 | position in it
  static constexpr Offset kNone = UINT32_MAX;

  // At most `max_chunks` chunks (64 KiB each, so 4 GiB by default, less a chunk: no
  // offset is kNone); Add throws std::length_error past them.
  explicit KeyArena(std::size_t max_chunks = 65535) : max_chunks_(max_chunks) {}

  Offset Add(std::string_view key);
  std::string_view Get(Offset offset) const;
  void Prefetch(Offset offset) const { __builtin_prefetch(At(offset)); }
  void Release(Offset offset) { released_ += Stored(Get(offset).size()); }
  // Once more than half of what was stored is released keys: the owner then copies every
  // live key into a new arena and moves its offsets over, O(1) a released byte amortised.
  bool NeedsCompaction() const { return released_ * 2 > stored_; }
  std::size_t MemoryBytes() const { return memory_ + chunks_.capacity() * sizeof(chunks_[0]); }

 private:
  static constexpr unsigned kChunkBits = 16;
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  static std::size_t Stored(std::size_t length) { return length + (length < 128 ? 1 : 5); }
  const char* At(Offset offset) const {
    return chunks_[offset >> kChunkBits].get() + (offset & (kChunk - 1));
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t max_chunks_;
  std::size_t used_ = 0;        // bytes of the last chunk
  std::size_t chunk_size_ = 0;  // of the last chunk
  std::size_t stored_ = 0;
  std::size_t released_ = 0;
  std::size_t memory_ = 0;
};

// The order keys of one engine: a KeyArena, and while a compaction is under way a second
// one that the live keys move into, a few orders per call (the engine walks its instances
// and moves each order's key: SlaEngine::MoveSomeKeys). The top bit of an offset names
// its arena, so an instance's key is found wherever it is; new keys go to the newer one.
// Done at once, a compaction of 1.8M orders stopped the engine for 90-180 ms.
class OrderKeys {
 public:
  using Offset = KeyArena::Offset;

  OrderKeys() : arenas_{KeyArena(kMaxChunks), KeyArena(kMaxChunks)} {}

  Offset Add(std::string_view key) { return arenas_[current_].Add(key) | current_ << 31; }
  std::string_view Get(Offset offset) const { return arenas_[offset >> 31].Get(offset & kMask); }
  void Prefetch(Offset offset) const { arenas_[offset >> 31].Prefetch(offset & kMask); }
  // The older arena is dropped whole when its compaction ends: only the newer one counts.
  void Release(Offset offset) {
    if (offset >> 31 == current_) arenas_[current_].Release(offset & kMask);
  }

  bool NeedsCompaction() const { return !compacting_ && arenas_[current_].NeedsCompaction(); }
  bool compacting() const { return compacting_; }
  // Keys added from now on go to the other arena; the owner moves every live key there
  // (Stale says which are not yet), then calls FinishCompaction.
  void StartCompaction() {
    current_ ^= 1;
    compacting_ = true;
  }
  bool Stale(Offset offset) const { return compacting_ && offset >> 31 != current_; }
  void FinishCompaction() {
    arenas_[current_ ^ 1] = KeyArena(kMaxChunks);
    compacting_ = false;
  }
  std::size_t MemoryBytes() const { return arenas_[0].MemoryBytes() + arenas_[1].MemoryBytes(); }

 private:
  static constexpr Offset kMask = 0x7fffffff;
  static constexpr std::size_t kMaxChunks = 32767;  // 2 GiB: offsets below the top bit
  KeyArena arenas_[2];
  std::uint32_t current_ = 0;
  bool compacting_ = false;
};

}  // namespace handoff
