// The event ids one engine has seen, each with its event time (docs/reference/timing.md "Duplicates").
// Open addressing with linear probing over 24-byte entries {64-bit hash, time, id offset};
// the ids themselves sit in an arena, read only when a hash matches (a duplicate, or a
// collision). A new id costs one cache miss and an append, and allocates nothing of its own.
//
// No call stops the engine for long. Growing the table, and dropping the ids a sweep
// found expired, both zero a new table and then move the entries into it and into a new
// arena, a slice per TryEmplace, so that the work for millions of ids is spread over the
// events that follow (done at once, it stopped the engine for 0.1-0.4 s at 3.6M ids).
// While a move is under way a lookup reads the new table, then the part of the old one
// not moved yet.
// Not thread-safe: the engine thread owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "handlers/order_table.h"
#include "handlers/time.h"

namespace handoff {

class SeenIds {
 public:
  static std::uint64_t Hash(std::string_view id);

  // The stored time of `id` and false, or a pointer to `time`, newly stored, and true.
  // The pointer is valid until the next call.
  std::pair<TimeMs*, bool> TryEmplace(std::uint64_t hash, std::string_view id, TimeMs time);
  void Prefetch(std::uint64_t hash) const {
    if (table_.capacity != 0) __builtin_prefetch(&table_.slots[hash & table_.mask()]);
  }

  // A sweep is due once the table holds more than twice what the last one kept.
  bool SweepDue() const { return !busy() && size_ > 2 * kept_by_last_sweep_ + 1024; }
  // Starts dropping the ids with a time before `since`; the next TryEmplace calls carry
  // it out. Ids stored or found meanwhile count as any other. When no id can be that old,
  // nothing moves.
  void StartSweep(TimeMs since);
  // Counts what is held now as what the last sweep kept (after a restore).
  void MarkSwept() { kept_by_last_sweep_ = size(); }

  // Room for `ids` in all without growing; finishes a sweep or growth under way (restore).
  void Reserve(std::size_t ids);
  std::size_t size() const { return size_ + old_left_; }
  std::size_t capacity() const { return table_.capacity; }
  // A sweep or a growth is under way: the next table is being zeroed, or filled (moving).
  bool busy() const { return next_.capacity != 0 || moving(); }
  bool moving() const { return old_.capacity != 0; }

  // Every id held, with its time, in no particular order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    VisitTable(table_, ids_, 0, visit);
    if (moving()) VisitTable(old_, old_ids_, move_position_, visit);
  }

 private:
  struct Entry {  // all zero: empty
    std::uint64_t hash;  // a stored hash has its top bit set
    TimeMs time;
    KeyArena::Offset id;
  };
  struct Table {  // a power of two entries, or none
    std::unique_ptr<Entry[]> slots;
    std::size_t capacity = 0;
    std::size_t mask() const { return capacity - 1; }
  };

  // A growth or a sweep first zeroes its new table, kZeroStep entries (12 KiB) per
  // TryEmplace: all at once, zeroing 16M entries stopped the engine for ~140 ms. It then
  // moves kMoveStep old slots per TryEmplace: a table of capacity C within C / 64 calls.
  // A new table is not left to calloc's fresh pages: a lookup's read would map the
  // kernel's shared zero page, and the first write to it would then cost a copy and a TLB
  // shootdown of the other cores (a third of the engine thread in ingest_bench).
  static constexpr std::size_t kZeroStep = 512;
  static constexpr std::size_t kMoveStep = 64;
  // A sweep that leaves a table of this many slots or more (24 MiB) a quarter full or less
  // moves it into a smaller one.
  static constexpr std::size_t kShrinkFrom = std::size_t{1} << 20;

  // Entries from slot `from` on, fetching the ids of a few ahead: the ids are in the
  // arena in arrival order, not in table order, so that their misses overlap.
  template <typename Visit>
  static void VisitTable(const Table& table, const KeyArena& ids, std::size_t from,
                         Visit& visit) {
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = from; i < table.capacity; ++i) {
      if (i + kAhead < table.capacity && table.slots[i + kAhead].hash != 0) {
        ids.Prefetch(table.slots[i + kAhead].id);
      }
      const Entry& e = table.slots[i];
      if (e.hash != 0) visit(ids.Get(e.id), e.time);
    }
  }

  // Starts a growth or a sweep into a new table of `capacity` slots that drops ids older
  // than `drop_before` (kNoTime: none) on the way.
  void Prepare(std::size_t capacity, TimeMs drop_before);
  void Step();     // one slice of the zeroing, or of the move
  void Finish();   // the rest of both, now
  void MoveSome(std::size_t slots);
  static Entry* Place(Table& table, const Entry& entry);  // the first free slot of its run

  Table table_;         // where new ids go; at most 7/8 full, counting what is to move in
  KeyArena ids_;
  std::size_t size_ = 0;  // entries in table_
  Table next_;          // while zeroing: the next table_; its first next_zeroed_ are zero
  std::size_t next_zeroed_ = 0;
  Table old_;           // while moving: the table being emptied into table_
  KeyArena old_ids_;
  std::size_t move_position_ = 0;  // old_'s slots before this one are moved (or dropped)
  std::size_t old_left_ = 0;       // entries of old_ from move_position_ on
  TimeMs drop_before_ = 0;         // what the move drops: ids with an older time
  bool sweeping_ = false;          // the move is a sweep: its end sets kept_by_last_sweep_
  std::size_t kept_by_last_sweep_ = 0;
  TimeMs oldest_ = kEndOfTime;  // no id held has an older time (outside a sweep's move)
};

}  // namespace handoff
