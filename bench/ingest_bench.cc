// Ingest benchmark (issue #6): one topic of 64 partitions in an in-process mock cluster,
// filled with ~200-byte CloudEvents, read twice in the same run: by a bare librdkafka
// consumer (the baseline: assign, consume batches, touch each payload) and by handoffd's
// KafkaEventSource feeding an EngineHost on an engine thread (consumer group, decode,
// mailbox, SLA engine, offset store). Prints both rates and handoffd / baseline.
// Rates are measured from the first record to the last one applied, so the group join
// (~3 s in the mock) does not count. Each side also reports the CPU time the whole process
// (mock cluster and librdkafka threads included) spent per event, and how many cores it
// kept busy: on a machine whose cores the baseline already fills, the ratio cannot beat
// baseline CPU / handoffd CPU per event. Usage: ingest_bench [events, default 1000000]
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "config/config_loader.h"
#include "daemon/demo/demo_cluster.h"
#include "daemon/demo/demo_config.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"
#include "daemon/ingest/kafka_event_source.h"

namespace {

using namespace handoff;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 64;
constexpr const char* kTopic = "bench";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ingest_bench: %s\n", message.c_str());
  std::exit(1);
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// What one side measured: its rate, and the CPU the process spent meanwhile.
struct Measured {
  double events_per_s = 0;
  double cpu_ns_per_event = 0;
  double cores_busy = 0;
  double engine_thread_busy = 0;  // handoffd only: the engine thread's share of one core
  std::string threads;            // ThreadShares over the measurement
};

// Each thread's time on a CPU and time runnable but waiting for one, from
// /proc/self/task/<tid>/schedstat (ns), keyed by thread id, with the thread's name.
struct ThreadTimes {
  std::string name;
  double run_s = 0, wait_s = 0;
};
std::map<std::string, ThreadTimes> ThreadTimesNow() {
  std::map<std::string, ThreadTimes> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm"), schedstat(task.path() / "schedstat");
    ThreadTimes t;
    double run_ns = 0, wait_ns = 0;
    if (std::getline(comm, t.name) && schedstat >> run_ns >> wait_ns) {
      t.run_s = run_ns / 1e9;
      t.wait_s = wait_ns / 1e9;
      threads[task.path().filename()] = t;
    }
  }
  return threads;
}

// Where the cores went between `before` and now: per thread name (summed over threads of
// that name), the share of one core it ran and waited for a core, busiest first.
std::string ThreadShares(const std::map<std::string, ThreadTimes>& before, double seconds) {
  std::map<std::string, std::pair<double, double>> by_name;
  for (const auto& [tid, now] : ThreadTimesNow()) {
    auto it = before.find(tid);
    double run = now.run_s - (it != before.end() ? it->second.run_s : 0);
    double wait = now.wait_s - (it != before.end() ? it->second.wait_s : 0);
    by_name[now.name].first += run / seconds;
    by_name[now.name].second += wait / seconds;
  }
  std::vector<std::pair<std::string, std::pair<double, double>>> sorted(by_name.begin(),
                                                                        by_name.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::string out;
  for (const auto& [name, share] : sorted) {
    if (share.first < 0.01) continue;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s%s %.2f (waiting %.2f)", out.empty() ? "" : ", ",
                  name.c_str(), share.first, share.second);
    out += buf;
  }
  return out;
}

// Ends a measurement that started at `first` with the process CPU time `cpu_first`.
Measured Finish(std::uint64_t events, Clock::time_point first, double cpu_first,
                const std::map<std::string, ThreadTimes>& threads_first) {
  double seconds = std::chrono::duration<double>(Clock::now() - first).count();
  double cpu = ProcessCpuSeconds() - cpu_first;
  return Measured{.events_per_s = double(events) / seconds,
                  .cpu_ns_per_event = cpu * 1e9 / double(events),
                  .cores_busy = cpu / seconds,
                  .threads = ThreadShares(threads_first, seconds)};
}

