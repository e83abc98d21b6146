#include "daemon/serve/timeline_store.h"

#include <algorithm>
#include <map>

#include "handlers/byte_codec.h"

namespace handoff {
namespace {

// The first byte of a saved timeline: its format, for the checkpoints' sake.
constexpr std::uint64_t kTimelineFormat = 1;

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
  Trim();
}

TimeMs TimelineStore::ExpiryAfter(TimeMs close) const {
  return close > kEndOfTime - limits_.retention ? kEndOfTime : close + limits_.retention;
}

void TimelineStore::Trim() {
  ExpireUpTo(latest_);
  // The total cap: evict the orders touched longest ago.
  while (entries_ > limits_.max_entries && lru_.tail != kNone) Erase(lru_.tail);
}

std::string TimelineStore::Save(std::int32_t partition,
                                const std::vector<SlaDefinition>& slas) const {
  auto of_partition = [&](const Entry& e) { return e.partition == partition; };
  // The slab in memory order (a walk of the recency list misses the cache per order),
  // looking into an order's entries only when they are of several partitions.
  std::vector<std::pair<std::uint64_t, Slot>> touched;  // (touched, slot)
  for (std::size_t i = 0; i < orders_.size(); ++i) {
    const Order& order = orders_[i];
    if (order.entries.empty() || (order.partition != partition && !order.mixed)) continue;
    if (order.mixed && std::none_of(order.entries.begin(), order.entries.end(), of_partition)) {
      continue;
    }
    touched.emplace_back(order.touched, static_cast<Slot>(i));
  }
  std::sort(touched.begin(), touched.end());
  std::vector<Slot> slots;
  slots.reserve(touched.size());
  for (const auto& [_, slot] : touched) slots.push_back(slot);
  ByteWriter w;
  w.PutUnsigned(kTimelineFormat);
  w.PutUnsigned(slots.size());
  for (std::size_t k = 0; k < slots.size(); ++k) {
    // Each order's entries sit elsewhere on the heap: fetch a few orders ahead.
    if (k + 8 < slots.size()) __builtin_prefetch(orders_[slots[k + 8]].entries.data());
    const Order& order = orders_[slots[k]];
    w.PutString(order.key);
    w.PutUnsigned(order.truncated ? 1 : 0);
    w.PutUnsigned(static_cast<std::uint64_t>(
        std::count_if(order.entries.begin(), order.entries.end(), of_partition)));
    for (const Entry& e : order.entries) {
      if (!of_partition(e)) continue;
      const InstanceSnapshot& i = e.instance;
      w.PutUnsigned(static_cast<std::uint64_t>(e.kind));
      w.PutSigned(e.at);
      w.PutDouble(e.threshold);
      w.PutString(e.event_id);
      w.PutString(i.sla < slas.size() ? std::string_view(slas[i.sla].name) : std::string_view());
      w.PutUnsigned(i.cycle);
      w.PutUnsigned(static_cast<std::uint64_t>(i.state));
      for (TimeMs t : {i.started_at, i.deadline, i.breached_at, i.ended_at, i.elapsed, i.target}) {
        w.PutSigned(t);
      }
      w.PutUnsigned(i.held.size());
      for (DurationMs held : i.held) w.PutSigned(held);
      w.PutUnsigned(i.baton);
      w.PutUnsigned(i.first_late_stage);
    }
  }
  return w.Take();
}

Status TimelineStore::Restore(std::int32_t partition, std::string_view saved,
                              const std::vector<SlaDefinition>& slas) {
  Forget(partition);
  if (saved.empty()) return {};  // a checkpoint written before timelines were kept
  std::map<std::string_view, std::uint16_t> sla_index;
  for (std::size_t i = 0; i < slas.size(); ++i) {
    sla_index.emplace(slas[i].name, static_cast<std::uint16_t>(i));
  }
  // Decoded whole before anything is added: bytes that turn out malformed change nothing.
  std::vector<Decision> decisions;
  std::vector<std::string> truncated_keys;
  ByteReader r(saved);
  std::uint64_t format = 0;
  std::uint64_t orders = 0;
  bool ok = r.GetUnsigned(format) && format == kTimelineFormat && r.GetUnsigned(orders);
  for (std::uint64_t o = 0; ok && o < orders; ++o) {
    std::string key;
    std::uint64_t truncated = 0;
    std::uint64_t entries = 0;
    ok = r.GetString(key) && r.GetUnsigned(truncated) && r.GetUnsigned(entries);
    if (ok && truncated != 0) truncated_keys.push_back(key);
    for (std::uint64_t n = 0; ok && n < entries; ++n) {
      Decision d;
      InstanceSnapshot& i = d.instance;
      std::uint64_t kind, cycle, state, held, baton, late;
      std::string sla;
      ok = r.GetUnsigned(kind) && kind <= static_cast<std::uint64_t>(DecisionKind::kResolved) &&
           r.GetSigned(d.at) && r.GetDouble(d.threshold) && r.GetString(d.event_id) &&
           r.GetString(sla) && r.GetUnsigned(cycle) && r.GetUnsigned(state) &&
           state <= static_cast<std::uint64_t>(InstanceState::kCancelled) &&
           r.GetSigned(i.started_at) && r.GetSigned(i.deadline) && r.GetSigned(i.breached_at) &&
           r.GetSigned(i.ended_at) && r.GetSigned(i.elapsed) && r.GetSigned(i.target) &&
           r.GetUnsigned(held) && held <= saved.size();
      i.held.resize(ok ? held : 0);
      for (DurationMs& h : i.held) ok = ok && r.GetSigned(h);
      ok = ok && r.GetUnsigned(baton) && r.GetUnsigned(late) && baton <= 0xff && late <= 0xff;
      if (!ok) break;
      auto known = sla_index.find(sla);
      if (known == sla_index.end()) continue;  // the SLA left the config
      d.kind = static_cast<DecisionKind>(kind);
      i.key = key;
      i.sla = known->second;
      i.cycle = static_cast<std::uint32_t>(cycle);
      i.state = static_cast<InstanceState>(state);
      i.baton = static_cast<std::uint8_t>(baton);
      i.first_late_stage = static_cast<std::uint8_t>(late);
      decisions.push_back(std::move(d));
    }
  }
  if (!ok || !r.AtEnd()) {
    return Error{"the order timeline in the checkpoint is malformed (format " +
                 std::to_string(format) + ", " + std::to_string(saved.size()) + " bytes)"};
  }
  for (const Decision& d : decisions) {
    Add(partition, d);
    latest_ = std::max(latest_, d.at);
  }
  for (const std::string& key : truncated_keys) {
    if (const Slot* slot = Lookup(key, OrderTable::Hash(key))) orders_[*slot].truncated = true;
  }
  Trim();
  return {};
}

void TimelineStore::Forget(std::int32_t partition) {
  RemoveEntries([&](const Order& order) { return order.partition == partition || order.mixed; },
                [&](const Entry& e) { return e.partition == partition; });
}

void TimelineStore::Rehome(const std::vector<SlaDefinition>& from,
                           const std::vector<SlaDefinition>& to) {
  constexpr std::uint16_t kGone = 0xffff;
  std::vector<std::uint16_t> index(from.size(), kGone);  // old index -> new index
  bool same = from.size() == to.size();
  for (std::size_t i = 0; i < from.size(); ++i) {
    for (std::size_t j = 0; j < to.size(); ++j) {
      if (from[i].name == to[j].name) index[i] = static_cast<std::uint16_t>(j);
    }
    same = same && index[i] == i;
  }
  if (same) return;  // most reloads: nothing to touch
  for (Order& order : orders_) {
    for (Entry& e : order.entries) {
      e.instance.sla = e.instance.sla < index.size() ? index[e.instance.sla] : kGone;
    }
  }
  RemoveEntries([](const Order&) { return true; },
                [&](const Entry& e) { return e.instance.sla == kGone; });
}

template <typename OrderMayHave, typename Drop>
void TimelineStore::RemoveEntries(OrderMayHave may_have, Drop drop) {
  for (std::size_t i = 0; i < orders_.size(); ++i) {
    const auto slot = static_cast<Slot>(i);
    Order& order = orders_[slot];
    if (!may_have(order)) continue;
    auto gone = std::remove_if(order.entries.begin(), order.entries.end(), drop);
    const auto removed = static_cast<std::size_t>(order.entries.end() - gone);
    if (removed == 0) continue;  // a free slot has no entries either
    if (removed == order.entries.size()) {
      Erase(slot);
      continue;
    }
    // Some are left: the order's open count and retention are worked out again from
    // them, as Add keeps them.
    order.entries.erase(gone, order.entries.end());
    entries_ -= removed;
    order.open = 0;
    TimeMs last_close = kNoTime;
    for (const Entry& e : order.entries) {
      if (e.kind == DecisionKind::kStarted) {
        ++order.open;
      } else if (Closes(e.kind)) {
        if (order.open > 0) --order.open;
        last_close = e.at;
      }
    }
    if (order.in_closed) Unlink(closed_, &Order::closed, slot);
    order.in_closed = order.open == 0 && last_close != kNoTime;
    if (order.in_closed) {
      order.expire_at = ExpiryAfter(last_close);
      PushFront(closed_, &Order::closed, slot);
    }
  }
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
  if (order.entries.empty()) {
    order.partition = partition;
  } else if (order.partition != partition) {
    order.mixed = true;
  }
  order.touched = ++touches_;
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
    order.expire_at = ExpiryAfter(decision.at);
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
