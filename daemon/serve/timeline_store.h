// Each order's decision history, for GET /api/v1/orders/{key} ("why did order 42
// breach?"): a DecisionSink that keeps, per order key, every decision about its SLA
// instances with the instance as of that decision. Owned by the Daemon; engine thread
// only.
//
// It is part of each partition's state (a PartitionAttachment): a partition's decisions
// go into its checkpoints, come back when a member restores it (after a restart, or on
// the partition's new owner), and are dropped here when the partition leaves.
//
// Memory is bounded two ways. An order whose instances are all closed is dropped
// `retention` (time.retention) of event time after its last close, as the engine forgets
// closed instances (kept in close order, so finding them is O(1) per order). And the
// store never holds more than `max_entries` decisions in total (oldest-touched orders are
// evicted first) nor more than `max_entries_per_order` for one order (its oldest are
// dropped and the order is marked truncated). At about 150 bytes a decision, the defaults
// cap the store near 75 MB.
//
// Under load every decision passes through here, so it is laid out flat: the orders sit
// in a slab that never moves them (a deque, with freed slots reused), found by the
// engine's own OrderTable (hash -> slot, grown a slice per call), and the recency and
// close lists are threaded through the slab by slot. (A std::unordered_map of string keys
// with two std::lists took ~43 % of the engine thread in the loaded breach benchmark.)
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/host/decision_sink.h"
#include "daemon/host/partition_attachment.h"
#include "handlers/order_table.h"

namespace handoff {

struct TimelineLimits {
  DurationMs retention = 7 * kDay;
  std::size_t max_entries = 500'000;
  std::size_t max_entries_per_order = 256;
};

class TimelineStore final : public DecisionSink, public PartitionAttachment {
 public:
  // One decision, without the order key (the order holds it once).
  struct Entry {
    std::int32_t partition = 0;
    DecisionKind kind = DecisionKind::kStarted;
    TimeMs at = 0;
    double threshold = 0;
    std::string event_id;
    InstanceSnapshot instance;  // as of this decision; its key is empty (see above)
  };

  using Slot = std::uint32_t;
  static constexpr Slot kNone = OrderTable::kEmpty;
  struct Link {  // neighbours in one of the lists, by slot
    Slot prev = kNone;
    Slot next = kNone;
  };
  struct Order {
    std::string key;
    std::vector<Entry> entries;  // in decision order
    bool truncated = false;      // older entries were dropped
    bool in_closed = false;      // nothing open: in closed_, to expire
    std::int32_t partition = 0;  // of its entries; of its first one when `mixed`
    bool mixed = false;          // entries of several partitions (the key in several topics)
    std::uint64_t touched = 0;   // when an entry was last added: the recency order
    std::uint32_t hash = 0;      // OrderTable::Hash(key)
    std::uint32_t open = 0;      // instances started here and not closed yet
    TimeMs expire_at = kEndOfTime;  // last close + retention, while nothing is open
    Link lru;     // in lru_; a free slot's next free slot in lru.next
    Link closed;  // in closed_ while in_closed
  };

  explicit TimelineStore(TimelineLimits limits);

  void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) override;

  // PartitionAttachment: the entries of one partition, with their orders' keys, oldest
  // touched order first (a restore keeps the recency order).
  std::string Save(std::int32_t partition, const std::vector<SlaDefinition>& slas) const override;
  Status Restore(std::int32_t partition, std::string_view saved,
                 const std::vector<SlaDefinition>& slas) override;
  void Forget(std::int32_t partition) override;
  void Rehome(const std::vector<SlaDefinition>& from, const std::vector<SlaDefinition>& to) override;

  // nullptr for a key with no history (never seen, expired or evicted).
  const Order* Find(std::string_view key) const;
  std::size_t order_count() const { return index_.size(); }
  std::size_t entry_count() const { return entries_; }

 private:
  struct List {
    Slot head = kNone;  // most recent
    Slot tail = kNone;  // oldest
  };

  void Add(std::int32_t partition, const Decision& decision);
  // The retention rule and the total cap, after decisions were added.
  void Trim();
  // When an order whose last instance closed at `close` is dropped.
  TimeMs ExpiryAfter(TimeMs close) const;
  // Drops the entries `drop` picks, looking only into the orders `may_have` lets through;
  // an order left empty goes, one left with some is booked again as Add books it.
  template <typename OrderMayHave, typename Drop>
  void RemoveEntries(OrderMayHave may_have, Drop drop);
  void ExpireUpTo(TimeMs now);
  void Erase(Slot slot);
  // The order's slot in index_ (nullptr when there is none); `hash` is its key's.
  Slot* Lookup(std::string_view key, std::uint32_t hash) const;
  void PushFront(List& list, Link Order::*link, Slot slot);
  void Unlink(List& list, Link Order::*link, Slot slot);

  TimelineLimits limits_;
  std::deque<Order> orders_;  // the slab: push_back never moves an order
  Slot free_ = kNone;         // freed slots, chained through lru.next
  mutable OrderTable index_;  // key hash -> slot (Find is logically const)
  List lru_;     // every order; head: most recently touched
  List closed_;  // orders with nothing open; head: latest close
  std::size_t entries_ = 0;
  std::uint64_t touches_ = 0;  // entries ever added: Order::touched's clock
  TimeMs latest_ = kNoTime;  // the latest decision time seen: the store's "now"
};

}  // namespace handoff
