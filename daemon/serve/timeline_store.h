// Each order's decision history, for GET /api/v1/orders/{key} ("why did order 42
// breach?"): a DecisionSink that keeps, per order key, every decision about its SLA
// instances with the instance as of that decision. Owned by the Daemon; engine thread
// only.
//
// Memory is bounded two ways. An order whose instances are all closed is dropped
// `retention` (time.retention) of event time after its last close, as the engine forgets
// closed instances (kept in close order, so finding them is O(1) per order). And the store never holds more than `max_entries` decisions in total
// (oldest-touched orders are evicted first) nor more than `max_entries_per_order` for one
// order (its oldest are dropped and the order is marked truncated). At about 150 bytes
// a decision, the defaults cap the store near 75 MB.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/host/decision_sink.h"

namespace handoff {

struct TimelineLimits {
  DurationMs retention = 7 * kDay;
  std::size_t max_entries = 500'000;
  std::size_t max_entries_per_order = 256;
};

class TimelineStore final : public DecisionSink {
 public:
  // One decision, without the order key (the map holds it once).
  struct Entry {
    std::int32_t partition = 0;
    DecisionKind kind = DecisionKind::kStarted;
    TimeMs at = 0;
    double threshold = 0;
    std::string event_id;
    InstanceSnapshot instance;  // as of this decision; its key is empty (see above)
  };

  struct Order;
  // A map entry; its address is stable (the map is node-based), so the lists hold it and
  // reach the order without a second lookup by key.
  using Node = std::pair<const std::string, Order>;
  struct Order {
    std::vector<Entry> entries;  // in decision order
    bool truncated = false;      // older entries were dropped
    std::uint32_t open = 0;      // instances started here and not closed yet
    TimeMs expire_at = kEndOfTime;  // last close + retention, while nothing is open
    std::list<Node*>::iterator lru;     // in lru_
    std::list<Node*>::iterator closed;  // in closed_ while nothing is open
    bool in_closed = false;
  };

  explicit TimelineStore(TimelineLimits limits);

  void OnDecisions(std::int32_t partition, std::span<const Decision> decisions) override;

  // nullptr for a key with no history (never seen, expired or evicted).
  const Order* Find(std::string_view key) const;
  std::size_t order_count() const { return orders_.size(); }
  std::size_t entry_count() const { return entries_; }

 private:
  void Add(std::int32_t partition, const Decision& decision);
  void ExpireUpTo(TimeMs now);
  // Drops the order: one walk of its bucket (extract), none to find it.
  void Erase(Node* node);

  TimelineLimits limits_;
  std::unordered_map<std::string, Order> orders_;
  std::list<Node*> lru_;     // front: most recently touched
  std::list<Node*> closed_;  // orders with nothing open; front: latest close
  std::size_t entries_ = 0;
  TimeMs latest_ = kNoTime;  // the latest decision time seen: the store's "now"
};

}  // namespace handoff
