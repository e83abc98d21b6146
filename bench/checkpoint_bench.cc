// Checkpoint benchmarks (issue #7): for 1M and 10M open instances in one partition, the
// time to save the engine state (the engine-thread stall of a checkpoint), to write and
// fsync the file, to read it back and to restore the engine. Then the same instances
// spread over 16 partitions: the longest snapshot (the daemon's rounds take one partition
// per loop turn), and the daemon's restart: 16 checkpoint files restored by the function
// the daemon calls on an assignment (RestoreFromStore, one worker thread per core) and
// installed as the engine thread does. Baseline in the same run: building the state by
// applying the events. Run: build/bench/checkpoint_bench [--no-spread] [instances...]
// (10M needs ~6 GB; --no-spread measures the one partition only).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/partition_restore.h"
#include "daemon/host/engine_host.h"
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

struct OnePartition {
  double total = 0, restore_state = 0, read = 0, save_state = 0, build = 0;
};

struct Spread {
  double restore_total = 0;  // RestoreFromStore + installs
  unsigned threads = 0;
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(1);
}

OnePartition Run(std::int64_t instances, const std::string& dir) {
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
  if (!store.ok()) Fail(store.error().message);
  start = std::chrono::steady_clock::now();
  if (Status saved = (*store)->Save(0, checkpoint); !saved)
    std::fprintf(stderr, "%s\n", saved.error().message.c_str());
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
    Fail("restore mismatch");
  }
  return OnePartition{.total = read + restore,
                      .restore_state = restore,
                      .read = read,
                      .save_state = save_state,
                      .build = build};
}

// The daemon snapshots one partition per loop turn, so its longest stall is the largest
// partition's SaveState. On a restart it restores an assignment's partitions together.
Spread RunSpread(std::int64_t instances, int partitions, const std::string& dir,
                 const OnePartition& one) {
  std::printf("== %lld open instances over %d partitions\n", static_cast<long long>(instances),
              partitions);
  auto config = std::make_shared<Config>();
  config->slas = *Slas();
  config->time.lateness = 5 * kSecond;
  EngineHost host(config);
  auto store = FileCheckpointStore::Open(dir);
  if (!store.ok()) Fail(store.error().message);
  double longest = 0;
  std::vector<std::int32_t> assigned;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t first = p * (instances / partitions);
    std::int64_t count = p + 1 < partitions ? instances / partitions : instances - first;
    SlaEngine engine = Build(first, count);
    auto start = std::chrono::steady_clock::now();
    Checkpoint checkpoint{.engine_state = engine.SaveState(), .offsets = {{"orders", count}}};
    longest = std::max(longest, Seconds(start));
    if (Status saved = (*store)->Save(p, checkpoint); !saved) Fail(saved.error().message);
    assigned.push_back(p);
  }
  std::printf("  longest per-partition SaveState     %8.3f s  goal <= 0.050 s\n", longest);

  Spread spread{.threads = RestoreThreads()};
  auto start = std::chrono::steady_clock::now();
  std::vector<RestoredPartition> restored =
      RestoreFromStore(**store, assigned, host.basis(), spread.threads);
  double restore = Seconds(start);
  start = std::chrono::steady_clock::now();
  for (RestoredPartition& partition : restored) {
    if (partition.error || !partition.engine) Fail("partition not restored");
    Status installed =
        host.Install(partition.partition, std::move(*partition.engine), partition.basis);
    if (!installed) Fail(installed.error().message);
  }
  double install = Seconds(start);
  spread.restore_total = restore + install;
  std::size_t open = 0;
  for (const auto& [_, partition] : host.partitions()) open += partition.engine.open_instances();
  if (open != static_cast<std::size_t>(instances)) Fail("restore mismatch over partitions");
  std::printf("  restore, the daemon's path          %8.3f s  goal <= 3 s at 10M  "
              "(%d files on %u threads; install %.3f s; one partition: %.3f s)\n",
              spread.restore_total, partitions, spread.threads, install, one.total);
  return spread;
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes;
  bool spread_too = true;  // --no-spread skips the 16-partition runs
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-spread") {
      spread_too = false;
    } else {
      sizes.push_back(std::atoll(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {1000000, 10000000};
  std::string dir = (std::filesystem::temp_directory_path() / "checkpoint_bench").string();
  for (std::int64_t n : sizes) {
    handoff::OnePartition one = handoff::Run(n, dir + "/one");
    std::optional<handoff::Spread> spread;
    if (spread_too) spread = handoff::RunSpread(n, 16, dir + "/spread", one);
    // For bench/run: one machine-readable line per size.
    std::printf("{\"restore_instances\": %lld, \"restore_total_s\": %.3f, "
                "\"restore_state_s\": %.3f, \"restore_read_s\": %.3f, \"save_state_s\": %.3f, "
                "\"build_s\": %.3f",
                static_cast<long long>(n), one.total, one.restore_state, one.read, one.save_state,
                one.build);
    if (spread) {
      std::printf(", \"restore_16p_total_s\": %.3f, \"restore_16p_threads\": %u",
                  spread->restore_total, spread->threads);
    }
    std::printf("}\n");
    std::fflush(stdout);
    std::filesystem::remove_all(dir);
  }
}
