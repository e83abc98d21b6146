#include "daemon/demo/demo_orders.h"

#include <algorithm>
#include <cstdio>

#include "handlers/json_writer.h"

namespace handoff {
namespace {

// The demo config's targets (config/examples/demo.yaml), normal and gold tier.
constexpr DurationMs kAcceptTarget = 20 * kSecond;
constexpr DurationMs kAcceptTargetGold = 8 * kSecond;
constexpr DurationMs kPickTarget = 30 * kSecond;
constexpr DurationMs kPickTargetGold = 15 * kSecond;
constexpr DurationMs kInvoiceTarget = kMinute;

void AppendField(std::string& out, std::string_view name, std::string_view value, bool& first) {
  if (!first) out += ',';
  first = false;
  out += '"';
  out += name;
  out += "\":\"";
  AppendJsonEscaped(out, value);
  out += '"';
}

}  // namespace

DurationMs DemoOrderPlanner::HandoffTime(DurationMs target, DemoOrder& order) {
  ++order.handoffs;
  if (Uniform(0, 1) < kLateShare) {
    ++order.late;
    return static_cast<DurationMs>(static_cast<double>(target) * Uniform(1.1, 1.6));
  }
  return static_cast<DurationMs>(static_cast<double>(target) * Uniform(0.15, 0.75));
}

DemoOrder DemoOrderPlanner::Plan(std::uint64_t number) {
  DemoOrder order;
  char key[32];
  std::snprintf(key, sizeof key, "order-%06llu", static_cast<unsigned long long>(number));
  order.key = key;
  order.gold = Uniform(0, 1) < kGoldShare;
  order.paused = Uniform(0, 1) < kPauseShare;
  order.cancelled = !order.paused && Uniform(0, 1) < kCancelShare;
  auto add = [&](DurationMs at, DemoTopic topic, std::string type, std::string source,
                 std::string from = {}, std::string to = {}) {
    order.events.push_back({at, topic, std::move(type), std::move(source), std::move(from),
                            std::move(to)});
  };

  // Sales hands the order to operations, which accepts it (unless it is cancelled).
  DurationMs t = 0;
  add(t, DemoTopic::kHandoffs, "handoff.requested", "sales", "sales", "operations");
  if (order.cancelled) {
    add(static_cast<DurationMs>(Uniform(1, 5) * kSecond), DemoTopic::kOrders, "order.cancelled",
        "sales");
    return order;
  }
  DurationMs accept = HandoffTime(order.gold ? kAcceptTargetGold : kAcceptTarget, order);
  if (order.paused) {
    // On hold for a credit check part-way; paused time does not count against the SLA.
    DurationMs hold_at = accept / 3;
    DurationMs hold_for = static_cast<DurationMs>(Uniform(3, 10) * kSecond);
    add(t + hold_at, DemoTopic::kOrders, "order.on_hold", "operations");
    add(t + hold_at + hold_for, DemoTopic::kOrders, "order.released", "operations");
    accept += hold_for;
  }
  t += accept;
  add(t, DemoTopic::kHandoffs, "handoff.accepted", "operations", "sales", "operations");

  // Operations hands it to fulfillment, which packs and ships it.
  t += static_cast<DurationMs>(Uniform(0.2, 2) * kSecond);
  add(t, DemoTopic::kHandoffs, "handoff.requested", "operations", "operations", "fulfillment");
  t += HandoffTime(order.gold ? kPickTargetGold : kPickTarget, order);
  add(t, DemoTopic::kOrders, "order.packed", "fulfillment");
  t += static_cast<DurationMs>(Uniform(0.5, 3) * kSecond);
  add(t, DemoTopic::kOrders, "order.shipped", "fulfillment");

  // Finance invoices the shipped order.
  t += HandoffTime(kInvoiceTarget, order);
  add(t, DemoTopic::kOrders, "invoice.issued", "finance");

  std::stable_sort(order.events.begin(), order.events.end(),
                   [](const PlannedEvent& a, const PlannedEvent& b) { return a.at < b.at; });
  return order;
}

std::string DemoOrderPlanner::CloudEvent(const DemoOrder& order, std::size_t index, TimeMs time) {
  const PlannedEvent& event = order.events[index];
  std::string out;
  out.reserve(320);
  bool first = true;
  out += '{';
  AppendField(out, "specversion", "1.0", first);
  AppendField(out, "id", order.key + "-" + std::to_string(index + 1), first);
  AppendField(out, "source", "/demo/" + event.source, first);
  AppendField(out, "type", event.type, first);
  AppendField(out, "time", FormatRfc3339(time), first);
  AppendField(out, "subject", order.key, first);
  AppendField(out, "datacontenttype", "application/json", first);
  out += ",\"data\":{";
  bool first_data = true;
  if (!event.from.empty()) AppendField(out, "from", event.from, first_data);
  if (!event.to.empty()) AppendField(out, "to", event.to, first_data);
  AppendField(out, "customer_tier", order.gold ? "gold" : "standard", first_data);
  if (event.type == "order.on_hold") AppendField(out, "reason", "credit_check", first_data);
  out += "}}";
  return out;
}

}  // namespace handoff
