// Engine benchmarks (issue #3). Every figure is printed next to a baseline measured in the
// same run: decoding against simdjson's parse alone on the same bytes, and applying
// events at 10k, 1M and 10M open instances against a floor built from well-kept libraries
// on the same stream (BM_FloorAtOpenInstances). Run: build/bench/engine_bench
// (add --benchmark_filter=... to pick; the 10M case needs ~3 GB and a minute to set up).
#include <fstream>
#include <functional>
#include <map>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "bench/bench_support.h"
#include "handlers/decoder.h"
#include "handlers/sla_engine.h"

namespace handoff {
namespace {

using bench::kBase;
using bench::LongAcceptSla;
using bench::OrderKey;

EventFormat Format() {
  EventFormat format;
  format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/customer_tier"}};
  return format;
}

// ~200-byte structured CloudEvents, as the demo and the Kafka benchmarks produce.
std::string EventJson(std::int64_t i, const char* type, TimeMs t) {
  return std::string(R"({"specversion":"1.0","id":"e-)") + std::to_string(i) +
         R"(","source":"/crm","type":")" + type + R"(","time":")" + FormatRfc3339(t) +
         R"(","subject":")" + OrderKey(i) +
         R"(","data":{"from":"sales","to":"operations","customer_tier":"silver"}})";
}

std::vector<std::string> Corpus(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(EventJson(i, i % 2 ? "handoff.accepted" : "handoff.requested", kBase + i));
  }
  return out;
}

