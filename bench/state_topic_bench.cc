// The Kafka checkpoint store (checkpoint.store: kafka) against the file store, on
// librdkafka's mock cluster in this process (over TCP):
// 1. restore: N open instances over 64 partitions (the mock keeps ~5 MiB per partition),
//    restored the daemon's way (RestoreFromStore, one thread per core) from files and
//    from the state topic;
// 2. bytes written to the state topic per record read, while one partition's state grows
//    to N/20 open instances and a save is attempted every 1000 records (a checkpoint
//    interval's worth), with the byte budget and without it (value bytes before lz4).
// Run: build/bench/state_topic_bench [instances]   (default 1000000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "daemon/demo/demo_cluster.h"
#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/kafka_checkpoint_store.h"
#include "daemon/durability/partition_restore.h"
#include "daemon/host/engine_host.h"
#include "handlers/sla_engine.h"

namespace handoff {
namespace {

using bench::kBase;
constexpr int kPartitions = 64;
constexpr char kTopic[] = "handoff.state";

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(1);
}

Event Requested(std::int64_t i) {
  return Event{.id = "e-" + std::to_string(i),
               .type = "handoff.requested",
               .time = kBase + i,
               .key = bench::OrderKey(i),
               .attributes = {"sales", "operations", "silver"}};
}

std::shared_ptr<Config> BenchConfig() {
  auto config = std::make_shared<Config>();
  config->slas = *bench::LongAcceptSla();
  config->time.lateness = 5 * kSecond;
  return config;
}

std::unique_ptr<KafkaCheckpointStore> OpenKafka(const DemoCluster& cluster, std::size_t budget) {
  KafkaCheckpointStore::Options options;
  options.brokers = cluster.bootstrap_servers();
  options.properties = {{"log_level", "3"}};
  options.topic = kTopic;
  options.member = "bench";
  options.bytes_per_record = budget;
  auto store = KafkaCheckpointStore::Open(options, {});
  if (!store) Fail(store.error().message);
  return std::move(store).value();
}

// Restores every partition from `store` and checks the instance count.
double Restore(CheckpointStore& store, const EngineHost::Basis& basis, std::int64_t instances) {
  std::vector<std::int32_t> partitions;
  for (int p = 0; p < kPartitions; ++p) partitions.push_back(p);
  auto start = std::chrono::steady_clock::now();
  auto restored = RestoreFromStore(store, partitions, basis, RestoreThreads());
  double seconds = Seconds(start);
  std::size_t open = 0;
  for (const RestoredPartition& partition : restored) {
    if (partition.error) Fail(partition.error->message);
    if (!partition.engine) Fail("partition " + std::to_string(partition.partition) + " empty");
    open += partition.engine->open_instances();
  }
  if (open != static_cast<std::size_t>(instances)) Fail("restore mismatch");
  return seconds;
}

// One partition grows by one open instance per record; a save is attempted every
// `every` records, as a checkpoint round would. Returns bytes written per record.
double BytesPerRecord(const DemoCluster& cluster, std::size_t budget, std::int64_t records,
                      std::int64_t every, std::int32_t partition) {
  auto store = OpenKafka(cluster, budget);
  SlaEngine engine(bench::LongAcceptSla(), EngineOptions{.lateness = 5 * kSecond});
  std::vector<Decision> out;
  for (std::int64_t i = 0; i < records; ++i) {
    engine.Offer(Requested(i), out);
    out.clear();
    if ((i + 1) % every == 0) {
      Checkpoint checkpoint{.engine_state = engine.SaveState(), .offsets = {{"orders", i + 1}}};
      if (Status saved = store->Save(partition, checkpoint); !saved) Fail(saved.error().message);
    }
  }
  return static_cast<double>(store->bytes_written()) / static_cast<double>(records);
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  using namespace handoff;  // NOLINT: a benchmark's main
  std::int64_t instances = argc > 1 ? std::atoll(argv[1]) : 1000000;
  auto cluster = DemoCluster::Create(1, {{kTopic, kPartitions}});
  if (!cluster) Fail(cluster.error().message);
  std::string dir = (std::filesystem::temp_directory_path() / "state_topic_bench").string();
  auto files = FileCheckpointStore::Open(dir);
  if (!files) Fail(files.error().message);
  auto kafka = OpenKafka(**cluster, 0);

  std::printf("== %lld open instances over %d partitions\n", static_cast<long long>(instances),
              kPartitions);
  EngineHost host(BenchConfig());
  std::uint64_t state_bytes = 0;
  double file_save = 0, kafka_save = 0;
  const std::int64_t per = instances / kPartitions;
  for (int p = 0; p < kPartitions; ++p) {
    SlaEngine engine(bench::LongAcceptSla(), EngineOptions{.lateness = 5 * kSecond});
    std::vector<Decision> out;
    std::int64_t first = p * per;
    std::int64_t count = p + 1 < kPartitions ? per : instances - first;
    for (std::int64_t i = first; i < first + count; ++i) {
      engine.Offer(Requested(i), out);
      out.clear();
    }
    engine.AdvanceFrontier(kBase + first + count, out);
    Checkpoint checkpoint{.engine_state = engine.SaveState(), .offsets = {{"orders", count}}};
    state_bytes += checkpoint.engine_state.size();
    auto start = std::chrono::steady_clock::now();
    if (Status saved = (*files)->Save(p, checkpoint); !saved) Fail(saved.error().message);
    file_save += Seconds(start);
    start = std::chrono::steady_clock::now();
    if (Status saved = kafka->Save(p, checkpoint); !saved) Fail(saved.error().message);
    kafka_save += Seconds(start);
  }
  std::printf("  state %.1f MB; save all: files %.3f s, topic %.3f s (%.1f MB written, lz4)\n",
              state_bytes / 1e6, file_save, kafka_save, kafka->bytes_written() / 1e6);
  double from_files = Restore(**files, host.basis(), instances);
  auto reader = OpenKafka(**cluster, 0);  // another member: it claims and restores
  double from_topic = Restore(*reader, host.basis(), instances);
  std::printf(
      "  restore from files  %8.3f s\n  restore from topic  %8.3f s  (%.2fx of files, "
      "%u threads)\n",
      from_files, from_topic, from_topic / from_files, RestoreThreads());

  // Bytes per record while one partition's state grows, on a cluster of its own.
  const std::int64_t grown = instances / 20;
  auto growth = DemoCluster::Create(1, {{kTopic, kPartitions}});
  if (!growth) Fail(growth.error().message);
  double unbudgeted = BytesPerRecord(**growth, 0, grown, 1000, 0);
  double budgeted = BytesPerRecord(**growth, 256, grown, 1000, 1);
  std::printf(
      "  bytes written per record read, state growing to %lld instances, a save "
      "every 1000 records:\n    every save written %10.1f B\n    budget 256 B/record "
      "%10.1f B\n",
      static_cast<long long>(grown), unbudgeted, budgeted);
  std::printf(
      "{\"state_restore_instances\": %lld, \"state_restore_file_s\": %.3f, "
      "\"state_restore_topic_s\": %.3f, \"state_bytes_per_record\": %.1f, "
      "\"state_bytes_per_record_unbudgeted\": %.1f}\n",
      static_cast<long long>(instances), from_files, from_topic, budgeted, unbudgeted);
  std::filesystem::remove_all(dir);
}
