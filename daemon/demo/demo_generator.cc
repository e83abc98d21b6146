#include "daemon/demo/demo_generator.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <queue>
#include <vector>

#include "daemon/demo/demo_orders.h"
#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"

namespace handoff {
namespace {

constexpr auto kTick = std::chrono::milliseconds(10);
constexpr int kFlushTimeoutMs = 3000;

TimeMs WallNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Due {
  TimeMs at;
  std::uint64_t order;
  std::size_t index;
  bool operator>(const Due& other) const {
    return at != other.at ? at > other.at : order != other.order ? order > other.order
                                                                 : index > other.index;
  }
};

}  // namespace

int DemoPartitionOf(std::string_view key, int partitions) {
  std::uint32_t hash = 2166136261u;
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return static_cast<int>(hash % static_cast<std::uint32_t>(partitions));
}

DemoGenerator::DemoGenerator(Options options) : options_(std::move(options)) {}

DemoGenerator::~DemoGenerator() {
  Stop();
  if (producer_ != nullptr) rd_kafka_destroy(static_cast<rd_kafka_t*>(producer_));
}

Status DemoGenerator::Start() {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> props[] = {
      {"bootstrap.servers", options_.bootstrap_servers},
      {"client.id", "handoffd-demo-generator"},
      {"linger.ms", "20"},
  };
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error{errstr};
    }
  }
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("demo generator: ") + errstr};
  }
  producer_ = producer;
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void DemoGenerator::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DemoGenerator::Loop() {
  NameThisThread("handoff-demogen");
  auto* producer = static_cast<rd_kafka_t*>(producer_);
  DemoOrderPlanner planner(options_.seed);
  std::map<std::uint64_t, std::pair<DemoOrder, std::size_t>> orders;  // -> events left
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t started = 0;

  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    TimeMs now = WallNow();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto target = static_cast<std::uint64_t>(elapsed * options_.rate) + 1;
    for (; started < target; ++started) {
      DemoOrder order = planner.Plan(started + 1);
      for (std::size_t i = 0; i < order.events.size(); ++i) {
        due.push({now + order.events[i].at, started + 1, i});
      }
      std::size_t count = order.events.size();
      orders.emplace(started + 1, std::make_pair(std::move(order), count));
      orders_started_.fetch_add(1);
    }
    while (!due.empty() && due.top().at <= now) {
      Due next = due.top();
      due.pop();
      auto it = orders.find(next.order);
      const DemoOrder& order = it->second.first;
      const PlannedEvent& event = order.events[next.index];
      std::string value = DemoOrderPlanner::CloudEvent(order, next.index, now);
      const std::string& topic = event.topic == DemoTopic::kOrders ? options_.orders_topic
                                                                   : options_.handoffs_topic;
      int partition = DemoPartitionOf(order.key, options_.partitions);
      for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(order.key.data(), order.key.size()),
            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          LogWarn("demo event not produced", {{"error", rd_kafka_err2str(err)}});
          break;
        }
        rd_kafka_poll(producer, 10);
      }
      events_produced_.fetch_add(1);
      if (--it->second.second == 0) orders.erase(it);
    }
    rd_kafka_poll(producer, 0);
    lock.lock();
    wake_.wait_for(lock, kTick, [this] { return stopping_; });
  }
  lock.unlock();
  rd_kafka_flush(producer, kFlushTimeoutMs);
}

}  // namespace handoff
