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

TimelineStore::Slot* TimelineStore::Lookup(std::string_view key, std::uint32_t hash) const {
  return index_.Find(hash, [&](Slot slot) { return orders_[slot].key == key; });
}

const TimelineStore::Order* TimelineStore::Find(std::string_view key) const {
  const Slot* slot = Lookup(key, OrderTable::Hash(key));
  return slot == nullptr ? nullptr : &orders_[*slot];
}

void TimelineStore::OnDecisions(std::int32_t partition, std::span<const Decision> decisions) {
  for (const Decision& decision : decisions) {
    Add(partition, decision);
    latest_ = std::max(latest_, decision.at);
  }
  ExpireUpTo(latest_);
  // The total cap: evict the orders touched longest ago.
  while (entries_ > limits_.max_entries && lru_.tail != kNone) Erase(lru_.tail);
}

void TimelineStore::Add(std::int32_t partition, const Decision& decision) {
  const InstanceSnapshot& instance = decision.instance;
  const std::uint32_t hash = OrderTable::Hash(instance.key);
  Slot slot;
  if (const Slot* found = Lookup(instance.key, hash)) {
    slot = *found;
    Unlink(lru_, &Order::lru, slot);
  } else {
    if (free_ != kNone) {
      slot = free_;
      free_ = orders_[slot].lru.next;
      orders_[slot].lru = Link{};
    } else {
      slot = static_cast<Slot>(orders_.size());
      orders_.emplace_back();
    }
    orders_[slot].key = instance.key;
    orders_[slot].hash = hash;
    index_.Insert(hash, slot);
  }
  PushFront(lru_, &Order::lru, slot);
  Order& order = orders_[slot];
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
  entry.instance.key.clear();  // the order holds the key once
  ++entries_;

  // Open-instance bookkeeping for the retention rule. A close of an instance started
  // before this process (restored from a checkpoint) finds open == 0 and stays there.
  if (decision.kind == DecisionKind::kStarted) {
    ++order.open;
  } else if (Closes(decision.kind) && order.open > 0) {
    --order.open;
  }
  if (order.in_closed) {
    Unlink(closed_, &Order::closed, slot);
    order.in_closed = false;
  }
  if (order.open == 0 && Closes(decision.kind)) {
    order.expire_at = decision.at > kEndOfTime - limits_.retention ? kEndOfTime
                                                                   : decision.at + limits_.retention;
    PushFront(closed_, &Order::closed, slot);
    order.in_closed = true;
  }
}

// Closes arrive in about event-time order (exactly, within one partition), so the walk
// stops at the first order of closed_ that is not due yet. At most 1024 per call, so a
// jump in event time spreads its work over the next calls instead of pausing the loop.
void TimelineStore::ExpireUpTo(TimeMs now) {
  for (int i = 0; i < 1024 && closed_.tail != kNone; ++i) {
    if (orders_[closed_.tail].expire_at > now) break;
    Erase(closed_.tail);
  }
}

void TimelineStore::Erase(Slot slot) {
  Order& order = orders_[slot];
  entries_ -= order.entries.size();
  Unlink(lru_, &Order::lru, slot);
  if (order.in_closed) Unlink(closed_, &Order::closed, slot);
  index_.Erase(Lookup(order.key, order.hash));
  order = Order{};  // frees the key and the entries now
  order.lru.next = free_;
  free_ = slot;
}

void TimelineStore::PushFront(List& list, Link Order::*link, Slot slot) {
  Link& l = orders_[slot].*link;
  l.prev = kNone;
  l.next = list.head;
  if (list.head != kNone) (orders_[list.head].*link).prev = slot;
  list.head = slot;
  if (list.tail == kNone) list.tail = slot;
}

void TimelineStore::Unlink(List& list, Link Order::*link, Slot slot) {
  Link& l = orders_[slot].*link;
  if (l.prev != kNone) {
    (orders_[l.prev].*link).next = l.next;
  } else {
    list.head = l.next;
  }
  if (l.next != kNone) {
    (orders_[l.next].*link).prev = l.prev;
  } else {
    list.tail = l.prev;
  }
  l = Link{};
}

}  // namespace handoff
