// Synthetic orders for `handoffd demo`: a thread that starts `rate` orders per second,
// plans each with DemoOrderPlanner and produces its events to the (mock) cluster when
// they fall due, stamped with the wall clock. An order's events all go to the same
// partition number of both topics (the topics are co-partitioned). Owner: the demo
// command; Start and Stop from one thread, the counters from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "handlers/result.h"

namespace handoff {

class DemoGenerator {
 public:
  struct Options {
    std::string bootstrap_servers;
    std::uint32_t rate = 50;  // orders per second
    int partitions = 4;       // of each topic
    std::uint64_t seed = 1;
    std::string orders_topic = "orders";
    std::string handoffs_topic = "handoffs";
  };

  explicit DemoGenerator(Options options);
  ~DemoGenerator();  // Stop()s
  DemoGenerator(const DemoGenerator&) = delete;
  DemoGenerator& operator=(const DemoGenerator&) = delete;

  Status Start();
  void Stop();  // stops producing and flushes what was produced (bounded)

  std::uint64_t orders_started() const { return orders_started_.load(); }
  std::uint64_t events_produced() const { return events_produced_.load(); }

 private:
  void Loop();

  Options options_;
  void* producer_ = nullptr;  // rd_kafka_t*, kept out of this header
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> orders_started_{0};
  std::atomic<std::uint64_t> events_produced_{0};
};

// The partition an order key goes to in every topic (FNV-1a, so it is stable).
int DemoPartitionOf(std::string_view key, int partitions);

}  // namespace handoff
