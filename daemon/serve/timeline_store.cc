#include "daemon/serve/timeline_store.h"

#include <algorithm>

namespace handoff {
namespace {

bool Closes(DecisionKind kind) {
  return kind == DecisionKind::kMet || kind == DecisionKind::kCancelled ||
         kind == DecisionKind::kResolved;
}

}  // namespace

TimelineStore::TimelineStore(TimelineLimits limits) : limits_(limits) {}

const TimelineStore::Order* TimelineStore::Find(std::string_view key) const {
  auto it = orders_.find(std::string(key));
  return it == orders_.end() ? nullptr : &it->second;
}

void TimelineStore::OnDecisions(std::int32_t partition, std::span<const Decision> decisions) {
  for (const Decision& decision : decisions) {
    Add(partition, decision);
    latest_ = std::max(latest_, decision.at);
  }
  ExpireUpTo(latest_);
  // The total cap: evict the orders touched longest ago.
  while (entries_ > limits_.max_entries && !lru_.empty()) Erase(lru_.back());
}

void TimelineStore::Add(std::int32_t partition, const Decision& decision) {
  const InstanceSnapshot& instance = decision.instance;
  auto [it, inserted] = orders_.try_emplace(instance.key);
  Order& order = it->second;
  if (inserted) {
    lru_.push_front(&*it);
    order.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, order.lru);
  }
  if (order.entries.size() >= limits_.max_entries_per_order && !order.entries.empty()) {
    order.entries.erase(order.entries.begin());
    order.truncated = true;
    --entries_;
  }
  Entry& entry = order.entries.emplace_back(Entry{.partition = partition,
                                                  .kind = decision.kind,
                                                  .at = decision.at,
                                                  .threshold = decision.threshold,
                                                  .event_id = decision.event_id,
                                                  .instance = instance});
  entry.instance.key.clear();  // the map holds the key once
  ++entries_;

  // Open-instance bookkeeping for the retention rule. A close of an instance started
  // before this process (restored from a checkpoint) finds open == 0 and stays there.
  if (decision.kind == DecisionKind::kStarted) {
    ++order.open;
  } else if (Closes(decision.kind) && order.open > 0) {
    --order.open;
  }
  if (order.in_closed) {
    closed_.erase(order.closed);
    order.in_closed = false;
  }
  if (order.open == 0 && Closes(decision.kind)) {
    order.expire_at = decision.at > kEndOfTime - limits_.retention ? kEndOfTime
                                                                   : decision.at + limits_.retention;
    closed_.push_front(&*it);
    order.closed = closed_.begin();
    order.in_closed = true;
  }
}

// Closes arrive in about event-time order (exactly, within one partition), so the walk
// stops at the first order of closed_ that is not due yet. At most 1024 per call, so a
// jump in event time spreads its work over the next calls instead of pausing the loop.
void TimelineStore::ExpireUpTo(TimeMs now) {
  for (int i = 0; i < 1024 && !closed_.empty(); ++i) {
    Node* node = closed_.back();
    if (node->second.expire_at > now) break;
    Erase(node);
  }
}

void TimelineStore::Erase(Node* node) {
  Order& order = node->second;
  entries_ -= order.entries.size();
  lru_.erase(order.lru);
  if (order.in_closed) closed_.erase(order.closed);
  orders_.erase(node->first);  // last: the key lives in the node
}

}  // namespace handoff