// Event j: order j/2's request (even j) or acceptance (odd j), both in partition order % 64.
std::string EventJson(std::uint64_t j, TimeMs t0) {
  std::uint64_t order = j / 2;
  bool accepted = j % 2 == 1;
  char buf[400];
  int n = std::snprintf(
      buf, sizeof buf,
      "{\"specversion\":\"1.0\",\"id\":\"e-%llu\",\"source\":\"/bench\",\"type\":\"%s\","
      "\"time\":\"%s\",\"subject\":\"order-%llu\",\"data\":{\"from\":\"sales\","
      "\"to\":\"operations\",\"customer_tier\":\"%s\"}}",
      static_cast<unsigned long long>(j), accepted ? "handoff.accepted" : "handoff.requested",
      FormatRfc3339(t0 + static_cast<TimeMs>(order) + (accepted ? 5 * kSecond : 0)).c_str(),
      static_cast<unsigned long long>(order), order % 5 == 0 ? "gold" : "standard");
  return std::string(buf, static_cast<std::size_t>(n));
}

void Produce(const std::string& brokers, std::uint64_t events) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [key, value] : {std::pair{"bootstrap.servers", brokers.c_str()},
                            std::pair{"linger.ms", "50"},
                            std::pair{"batch.num.messages", "10000"},
                            std::pair{"queue.buffering.max.messages", "1000000"}}) {
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) Die(errstr);
  }
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer == nullptr) Die(errstr);
  TimeMs t0 = 1'790'000'000'000;
  std::size_t bytes = 0;
  for (std::uint64_t j = 0; j < events; ++j) {
    std::string value = EventJson(j, t0);
    std::string key = "order-" + std::to_string(j / 2);
    bytes += value.size();
    auto partition = static_cast<std::int32_t>((j / 2) % kPartitions);
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(value.data(), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) Die(rd_kafka_err2str(err));
      rd_kafka_poll(producer, 10);
    }
  }
  if (rd_kafka_flush(producer, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("flush timed out");
  rd_kafka_destroy(producer);
  std::printf("produced %llu events, %.0f bytes each on average, %d partitions\n",
              static_cast<unsigned long long>(events), double(bytes) / double(events),
              kPartitions);
}

// The baseline: the least a consumer can do with these records.
Measured Baseline(const std::string& brokers, std::uint64_t events) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", brokers}, {"group.id", "bench-baseline"}, {"enable.auto.commit", "false"}};
  // The same pre-fetch queue as handoffd's consumer, so both fetch alike.
  for (const auto& [key, value] : ConsumerProperties(KafkaConfig())) {
    if (key.starts_with("queued.")) props.emplace_back(key, value);
  }
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      Die(errstr);
    }
  }
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (consumer == nullptr) Die(errstr);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
  for (int p = 0; p < kPartitions; ++p) {
    rd_kafka_topic_partition_list_add(list, kTopic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer);
  std::vector<rd_kafka_message_t*> messages(4096);
  std::uint64_t read = 0;
  std::size_t checksum = 0;
  Clock::time_point first;
  double cpu_first = 0;
  std::map<std::string, ThreadTimes> threads_first;
  while (read < events) {
    // consume_batch_queue waits until the batch is full or the timeout: ask for no more
    // than what is left, and wait 10 ms at most, so the last batch or a partition fetched
    // late never leaves this loop idle while records are there.
    std::size_t want = std::min<std::uint64_t>(messages.size(), events - read);
    ssize_t n = rd_kafka_consume_batch_queue(queue, 10, messages.data(), want);
    for (ssize_t i = 0; i < n; ++i) {
      if (messages[i]->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (read++ == 0) {
          first = Clock::now();
          cpu_first = ProcessCpuSeconds();
          threads_first = ThreadTimesNow();
        }
        checksum += messages[i]->len + static_cast<const char*>(messages[i]->payload)[0];
      }
      rd_kafka_message_destroy(messages[i]);
    }
  }
  Measured measured = Finish(events, first, cpu_first, threads_first);
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (checksum == 0) Die("no payload");
  return measured;
}

// A minimal engine thread: runs posted tasks in order (what the Daemon's io_context does).
class EngineThread {
 public:
  EngineThread() : thread_([this] { Run(); }) {}
  ~EngineThread() {
    Post({});
    thread_.join();
  }
  double CpuSeconds() {
    clockid_t id;
    timespec t{};
    if (pthread_getcpuclockid(thread_.native_handle(), &id) != 0) return 0;
    clock_gettime(id, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
  }
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    NameThisThread("engine");
    for (;;) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !tasks_.empty(); });
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      if (!task) return;
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