void BM_SimdjsonParseOnly(benchmark::State& state) {
  auto corpus = Corpus(10000);
  simdjson::dom::parser parser;
  std::string padded;
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& s = corpus[i++ % corpus.size()];
    padded.assign(s);
    padded.resize(s.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    benchmark::DoNotOptimize(parser.parse(padded.data(), s.size(), false).get(doc));
    bytes += s.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_SimdjsonParseOnly);

void BM_Decode(benchmark::State& state) {
  auto corpus = Corpus(10000);
  EventDecoder decoder(Format());
  std::size_t i = 0;
  for (auto _ : state) {
    auto event = decoder.Decode({.value = corpus[i++ % corpus.size()], .key = {}, .headers = {}});
    benchmark::DoNotOptimize(event);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode);

// Decode + apply on a steady state of ~5k open instances: each key is started, then
// stopped 10k events later. JSON is made in batches of 1000 outside the timed region.
void BM_DecodeApply(benchmark::State& state) {
  EventDecoder decoder(Format());
  SlaEngine engine(LongAcceptSla(), EngineOptions{.lateness = 0});
  std::vector<Decision> out;
  std::vector<std::string> batch;
  std::int64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (int k = 0; k < 1000; ++k, ++i) {
      batch.push_back(i % 2 ? EventJson(i / 2 - 5000, "handoff.accepted", kBase + i)
                            : EventJson(i / 2, "handoff.requested", kBase + i));
    }
    state.ResumeTiming();
    for (const std::string& json : batch) {
      auto event = decoder.Decode({.value = json, .key = {}, .headers = {}});
      out.clear();
      engine.Offer(std::move(event).value(), out);
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_DecodeApply);

long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// The stream BM_ApplyAtOpenInstances and BM_FloorAtOpenInstances apply: `open` starts,
// then each pair stops the oldest order and starts a new one, so the open count stays put.
// Events are made in batches of 2000 outside the timed region.
class OpenInstancesStream {
 public:
  explicit OpenInstancesStream(std::int64_t open) : open_(open) {}
  Event Make(std::int64_t i, bool start) {
    return Event{.id = "e" + std::to_string(i) + (start ? "s" : "a"),
                 .type = start ? "handoff.requested" : "handoff.accepted",
                 .time = ++t_,
                 .key = OrderKey(i),
                 .attributes = {"sales", "operations", "silver"}};
  }
  template <typename Apply>
  void Fill(Apply apply) {
    for (std::int64_t i = 0; i < open_; ++i) apply(Make(i, true));
  }
  std::vector<Event>& NextBatch() {
    batch_.clear();
    for (int k = 0; k < 1000; ++k, ++next_) {
      batch_.push_back(Make(next_ - open_, false));
      batch_.push_back(Make(next_, true));
    }
    return batch_;
  }

 private:
  std::int64_t open_;
  std::int64_t next_ = open_;
  TimeMs t_ = kBase;
  std::vector<Event> batch_;
};

// Apply only (pre-decoded events) with `open` instances open, and every closed one
// remembered (7 days' retention), dedupe off.
void BM_ApplyAtOpenInstances(benchmark::State& state) {
  const std::int64_t open = state.range(0);
  long rss_before = ResidentBytes();
  SlaEngine engine(LongAcceptSla(), EngineOptions{.lateness = 0, .dedupe_window = 0});
  std::vector<Decision> out;
  OpenInstancesStream stream(open);
  stream.Fill([&](Event e) {
    out.clear();
    engine.Offer(std::move(e), out);
  });
  state.counters["bytes_per_instance_rss"] =
      double(ResidentBytes() - rss_before) / double(engine.open_instances());
  state.counters["bytes_per_instance_model"] =
      double(engine.MemoryBytes()) / double(engine.open_instances());
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Event>& batch = stream.NextBatch();
    state.ResumeTiming();
    for (Event& e : batch) {
      out.clear();
      engine.Offer(std::move(e), out);
    }
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_ApplyAtOpenInstances)->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)->Iterations(200);

// Journeys: one order's promise over a chain of three stages (sales -> operations ->
// fulfillment -> finance), against the same four SLAs without `stages`, on the same events.
// Arg 0 is the plain baseline, 1 the journey. Attributes: 0 = from, 1 = to, 2 = tier.
const char* const kChain[] = {"sales", "operations", "fulfillment", "finance"};

std::shared_ptr<const std::vector<SlaDefinition>> ChainSlas(bool journey) {
  std::vector<SlaDefinition> slas;
  for (int stage = 0; stage < 3; ++stage) {
    SlaDefinition sla;
    sla.name = std::string(kChain[stage]) + "_to_" + kChain[stage + 1];
    sla.from = kChain[stage];
    sla.to = sla.owner = kChain[stage + 1];
    sla.start = {.types = {"handoff.requested"},
                 .where = {{0, {kChain[stage]}}, {1, {kChain[stage + 1]}}}};
    sla.stop = {.types = {"handoff.accepted"}, .where = {{1, {kChain[stage + 1]}}}};
    sla.target = 30 * kDay;
    slas.push_back(sla);
  }
  SlaDefinition promise;
  promise.name = "order_to_invoice";
  promise.from = promise.owner = "sales";
  promise.to = "finance";
  promise.start = {.types = {"order.created"}, .where = {}};
  promise.stop = {.types = {"invoice.sent"}, .where = {}};
  promise.target = 30 * kDay;
  if (journey) {
    for (const SlaDefinition& stage : slas) promise.stages.push_back(stage.name);
    promise.stage_slas = {0, 1, 2};
  }
  slas.push_back(promise);
  return std::make_shared<const std::vector<SlaDefinition>>(std::move(slas));
}

// Phase 0 creates the order, 1/3/5 request stages 1-3, 2/4/6 accept them, 7 invoices it.
Event ChainEvent(std::int64_t order, int phase, TimeMs t) {
  Event e{.id = "c" + std::to_string(order) + "-" + std::to_string(phase),
          .type = phase == 0 ? "order.created" : phase == 7 ? "invoice.sent"
                  : phase % 2 == 1 ? "handoff.requested" : "handoff.accepted",
          .time = t,
          .key = OrderKey(order),
          .attributes = {std::nullopt, std::nullopt, std::nullopt}};
  if (phase >= 1 && phase <= 6) {
    int stage = (phase - 1) / 2;
    e.attributes[0] = kChain[stage];
    e.attributes[1] = kChain[stage + 1];
  }
  return e;
}

void BM_JourneyChain(benchmark::State& state) {
  auto slas = ChainSlas(state.range(0) == 1);
  {
    // Memory: 100k orders with the promise and all three stages open.
    constexpr std::int64_t kOrders = 100'000;
    SlaEngine engine(slas, EngineOptions{.lateness = 0, .dedupe_window = 0});
    std::vector<Decision> out;
    TimeMs t = kBase;
    for (std::int64_t i = 0; i < kOrders; ++i) {
      for (int phase : {0, 1, 3, 5}) {
        out.clear();
        engine.Offer(ChainEvent(i, phase, ++t), out);
      }
    }
    state.counters["bytes_per_instance_model"] =
        double(engine.MemoryBytes()) / double(engine.open_instances());
    state.counters["bytes_per_order_model"] = double(engine.MemoryBytes()) / double(kOrders);
  }
  // Apply: 1000 orders at a time go through their eight events together; closed instances
  // are forgotten a second (1000 events) after they close.
  SlaEngine engine(slas, EngineOptions{.lateness = 0, .dedupe_window = 0, .retention = kSecond});
  std::vector<Decision> out;
  std::vector<Event> batch;
  TimeMs t = kBase;
  std::int64_t first = 0;
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (int phase = 0; phase < 8; ++phase) {
      for (std::int64_t i = first; i < first + 1000; ++i) batch.push_back(ChainEvent(i, phase, ++t));
    }
    first += 1000;
    state.ResumeTiming();
    for (Event& e : batch) {
      out.clear();
      engine.Offer(std::move(e), out);
    }
  }
  state.SetItemsProcessed(state.iterations() * 8000);
}
BENCHMARK(BM_JourneyChain)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(300);

// The floor for the above: the least any per-order timer keeper does with these events.
// One absl::flat_hash_map lookup-or-insert by order key (closed orders stay, as the
// engine remembers them) and one operation on a binary heap of deadlines per event: a
// start pushes its deadline, a stop pops the earliest (in this stream, its own). No
// dedupe, conditions, reorder buffer, decisions, warnings or calendar.
void BM_FloorAtOpenInstances(benchmark::State& state) {
  struct Order {
    TimeMs deadline;
    bool open;
  };
  absl::flat_hash_map<std::string, Order> orders;
  std::priority_queue<std::pair<TimeMs, const std::string*>,
                      std::vector<std::pair<TimeMs, const std::string*>>, std::greater<>>
      deadlines;
  std::int64_t decisions = 0;
  auto apply = [&](const Event& e) {
    bool start = e.type == "handoff.requested";
    auto [it, inserted] = orders.try_emplace(e.key, Order{.deadline = kNoTime, .open = false});
    if (start && !it->second.open) {
      it->second = Order{.deadline = e.time + 30 * kDay, .open = true};
      deadlines.push({it->second.deadline, &it->first});
      ++decisions;
    } else if (!start && it->second.open) {
      it->second.open = false;
      deadlines.pop();
      ++decisions;
    }
  };
  OpenInstancesStream stream(state.range(0));
  stream.Fill(apply);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Event>& batch = stream.NextBatch();
    state.ResumeTiming();
    for (const Event& e : batch) apply(e);
  }
  benchmark::DoNotOptimize(decisions);
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_FloorAtOpenInstances)->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)->Iterations(200);

