// The order timeline (daemon/serve/timeline_store.h) under the decisions of a busy
// partition: N orders open, then each step closes the oldest as met and starts a new one,
// so the store runs at its total cap (500k decisions by default) and evicts an order per
// step, as it does behind a loaded daemon. Prints decisions/s; the baseline in the same
// run is the same decisions copied into a vector (what any history has to keep).
#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "daemon/serve/timeline_store.h"

namespace handoff {
namespace {

constexpr TimeMs kBase = 1'796'000'000'000;

Decision MakeDecision(std::int64_t order, DecisionKind kind, TimeMs at) {
  Decision d;
  d.kind = kind;
  d.at = at;
  d.event_id = "e" + std::to_string(order) + (kind == DecisionKind::kStarted ? "s" : "m");
  d.instance.key = "order-" + std::to_string(order);
  d.instance.state = kind == DecisionKind::kStarted ? InstanceState::kRunning : InstanceState::kMet;
  d.instance.started_at = at;
  d.instance.deadline = at + kHour;
  d.instance.target = kHour;
  return d;
}

// Steps of 1000 orders: 1000 met decisions for the oldest orders, 1000 starts of new ones.
std::vector<Decision> Step(std::int64_t first_closed, std::int64_t first_new, TimeMs at) {
  std::vector<Decision> out;
  out.reserve(2000);
  for (std::int64_t i = 0; i < 1000; ++i) out.push_back(MakeDecision(first_closed + i, DecisionKind::kMet, at));
  for (std::int64_t i = 0; i < 1000; ++i) out.push_back(MakeDecision(first_new + i, DecisionKind::kStarted, at));
  return out;
}

void BM_TimelineAtOpenOrders(benchmark::State& state) {
  const std::int64_t open = state.range(0);
  TimelineStore store(TimelineLimits{});
  TimeMs at = kBase;
  for (std::int64_t i = 0; i < open; i += 1000) {
    std::vector<Decision> starts = Step(0, i, at);
    store.OnDecisions(0, std::span<const Decision>(starts).subspan(1000));
  }
  std::int64_t oldest = 0, next = open;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Decision> step = Step(oldest, next, ++at);
    oldest += 1000;
    next += 1000;
    state.ResumeTiming();
    store.OnDecisions(0, step);
  }
  state.SetItemsProcessed(state.iterations() * 2000);
  state.counters["orders"] = static_cast<double>(store.order_count());
}
BENCHMARK(BM_TimelineAtOpenOrders)->Arg(200'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)
    ->Iterations(300);

// The baseline: the same decisions appended to one vector, cleared per step.
void BM_CopyDecisions(benchmark::State& state) {
  std::vector<Decision> kept;
  kept.reserve(2000);
  std::int64_t oldest = 0, next = 200'000;
  TimeMs at = kBase;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Decision> step = Step(oldest, next, ++at);
    oldest += 1000;
    next += 1000;
    kept.clear();
    state.ResumeTiming();
    for (const Decision& d : step) kept.push_back(d);
    benchmark::DoNotOptimize(kept.data());
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_CopyDecisions)->Unit(benchmark::kMillisecond)->Iterations(300);

// A checkpoint's share of the timeline (PartitionAttachment::Save, on the engine thread)
// with the store at its cap: 500k decisions (250k orders, started and met) over 8
// partitions, one partition saved. The baseline in the same run copies that partition's
// decisions into a vector.
void FillEightPartitions(TimelineStore& store, std::vector<Decision>* partition0) {
  for (std::int64_t i = 0; i < 250'000; ++i) {
    const auto partition = static_cast<std::int32_t>(i % 8);
    Decision started = MakeDecision(i, DecisionKind::kStarted, kBase + i);
    Decision met = MakeDecision(i, DecisionKind::kMet, kBase + i + kMinute);
    store.OnDecisions(partition, std::span<const Decision>(&started, 1));
    store.OnDecisions(partition, std::span<const Decision>(&met, 1));
    if (partition == 0 && partition0 != nullptr) {
      partition0->push_back(started);
      partition0->push_back(met);
    }
  }
}

void BM_TimelineSaveOnePartition(benchmark::State& state) {
  TimelineStore store(TimelineLimits{.retention = 365 * kDay});
  FillEightPartitions(store, nullptr);
  const std::vector<SlaDefinition> slas(1);
  std::size_t bytes = 0;
  for (auto _ : state) bytes = store.Save(0, slas).size();
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["entries"] = static_cast<double>(store.entry_count());
}
BENCHMARK(BM_TimelineSaveOnePartition)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_CopyOnePartition(benchmark::State& state) {
  TimelineStore store(TimelineLimits{.retention = 365 * kDay});
  std::vector<Decision> partition0;
  FillEightPartitions(store, &partition0);
  for (auto _ : state) {
    std::vector<Decision> copy = partition0;
    benchmark::DoNotOptimize(copy.data());
  }
}
BENCHMARK(BM_CopyOnePartition)->Unit(benchmark::kMillisecond)->Iterations(20);

// A restore of that partition into an empty store (the new owner), after Forget.
void BM_TimelineRestoreOnePartition(benchmark::State& state) {
  TimelineStore store(TimelineLimits{.retention = 365 * kDay});
  FillEightPartitions(store, nullptr);
  const std::vector<SlaDefinition> slas(1);
  const std::string saved = store.Save(0, slas);
  for (auto _ : state) {
    TimelineStore other(TimelineLimits{.retention = 365 * kDay});
    if (!other.Restore(0, saved, slas)) state.SkipWithError("restore failed");
  }
}
BENCHMARK(BM_TimelineRestoreOnePartition)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace handoff

BENCHMARK_MAIN();