Measured Handoffd(const std::string& brokers, std::uint64_t events) {
  auto loaded = LoadConfigString(DemoConfigYaml(), "demo.yaml", [](const std::string&) {
    return std::optional<std::string>();
  });
  if (!loaded) Die("demo config does not load");
  Config config = std::move(loaded).value();
  config.kafka.brokers = brokers;
  config.kafka.group_id = "bench-handoffd";
  config.kafka.topics = {kTopic};
  config.kafka.breach_topic.clear();
  auto shared = std::make_shared<const Config>(std::move(config));

  SystemClock clock;
  EngineHost host(shared);
  EngineThread engine;
  KafkaEventSource source(shared, host, clock,
                          [&engine](std::function<void()> task) { engine.Post(std::move(task)); });
  if (Status started = source.Start(); !started) Die(started.error().message);

  // Applied = consumed counted by the engine thread; read on that thread.
  std::atomic<std::uint64_t> applied{0};
  Clock::time_point first;
  double cpu_first = 0, engine_cpu_first = 0;
  std::map<std::string, ThreadTimes> threads_first;
  bool started = false;
  while (applied.load() < events) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!started && source.records_read() > 0) {
      first = Clock::now();
      cpu_first = ProcessCpuSeconds();
      engine_cpu_first = engine.CpuSeconds();
      threads_first = ThreadTimesNow();
      started = true;
    }
    engine.Post([&] {
      std::uint64_t sum = 0;
      for (const auto& [_, n] : host.consumed()) sum += n;
      applied.store(sum);
    });
  }
  Measured measured = Finish(events, first, cpu_first, threads_first);
  measured.engine_thread_busy = (engine.CpuSeconds() - engine_cpu_first) * measured.events_per_s /
                                double(events);
  std::promise<void> stopped;
  engine.Post([&] {
    source.Stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  std::printf("handoffd applied %llu of them (the rest wait in the reorder buffer)\n",
              static_cast<unsigned long long>(host.totals().applied));
  return measured;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  Logger::Get().Configure(LogLevel::kWarn, LogFormat::kLogfmt, nullptr);
  auto cluster = DemoCluster::Create(1, {{kTopic, kPartitions}});
  if (!cluster) Die(cluster.error().message);
  Produce((*cluster)->bootstrap_servers(), events);
  Measured baseline = Baseline((*cluster)->bootstrap_servers(), events);
  std::printf("baseline  (bare librdkafka consumer): %10.0f events/s, %5.0f ns CPU/event, "
              "%.2f cores busy\n",
              baseline.events_per_s, baseline.cpu_ns_per_event, baseline.cores_busy);
  std::printf("  threads, cores: %s\n", baseline.threads.c_str());
  Measured handoffd = Handoffd((*cluster)->bootstrap_servers(), events);
  std::printf("handoffd  (KafkaEventSource + EngineHost): %10.0f events/s, %5.0f ns CPU/event, "
              "%.2f cores busy (the engine thread %.2f)\n",
              handoffd.events_per_s, handoffd.cpu_ns_per_event, handoffd.cores_busy,
              handoffd.engine_thread_busy);
  std::printf("  threads, cores: %s\n", handoffd.threads.c_str());
  double ratio = handoffd.events_per_s / baseline.events_per_s;
  std::printf("ratio handoffd / baseline: %.2f (goal >= 0.7); CPU per event baseline / handoffd: "
              "%.2f\n",
              ratio, baseline.cpu_ns_per_event / handoffd.cpu_ns_per_event);
  // For bench/run: one machine-readable line, last.
  std::printf("{\"ingest_ratio\": %.3f, \"ingest_events\": %llu, "
              "\"ingest_baseline_events_per_s\": %.0f, \"ingest_handoffd_events_per_s\": %.0f, "
              "\"ingest_baseline_cpu_ns_per_event\": %.0f, \"ingest_handoffd_cpu_ns_per_event\": %.0f, "
              "\"ingest_baseline_cores_busy\": %.2f, \"ingest_handoffd_cores_busy\": %.2f, "
              "\"ingest_engine_thread_busy\": %.2f}\n",
              ratio, static_cast<unsigned long long>(events), baseline.events_per_s,
              handoffd.events_per_s, baseline.cpu_ns_per_event, handoffd.cpu_ns_per_event,
              baseline.cores_busy, handoffd.cores_busy, handoffd.engine_thread_busy);
  return 0;
}
