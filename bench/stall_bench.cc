// Engine stall benchmark: the longest single SlaEngine::Offer, the time the engine thread
// is stopped by one event. While it is stopped no breach is decided, so a long one delays
// breaches by that much. One event a millisecond of event time, a 1 h dedupe window and
// 1 h retention: 3.6M ids and ~1.8M remembered orders in steady state, so that every table
// grows, is swept and is compacted several times. Prints each Offer over 10 ms, and as its
// last line one JSON object. Usage: stall_bench [events, default 8000000]
//
// Each Offer is timed twice: on the wall clock (what a breach waits for) and on the
// thread's CPU clock (the engine's own work). On a shared machine the two differ by the
// time the thread waited for a core; the CPU figure is the one the engine's code sets.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "handlers/sla_engine.h"

int main(int argc, char** argv) {
  using namespace handoff;
  using Clock = std::chrono::steady_clock;
  const long events = argc > 1 ? std::atol(argv[1]) : 8'000'000;
  SlaEngine engine(bench::LongAcceptSla(),
                   EngineOptions{.lateness = 0, .dedupe_window = kHour, .retention = kHour});
  std::vector<Decision> out;
  auto cpu_ms = [] {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
  };
  double worst_ms = 0, worst_cpu_ms = 0, total_s = 0;
  long worst_at = 0, worst_cpu_at = 0, over_10ms = 0, over_5ms = 0, cpu_over_5ms = 0;
  for (long i = 0; i < events; ++i) {
    // Even events start an order named by the event's index, odd ones stop the order
    // started 10001 events earlier (the first few odd ones start their own).
    bool start = i % 2 == 0 || i < 10001;
    Event event{.id = "e" + std::to_string(i),
                .type = start ? "handoff.requested" : "handoff.accepted",
                .time = bench::kBase + i,
                .key = bench::OrderKey(start ? i : i - 10001),
                .attributes = {"sales", "operations", "silver"}};
    out.clear();
    double cpu_before = cpu_ms();
    Clock::time_point before = Clock::now();
    engine.Offer(std::move(event), out);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
    double cpu = cpu_ms() - cpu_before;
    total_s += ms / 1000;
    over_5ms += ms > 5;
    cpu_over_5ms += cpu > 5;
    if (ms > 10) {
      ++over_10ms;
      std::printf("event %9ld: %6.1f ms (CPU %.1f ms)\n", i, ms, cpu);
    }
    if (ms > worst_ms) {
      worst_ms = ms;
      worst_at = i;
    }
    if (cpu > worst_cpu_ms) {
      worst_cpu_ms = cpu;
      worst_cpu_at = i;
    }
  }
  std::printf("%ld events in %.2f s of Offer; the longest %.1f ms (event %ld), on the CPU "
              "%.1f ms (event %ld); %ld over 10 ms, %ld over 5 ms (%ld on the CPU)\n",
              events, total_s, worst_ms, worst_at, worst_cpu_ms, worst_cpu_at, over_10ms, over_5ms,
              cpu_over_5ms);
  std::printf("{\"engine_stall_max_ms\": %.1f, \"engine_stall_cpu_max_ms\": %.1f, "
              "\"engine_stall_events\": %ld, \"engine_stall_over_10ms\": %ld, "
              "\"engine_stall_over_5ms\": %ld, \"engine_stall_cpu_over_5ms\": %ld, "
              "\"engine_stall_offer_s\": %.2f}\n",
              worst_ms, worst_cpu_ms, events, over_10ms, over_5ms, cpu_over_5ms, total_s);
  return 0;
}
