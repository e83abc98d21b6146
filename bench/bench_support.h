// Shared by the benchmarks: a fixed epoch and one sales -> operations SLA whose target
// is long enough that nothing breaches while a benchmark measures.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "handlers/sla_definition.h"

namespace handoff::bench {

inline constexpr TimeMs kBase = 1795773600000;  // 2026-11-27T10:00:00Z

// Attributes: 0 = from, 1 = to, 2 = tier.
inline std::shared_ptr<const std::vector<SlaDefinition>> LongAcceptSla() {
  SlaDefinition sla;
  sla.name = "sales_to_ops_accept";
  sla.from = "sales";
  sla.to = sla.owner = "operations";
  sla.start = {.types = {"handoff.requested"}, .where = {{0, {"sales"}}, {1, {"operations"}}}};
  sla.stop = {.types = {"handoff.accepted"}, .where = {{1, {"operations"}}}};
  sla.pause = Condition{.types = {"order.on_hold"}, .where = {}};
  sla.resume = Condition{.types = {"order.released"}, .where = {}};
  sla.target = 30 * kDay;
  sla.warn_at = {0.5, 0.8};
  return std::make_shared<const std::vector<SlaDefinition>>(std::vector{sla});
}

// "order-00000042": 14 bytes, inside std::string's small-string buffer.
inline std::string OrderKey(long long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "order-%08lld", i);
  return buf;
}

}  // namespace handoff::bench
