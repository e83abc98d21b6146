// Checkpoint benchmarks (issue #7): for 1M and 10M open instances in one partition, the
// time to save the engine state (the engine-thread stall of a checkpoint), to write and
// fsync the file, to read it back and to restore the engine; and, for the daemon's
// one-partition-per-loop-turn rounds, the longest snapshot when the same instances are
// spread over 16 partitions. Baseline in the same run: building the state by applying
// the events. Run: build/bench/checkpoint_bench [instances...] (10M needs ~6 GB).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "daemon/file_checkpoint_store.h"
#include "handlers/sla_engine.h"

namespace handoff {
namespace {

using bench::kBase;

SlaEngine::Slas Slas() { return bench::LongAcceptSla(); }

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One open instance per order, ids remembered for dedupe as in a live partition.
SlaEngine Build(std::int64_t first, std::int64_t count) {
  SlaEngine engine(Slas(), EngineOptions{.lateness = 5 * kSecond});
  std::vector<Decision> out;
  for (std::int64_t i = first; i < first + count; ++i) {
    engine.Offer(Event{.id = "e-" + std::to_string(i),
                       .type = "handoff.requested",
                       .time = kBase + i,
                       .key = bench::OrderKey(i),
                       .attributes = {"sales", "operations", "silver"}},
                 out);
    out.clear();
  }
  engine.AdvanceFrontier(kBase + first + count, out);
  return engine;
}

void Run(std::int64_t instances, const std::string& dir) {
  std::printf("== %lld open instances, one partition\n", static_cast<long long>(instances));
  auto start = std::chrono::steady_clock::now();
  SlaEngine engine = Build(0, instances);
  double build = Seconds(start);
  std::printf("  baseline: build by applying events  %8.3f s\n", build);

  start = std::chrono::steady_clock::now();
  Checkpoint checkpoint{.engine_state = engine.SaveState(), .offsets = {{"orders", instances}}};
  double save_state = Seconds(start);
  std::printf("  SaveState (engine-thread stall)     %8.3f s  %6.1f MB  %5.0f ns/instance\n",
              save_state, checkpoint.engine_state.size() / 1e6, save_state * 1e9 / instances);

  auto store = FileCheckpointStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    std::exit(1);
  }
  start = std::chrono::steady_clock::now();
  if (auto error = (*store)->Save(0, checkpoint))
    std::fprintf(stderr, "%s\n", error->message.c_str());
  double write = Seconds(start);
  std::printf("  file write + fsync + rename (writer)%8.3f s\n", write);
  checkpoint = {};

  start = std::chrono::steady_clock::now();
  auto loaded = (*store)->Load(0);
  double read = Seconds(start);
  start = std::chrono::steady_clock::now();
  auto restored = SlaEngine::RestoreState(Slas(), EngineOptions{.lateness = 5 * kSecond},
                                          (*loaded)->engine_state);
  double restore = Seconds(start);
  std::printf("  file read + CRC check               %8.3f s\n", read);
  std::printf("  RestoreState                        %8.3f s  (%.2fx of build)\n", restore,
              restore / build);
  std::printf("  restore total (read + RestoreState) %8.3f s  goal <= 3 s at 10M\n",
              read + restore);
  if (!restored.ok() || restored->open_instances() != engine.open_instances()) {
    std::fprintf(stderr, "restore mismatch\n");
    std::exit(1);
  }
  // For bench/run: one machine-readable line per size.
  std::printf("{\"restore_instances\": %lld, \"restore_total_s\": %.3f, \"restore_state_s\": %.3f, "
              "\"restore_read_s\": %.3f, \"save_state_s\": %.3f, \"build_s\": %.3f}\n",
              static_cast<long long>(instances), read + restore, restore, read, save_state, build);
}

// The daemon snapshots one partition per loop turn, so its longest stall is the largest
// partition's SaveState.
void Spread(std::int64_t instances, int partitions) {
  std::printf("== %lld open instances over %d partitions\n", static_cast<long long>(instances),
              partitions);
  double longest = 0;
  for (int p = 0; p < partitions; ++p) {
    SlaEngine engine = Build(p * (instances / partitions), instances / partitions);
    auto start = std::chrono::steady_clock::now();
    std::string state = engine.SaveState();
    longest = std::max(longest, Seconds(start));
  }
  std::printf("  longest per-partition SaveState     %8.3f s  goal <= 0.050 s\n", longest);
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes;
  bool spread = true;  // --no-spread skips the 16-partition SaveState runs
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-spread") {
      spread = false;
    } else {
      sizes.push_back(std::atoll(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {1000000, 10000000};
  std::string dir = (std::filesystem::temp_directory_path() / "checkpoint_bench").string();
  for (std::int64_t n : sizes) {
    handoff::Run(n, dir);
    if (spread) handoff::Spread(n, 16);
  }
  std::filesystem::remove_all(dir);
}