// Collects items/s per benchmark so main can print ratios against the baselines.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) rates[run.benchmark_name()] = it->second;
      for (const char* name :
           {"bytes_per_instance_rss", "bytes_per_instance_model", "bytes_per_order_model"}) {
        auto c = run.counters.find(name);
        if (c != run.counters.end()) counters[run.benchmark_name() + ":" + name] = c->second;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
  std::map<std::string, double> counters;
};

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  handoff::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto rate = [&](const std::string& name) {
    auto it = reporter.rates.find(name);
    return it == reporter.rates.end() ? 0.0 : it->second;
  };
  double parse = rate("BM_SimdjsonParseOnly");
  std::printf("\nratios against simdjson parse-only (%.0f events/s) in this run:\n", parse);
  for (const char* name : {"BM_Decode", "BM_DecodeApply"}) {
    if (parse > 0 && rate(name) > 0) {
      std::printf("  %-28s %10.0f events/s  %.2fx\n", name, rate(name), rate(name) / parse);
    }
  }
  for (const auto& [name, r] : reporter.rates) {
    if (name.starts_with("BM_ApplyAtOpenInstances")) {
      std::printf("  %-40s %10.0f events/s\n", name.c_str(), r);
    }
  }
  // A journey instance's cost against a plain instance's: its own instance (as plain) plus
  // what the journey adds per order; apply time per event of the chain, journey over plain.
  const std::string plain = "BM_JourneyChain/0/iterations:300", journey = "BM_JourneyChain/1/iterations:300";
  double plain_instance = reporter.counters[plain + ":bytes_per_instance_model"];
  double journey_extra = reporter.counters[journey + ":bytes_per_order_model"] -
                         reporter.counters[plain + ":bytes_per_order_model"];
  double memory_ratio = plain_instance > 0 ? (plain_instance + journey_extra) / plain_instance : 0;
  double apply_ratio = rate(journey) > 0 ? rate(plain) / rate(journey) : 0;
  if (memory_ratio > 0 && apply_ratio > 0) {
    std::printf("  journey of 3 stages vs plain SLA: memory %.2fx (%.0f + %.0f B per instance), "
                "apply time %.2fx (%.0f vs %.0f events/s)\n",
                memory_ratio, plain_instance, journey_extra, apply_ratio, rate(journey), rate(plain));
  }
  // The same stream and state size through the floor (absl::flat_hash_map + binary heap).
  auto floor_of = [&](const std::string& apply_name) {
    std::string floor_name = apply_name;
    floor_name.replace(0, std::string("BM_ApplyAt").size(), "BM_FloorAt");
    return rate(floor_name);
  };
  for (const auto& [name, r] : reporter.rates) {
    if (name.starts_with("BM_ApplyAtOpenInstances") && floor_of(name) > 0) {
      std::printf("  %-40s %10.0f events/s floor, engine %.2fx of it\n", name.c_str(),
                  floor_of(name), r / floor_of(name));
    }
  }
  // For bench/run: one machine-readable line, last, with every figure this run measured.
  std::string json = "{";
  auto add = [&](const std::string& key, double value) {
    if (json.size() > 1) json += ", ";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", value);
    json += "\"" + key + "\": " + buf;
  };
  add("simdjson_parse_events_per_s", parse);
  if (parse > 0 && rate("BM_Decode") > 0) add("decode_ratio", rate("BM_Decode") / parse);
  if (parse > 0 && rate("BM_DecodeApply") > 0) {
    add("engine_ratio", rate("BM_DecodeApply") / parse);
    add("decode_apply_events_per_s", rate("BM_DecodeApply"));
  }
  for (const auto& [name, r] : reporter.rates) {
    if (!name.starts_with("BM_ApplyAtOpenInstances/")) continue;
    std::string open = name.substr(name.find('/') + 1);
    open = open.substr(0, open.find('/'));
    add("apply_events_per_s_at_" + open, r);
    add("bytes_per_instance_rss_at_" + open,
        reporter.counters[name + ":bytes_per_instance_rss"]);
    add("bytes_per_instance_model_at_" + open,
        reporter.counters[name + ":bytes_per_instance_model"]);
    if (floor_of(name) > 0) {
      add("floor_events_per_s_at_" + open, floor_of(name));
      add("engine_floor_ratio_at_" + open, r / floor_of(name));
    }
  }
  if (memory_ratio > 0 && apply_ratio > 0) {
    add("journey_memory_ratio", memory_ratio);
    add("journey_apply_ratio", apply_ratio);
    add("journey_extra_bytes_per_instance", journey_extra);
    add("plain_bytes_per_instance_model", plain_instance);
  }
  std::printf("%s}\n", json.c_str());
  benchmark::Shutdown();
}
