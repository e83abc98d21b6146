#include "daemon/kafka_event_source.h"

#include <librdkafka/rdkafka.h>

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "daemon/engine_host.h"
#include "daemon/logger.h"
#include "daemon/rate_limited_log.h"
#include "daemon/thread_name.h"
#include "handlers/decoder.h"

namespace handoff {
namespace {

constexpr int kConsumeTimeoutMs = 100;
// How long a revocation waits for the engine to apply what was read from the revoked
// partitions before it commits anyway (the engine thread is never blocked for long).
constexpr auto kRevokeDrainTimeout = std::chrono::seconds(10);
constexpr DurationMs kRefreshInterval = kSecond;  // lag and caught-up of idle partitions
constexpr DurationMs kWarnInterval = 10 * kSecond;
constexpr int kFlushTimeoutMs = 5000;
// How long leaving the consumer group may take at shutdown. With no broker reachable
// librdkafka's own close waits ~45 s for the coordinator, longer than systemd's stop
// timeout; the checkpoints' offsets are the ones that count, so giving up is safe.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
constexpr int kWatermarkQueryTimeoutMs = 1000;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using TopicPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// (topic index in the config's topic list, partition)
using TopicPartition = std::pair<int, std::int32_t>;

// One mailbox entry. Everything in it is applied on the engine thread, in this order:
// assignments, events, the offsets reached (Hooks::applied), counts, lag and caught-up
// flags, readiness, revocations, and then the offsets are stored, because now the events
// are in engine state.
struct Batch {
  std::vector<std::int32_t> assign;
  std::vector<std::pair<std::int32_t, Event>> events;
  std::array<std::uint64_t, kAllRejectReasons.size()> rejected{};
  std::vector<std::uint64_t> consumed;  // by topic index
  struct Lag {
    std::int32_t partition;
    int topic;
    std::int64_t lag;
  };
  std::vector<Lag> lag;
  std::vector<std::pair<std::int32_t, bool>> caught_up;
  std::optional<bool> ready;
  std::vector<std::int32_t> revoke;
  std::map<TopicPartition, std::int64_t> offsets;  // next offset to read
  std::shared_ptr<std::promise<void>> applied;     // fulfilled once the engine ran it

  bool empty() const {
    return assign.empty() && events.empty() && offsets.empty() && lag.empty() &&
           caught_up.empty() && !ready && revoke.empty() && !applied &&
           std::all_of(rejected.begin(), rejected.end(), [](auto n) { return n == 0; });
  }
};

LogLevel LevelOfSyslog(int level) {
  if (level <= 3) return LogLevel::kError;
  if (level == 4) return LogLevel::kWarn;
  if (level <= 6) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

// librdkafka's own log lines go through our logger (any librdkafka thread).
void OnLibraryLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  Logger::Get().Log(LevelOfSyslog(level), "librdkafka",
                    {{"facility", facility}, {"detail", message}});
}

std::optional<Error> SetAll(rd_kafka_conf_t* conf,
                            const std::vector<std::pair<std::string, std::string>>& props) {
  char errstr[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return Error{"kafka property " + key + ": " + errstr};
    }
  }
  return std::nullopt;
}

void LogAndFree(std::string_view what, rd_kafka_error_t* error) {
  if (error == nullptr) return;
  LogError(what, {{"error", rd_kafka_error_string(error)}});
  rd_kafka_error_destroy(error);
}

// Consumer settings the dead-letter producer would only warn about.
bool IsConsumerOnly(std::string_view key) {
  for (std::string_view prefix :
       {"group.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "auto.offset.reset", "enable.auto.", "auto.commit.", "partition.assignment.strategy",
        "fetch.", "queued.", "isolation.level", "enable.partition.eof", "check.crcs",
        "consume.callback.max.messages", "coordinator.query.interval.ms"}) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ConsumerProperties(const KafkaConfig& kafka) {
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", kafka.brokers},
      {"group.id", kafka.group_id},
      {"client.id", "handoffd"},
      // A new group reads what is already there: events before start-up still count.
      {"auto.offset.reset", "earliest"},
      // Eager "range" gives one member the same partition numbers of every topic, which
      // co-partitioned topics need (partition p of each topic feeds engine partition p).
      // Not "cooperative-sticky", even with one topic: with librdkafka 2.0.2 a member
      // stopped during a cooperative rebalance aborted in rd_kafka_consumer_close
      // ("rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS") in the group test's
      // rolling restart; upstream fixed cooperative close bugs after 2.0 (#4312, #4527).
      {"partition.assignment.strategy", "range"},
      // Broker states arrive with the statistics: how readiness notices a recovery.
      {"statistics.interval.ms", "1000"},
      // The pre-fetch queue is shared by all partitions of a group consumer, and once it
      // is over either limit librdkafka 2.0 stops fetching until its broker thread looks
      // again, up to a second later (fetch.queue.backoff.ms, which tunes that, is 2.1+).
      // While catching up on a backlog the queue must therefore hold more than a second
      // of what the engine applies, or the consumer idles: 256 MB is ~1.3 M events of
      // ~200 bytes, ~1.5 s at the engine's rate. The message count is set high so that
      // the bytes bound it (500k messages idled the consumer ~20-40 % of a catch-up:
      // docs/performance.md). Lower both in kafka.properties to trade that for memory.
      {"queued.min.messages", "5000000"},
      {"queued.max.messages.kbytes", "262144"},
  };
  // Static membership: restarted under the same id, a member gets its partitions back
  // without waiting for the broker to expire its old session.
  if (!kafka.group_instance_id.empty()) {
    props.emplace_back("group.instance.id", kafka.group_instance_id);
  }
  for (const auto& [key, value] : kafka.properties) props.emplace_back(key, value);
  props.emplace_back("enable.auto.offset.store", "false");  // stored after the engine ran
  props.emplace_back("enable.partition.eof", "true");       // how caught-up is noticed
  return props;
}

// rd_kafka_destroy waits for every request in flight, and an offset commit to a group
// coordinator that is gone holds it for about session.timeout.ms (45 s by default), past
// systemd's stop timeout. By then every partition is checkpointed, so after
// kCloseTimeout the handle is left to the process exit. The consumer was closed (or
// given up on) in Loop(), so destroying it must not close it again.
void DestroyBounded(rd_kafka_t* consumer) {
  auto destroyed = std::make_shared<std::promise<void>>();
  auto done = destroyed->get_future();
  std::thread([consumer, destroyed] {
    rd_kafka_destroy_flags(consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    destroyed->set_value();
  }).detach();
  if (done.wait_for(kCloseTimeout) == std::future_status::timeout) {
    LogWarn("kafka consumer not destroyed in time: left to the process exit");
  }
}

struct KafkaEventSource::Worker {
  Worker(std::shared_ptr<const Config> config_in, EngineHost& host_in, const Clock& clock_in,
         Poster post_in, Options options_in)
      : config(std::move(config_in)),
        host(host_in),
        clock(clock_in),
        post(std::move(post_in)),
        options(options_in),
        decoder(config->events),
        error_log(kWarnInterval) {
    reject_log.fill(LogRateLimiter(kWarnInterval));
  }

  ~Worker() {
    if (queue != nullptr) rd_kafka_queue_destroy(queue);
    if (consumer != nullptr) DestroyBounded(consumer);
    if (producer != nullptr) rd_kafka_destroy(producer);
  }

  // ---- set up (engine thread, before the consumer thread exists)

  std::optional<Error> Start() {
    const KafkaConfig& kafka = config->kafka;
    if (kafka.topics.empty()) return Error{"kafka.topics is empty"};
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (auto error = SetAll(conf, ConsumerProperties(kafka))) {
      rd_kafka_conf_destroy(conf);
      return error;
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, &Worker::OnRebalance);
    rd_kafka_conf_set_error_cb(conf, &Worker::OnError);
    rd_kafka_conf_set_stats_cb(conf, &Worker::OnStats);
    rd_kafka_conf_set_log_cb(conf, &OnLibraryLog);
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (consumer == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error{std::string("kafka consumer: ") + errstr};
    }
    // Every callback (rebalance, error, statistics) is served on the consumer thread.
    rd_kafka_poll_set_consumer(consumer);
    queue = rd_kafka_queue_get_consumer(consumer);

    if (!kafka.dead_letter_topic.empty()) {
      rd_kafka_conf_t* pconf = rd_kafka_conf_new();
      std::vector<std::pair<std::string, std::string>> props = {
          {"bootstrap.servers", kafka.brokers}, {"client.id", "handoffd-dead-letters"}};
      for (const auto& [key, value] : kafka.properties) {
        if (!IsConsumerOnly(key)) props.emplace_back(key, value);
      }
      if (auto error = SetAll(pconf, props)) {
        rd_kafka_conf_destroy(pconf);
        return error;
      }
      rd_kafka_conf_set_opaque(pconf, this);
      rd_kafka_conf_set_dr_msg_cb(pconf, &Worker::OnDelivery);
      rd_kafka_conf_set_log_cb(pconf, &OnLibraryLog);
      producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
      if (producer == nullptr) {
        rd_kafka_conf_destroy(pconf);
        return Error{std::string("kafka dead-letter producer: ") + errstr};
      }
    }

    TopicPartitionList topics(rd_kafka_topic_partition_list_new(kafka.topics.size()));
    for (const std::string& topic : kafka.topics) {
      rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, topics.get())) {
      return Error{std::string("kafka subscribe: ") + rd_kafka_err2str(err)};
    }
    next.consumed.assign(kafka.topics.size(), 0);
    next.events.reserve(options.max_batch);
    thread = std::thread([this] { Loop(); });
    return std::nullopt;
  }

  // ---- the consumer thread

  void Loop() {
    NameThisThread("handoff-consume");
    std::vector<rd_kafka_message_t*> messages(options.max_batch);
    while (!stopping.load(std::memory_order_relaxed)) {
      // Rebalance, error and statistics callbacks run inside this call.
      ssize_t n = rd_kafka_consume_batch_queue(queue, kConsumeTimeoutMs, messages.data(),
                                               messages.size());
      for (ssize_t i = 0; i < n; ++i) {
        Handle(messages[i]);
        rd_kafka_message_destroy(messages[i]);
      }
      Refresh(clock.Now());
      Flush();
      if (producer != nullptr) rd_kafka_poll(producer, 0);
    }
    CloseConsumer();
    Flush();
    if (producer != nullptr && rd_kafka_flush(producer, kFlushTimeoutMs) != 0) {
      LogWarn("dead letters not delivered at shutdown",
              {{"pending", std::to_string(rd_kafka_outq_len(producer))}});
    }
    {
      std::lock_guard lock(mutex);
      finished = true;
    }
    changed.notify_all();
  }

  int TopicIndex(const char* name) const {
    const auto& topics = config->kafka.topics;
    for (std::size_t i = 0; i < topics.size(); ++i) {
      if (topics[i] == name) return static_cast<int>(i);
    }
    return -1;
  }

  void Handle(const rd_kafka_message_t* message) {
    int topic = message->rkt != nullptr ? TopicIndex(rd_kafka_topic_name(message->rkt)) : -1;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      HandleError(message, topic);
      return;
    }
    auto it = assigned.find({topic, message->partition});
    if (it == assigned.end()) return;  // from a partition revoked since it was fetched
    records_read.fetch_add(1, std::memory_order_relaxed);
    brokers_down = false;

    record.value = std::string_view(static_cast<const char*>(message->payload),
                                    message->payload != nullptr ? message->len : 0);
    record.key = std::string_view(static_cast<const char*>(message->key),
                                  message->key != nullptr ? message->key_len : 0);
    record.headers.clear();
    rd_kafka_headers_t* headers = nullptr;
    // Only CloudEvents' binary mode reads headers, and librdkafka allocates a header list
    // per message to parse them (a sixth of this thread's time in ingest_bench's profile).
    if (decoder.format().format == PayloadFormat::kCloudEvents &&
        rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        record.headers.emplace_back(
            name, std::string_view(static_cast<const char*>(value), value != nullptr ? size : 0));
      }
    }

    auto decoded = decoder.Decode(record);
    if (decoded) {
      next.events.emplace_back(message->partition, std::move(decoded).value());
    } else {
      Reject(message, topic, decoded.error());
    }
    ++next.consumed[static_cast<std::size_t>(topic)];
    next.offsets[{topic, message->partition}] = message->offset + 1;
    it->second.next_offset = message->offset + 1;
    touched.insert(it->first);
  }

  void HandleError(const rd_kafka_message_t* message, int topic) {
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      auto it = assigned.find({topic, message->partition});
      if (it == assigned.end()) return;
      it->second.next_offset = std::max(it->second.next_offset, message->offset);
      it->second.at_eof = true;
      brokers_down = false;
      touched.insert(it->first);
      return;
    }
    if (message->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
      ++next.rejected[static_cast<std::size_t>(RejectReason::kTooLarge)];
    }
    if (auto suppressed = error_log.Allow(clock.Now())) {
      LogWarn("kafka consumer error",
              {{"error", rd_kafka_message_errstr(message)},
               {"topic", topic >= 0 ? config->kafka.topics[topic] : std::string()},
               {"partition", std::to_string(message->partition)},
               {"suppressed", std::to_string(*suppressed)}});
    }
  }

  void Reject(const rd_kafka_message_t* message, int topic, RejectReason reason) {
    ++next.rejected[static_cast<std::size_t>(reason)];
    const std::string& topic_name = config->kafka.topics[static_cast<std::size_t>(topic)];
    if (auto suppressed = reject_log[static_cast<std::size_t>(reason)].Allow(clock.Now())) {
      LogWarn("record rejected", {{"reason", std::string(RejectReasonName(reason))},
                                  {"topic", topic_name},
                                  {"partition", std::to_string(message->partition)},
                                  {"offset", std::to_string(message->offset)},
                                  {"suppressed", std::to_string(*suppressed)}});
    }
    if (producer != nullptr) DeadLetter(message, topic_name, reason);
  }

  // Sends the record as it came (a too-large one without its value) to the dead-letter
  // topic, with why and where it was in headers. Never blocks for long.
  void DeadLetter(const rd_kafka_message_t* message, const std::string& topic_name,
                  RejectReason reason) {
    rd_kafka_headers_t* original = nullptr;
    rd_kafka_headers_t* headers =
        rd_kafka_message_headers(message, &original) == RD_KAFKA_RESP_ERR_NO_ERROR
            ? rd_kafka_headers_copy(original)
            : rd_kafka_headers_new(4);
    std::string_view reason_name = RejectReasonName(reason);
    std::string partition = std::to_string(message->partition);
    std::string offset = std::to_string(message->offset);
    rd_kafka_header_add(headers, kRejectReasonHeader, -1, reason_name.data(),
                        static_cast<ssize_t>(reason_name.size()));
    rd_kafka_header_add(headers, kOriginalTopicHeader, -1, topic_name.data(),
                        static_cast<ssize_t>(topic_name.size()));
    rd_kafka_header_add(headers, kOriginalPartitionHeader, -1, partition.data(),
                        static_cast<ssize_t>(partition.size()));
    rd_kafka_header_add(headers, kOriginalOffsetHeader, -1, offset.data(),
                        static_cast<ssize_t>(offset.size()));
    bool with_value = reason != RejectReason::kTooLarge && message->payload != nullptr;
    void* value = with_value ? message->payload : nullptr;
    std::size_t value_len = with_value ? message->len : 0;
    void* key = message->key;
    std::size_t key_len = key != nullptr ? message->key_len : 0;
    const std::string& dlq = config->kafka.dead_letter_topic;
    for (int attempt = 0; attempt < 2; ++attempt) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(dlq.c_str()), RD_KAFKA_V_KEY(key, key_len),
          RD_KAFKA_V_VALUE(value, value_len),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // the producer owns the headers now
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt == 1) {
        LogError("dead letter not sent", {{"topic", dlq}, {"error", rd_kafka_err2str(err)}});
        break;
      }
      rd_kafka_poll(producer, 100);  // make room: delivery reports free the queue
    }
    rd_kafka_headers_destroy(headers);
  }

  // Lag and caught-up for the partitions read from in this round (every partition once
  // a second), from the watermarks librdkafka caches with each fetch: no broker round
  // trip. A topic partition is caught up when it has read up to the high watermark;
  // an engine partition when all of its topics are, and never while the brokers are down.
  void Refresh(TimeMs now) {
    if (brokers_down) {
      confirm_watermarks = true;
    } else if (confirm_watermarks) {
      confirm_watermarks = !ConfirmWatermarks();
    }
    if (now >= next_refresh) {
      next_refresh = now + kRefreshInterval;
      for (const auto& [tp, _] : assigned) touched.insert(tp);
    }
    std::set<std::int32_t> partitions;
    for (const TopicPartition& tp : touched) {
      auto it = assigned.find(tp);
      if (it == assigned.end()) continue;
      TopicPartitionState& state = it->second;
      std::int64_t low = -1;
      std::int64_t high = -1;
      rd_kafka_get_watermark_offsets(consumer, config->kafka.topics[tp.first].c_str(), tp.second,
                                     &low, &high);
      high = std::max(high, state.confirmed_high);
      bool caught_up = false;
      if (state.next_offset >= 0 && high >= 0) {
        std::int64_t lag = std::max<std::int64_t>(0, high - state.next_offset);
        caught_up = lag == 0;
        if (lag != state.lag) {
          state.lag = lag;
          next.lag.push_back({tp.second, tp.first, lag});
        }
      } else if (state.at_eof) {
        caught_up = true;  // reached the end before any watermark was cached
      }
      state.caught_up = caught_up && !brokers_down && !confirm_watermarks;
      partitions.insert(tp.second);
    }
    touched.clear();
    for (std::int32_t partition : partitions) {
      bool all = true;
      for (std::size_t t = 0; t < config->kafka.topics.size(); ++t) {
        auto it = assigned.find({static_cast<int>(t), partition});
        if (it != assigned.end() && !it->second.caught_up) all = false;
      }
      auto [posted, inserted] = caught_up_posted.try_emplace(partition, all);
      if (inserted || posted->second != all) {
        posted->second = all;
        next.caught_up.emplace_back(partition, all);
      }
    }
    bool ready = assignment_received && !brokers_down;
    if (ready != ready_posted) {
      ready_posted = ready;
      next.ready = ready;
      if (ready) {
        LogInfo("kafka consumer ready", {{"partitions", std::to_string(assigned.size())}});
      } else if (!stopping.load(std::memory_order_relaxed)) {
        LogWarn(brokers_down ? "kafka consumer not ready: brokers unreachable"
                             : "kafka consumer not ready: rebalancing");
      }
    }
  }

  // After an outage the cached high watermarks may be stale, and a partition that looks
  // caught up would move its frontier with the wall clock past records it has not read
  // yet. So ask the brokers once (blocking, but only here, after an outage). Returns
  // false if some partition could not be asked; Refresh tries again next round.
  bool ConfirmWatermarks() {
    bool all = true;
    for (auto& [tp, state] : assigned) {
      std::int64_t low = -1;
      std::int64_t high = -1;
      if (rd_kafka_query_watermark_offsets(consumer, config->kafka.topics[tp.first].c_str(),
                                           tp.second, &low, &high, kWatermarkQueryTimeoutMs) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        state.confirmed_high = std::max(state.confirmed_high, high);
      } else {
        all = false;
      }
      touched.insert(tp);
    }
    return all;
  }

  // Hands the round's batch to the engine thread. Waits while the mailbox is full, so
  // a slow engine slows the consumer instead of growing memory.
  void Flush() {
    if (next.empty()) return;
    Batch batch = std::move(next);
    next = Batch();
    next.consumed.assign(config->kafka.topics.size(), 0);
    next.events.reserve(options.max_batch);  // not regrown (moving every event) per batch
    bool post_drain = false;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return mailbox.size() < options.max_queued_batches; });
      mailbox.push_back(std::move(batch));
      post_drain = !drain_posted;
      drain_posted = true;
    }
    changed.notify_all();
    if (post_drain) {
      std::weak_ptr<Worker> weak = self_weak;
      post([weak] {
        if (auto self = weak.lock()) self->Drain();
      });
    }
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Worker*>(opaque);
    bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->OnAssigned(partitions);
      if (cooperative) {
        LogAndFree("kafka incremental assign", rd_kafka_incremental_assign(rk, partitions));
      } else {
        rd_kafka_assign(rk, partitions);
      }
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      LogError("kafka rebalance failed", {{"error", rd_kafka_err2str(err)}});
    }
    self->OnRevoked(rk, partitions);
    if (cooperative) {
      LogAndFree("kafka incremental unassign", rd_kafka_incremental_unassign(rk, partitions));
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }

  void OnAssigned(rd_kafka_topic_partition_list_t* partitions) {
    Flush();
    std::string list;
    std::vector<std::int32_t> fresh;  // engine partitions new to this member
    for (int i = 0; i < partitions->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = partitions->elems[i];
      int topic = TopicIndex(tp.topic);
      if (topic < 0) continue;
      bool engine_partition_known = HasEnginePartition(tp.partition);
      if (!assigned.try_emplace({topic, tp.partition}).second) continue;
      if (!engine_partition_known) fresh.push_back(tp.partition);
      list += (list.empty() ? "" : ",") + std::string(tp.topic) + "/" + std::to_string(tp.partition);
      touched.insert({topic, tp.partition});
    }
    SetStartOffsets(partitions, fresh);
    next.assign.insert(next.assign.end(), fresh.begin(), fresh.end());
    assignment_received = true;
    LogInfo("kafka partitions assigned", {{"partitions", list}});
    Refresh(clock.Now());
    Flush();
  }

  // Asks the hook, once for the whole assignment, where the new partitions' topics start
  // (their checkpoints) and writes that into the assignment, so the first record read is
  // the one after the checkpoint.
  void SetStartOffsets(rd_kafka_topic_partition_list_t* partitions,
                       const std::vector<std::int32_t>& fresh) {
    if (!options.hooks.start_offsets || fresh.empty()) return;
    std::map<std::int32_t, Offsets> starts = options.hooks.start_offsets(fresh);
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = partitions->elems[i];
      auto offsets = starts.find(tp.partition);
      if (offsets == starts.end()) continue;
      auto it = offsets->second.find(tp.topic);
      if (it != offsets->second.end()) tp.offset = it->second;
    }
  }

  // Drops the partitions: everything already read from them is applied by the engine
  // (we wait for it), their offsets are stored and committed, and then the engine
  // forgets their state. The next owner starts at the committed offset: nothing is
  // counted twice.
  void OnRevoked(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions) {
    Flush();
    std::string list;
    std::vector<std::int32_t> gone;
    for (int i = 0; i < partitions->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = partitions->elems[i];
      int topic = TopicIndex(tp.topic);
      if (assigned.erase({topic, tp.partition}) == 0) continue;
      list += (list.empty() ? "" : ",") + std::string(tp.topic) + "/" + std::to_string(tp.partition);
      if (!HasEnginePartition(tp.partition)) {
        next.revoke.push_back(tp.partition);
        caught_up_posted.erase(tp.partition);
      }
    }
    // Not ready again until the next assignment (eager) or while nothing is left (cooperative).
    assignment_received = !assigned.empty();
    Refresh(clock.Now());
    LogInfo("kafka partitions revoked", {{"partitions", list}});
    auto applied = std::make_shared<std::promise<void>>();
    std::future<void> done = applied->get_future();
    next.applied = applied;
    Flush();
    if (done.wait_for(kRevokeDrainTimeout) != std::future_status::ready) {
      LogWarn("engine did not apply the revoked partitions' records in time; committing anyway");
    }
    if (rd_kafka_assignment_lost(rk)) return;  // someone else owns them already
    // A synchronous commit waits for the group coordinator; with every broker down that
    // would hold a shutdown for ~45 s. Then commit asynchronously: the partitions are
    // checkpointed, and the checkpoints' offsets are the ones that count (DESIGN.md §9).
    rd_kafka_resp_err_t err = rd_kafka_commit(rk, nullptr, brokers_down ? 1 : 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      LogWarn("kafka commit on revoke failed", {{"error", rd_kafka_err2str(err)}});
    }
  }

  bool HasEnginePartition(std::int32_t partition) const {
    for (std::size_t t = 0; t < config->kafka.topics.size(); ++t) {
      if (assigned.count({static_cast<int>(t), partition}) != 0) return true;
    }
    return false;
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Worker*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->brokers_down = true;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char detail[512];
      rd_kafka_fatal_error(rk, detail, sizeof detail);
      LogError("kafka fatal error", {{"error", detail}});
      return;
    }
    if (auto suppressed = self->error_log.Allow(self->clock.Now())) {
      LogWarn("kafka error", {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                              {"detail", reason},
                              {"suppressed", std::to_string(*suppressed)}});
    }
  }

  // The statistics say which brokers are connected: one "UP" ends an outage.
  static int OnStats(rd_kafka_t*, char* json, std::size_t len, void* opaque) {
    auto* self = static_cast<Worker*>(opaque);
    if (std::string_view(json, len).find("\"state\":\"UP\"") != std::string_view::npos) {
      self->brokers_down = false;
    }
    return 0;  // librdkafka frees the JSON
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LogError("dead letter not delivered", {{"error", rd_kafka_err2str(message->err)}});
    }
  }

  // ---- the engine thread

  void Drain() {
    std::deque<Batch> batches;
    {
      std::lock_guard lock(mutex);
      batches.swap(mailbox);
      drain_posted = false;
    }
    changed.notify_all();
    for (Batch& batch : batches) {
      try {
        Apply(batch);
      } catch (const std::exception& e) {  // nothing may escape into the io_context
        LogError("applying a kafka batch failed", {{"error", e.what()}});
      }
      if (batch.applied) batch.applied->set_value();
    }
  }

  void Apply(Batch& batch) {
    const auto& topics = config->kafka.topics;
    const Hooks& hooks = options.hooks;
    for (std::int32_t partition : batch.assign) {
      if (hooks.assign) {
        hooks.assign(partition);
      } else {
        host.Assign(partition);
      }
    }
    TimeMs now = clock.Now();
    host.Offer(batch.events, now);
    for (std::size_t t = 0; t < batch.consumed.size(); ++t) {
      if (batch.consumed[t] != 0) host.CountConsumed(topics[t], batch.consumed[t]);
    }
    for (RejectReason reason : kAllRejectReasons) {
      for (std::uint64_t n = batch.rejected[static_cast<std::size_t>(reason)]; n > 0; --n) {
        host.CountRejected(reason);
      }
    }
    for (const Batch::Lag& lag : batch.lag) host.SetLag(lag.partition, topics[lag.topic], lag.lag);
    for (const auto& [partition, caught_up] : batch.caught_up) host.SetCaughtUp(partition, caught_up);
    if (batch.ready) host.SetReady(*batch.ready);
    if (hooks.applied) {
      for (const auto& [tp, offset] : batch.offsets) hooks.applied(tp.second, topics[tp.first], offset);
    }
    for (std::int32_t partition : batch.revoke) {
      if (hooks.revoke) {
        hooks.revoke(partition);
      } else {
        host.Revoke(partition);
      }
    }
    if (batch.offsets.empty()) return;
    TopicPartitionList offsets(rd_kafka_topic_partition_list_new(batch.offsets.size()));
    for (const auto& [tp, offset] : batch.offsets) {
      rd_kafka_topic_partition_list_add(offsets.get(), topics[tp.first].c_str(), tp.second)
          ->offset = offset;
    }
    // Thread-safe; fails harmlessly for a partition revoked meanwhile.
    rd_kafka_offsets_store(consumer, offsets.get());
  }

  // Leaves the group. The revocation (OnRebalance, served from the close queue) waits for
  // Stop() on the engine thread to apply the mailbox, then commits. After kCloseTimeout
  // the group is abandoned: partitions never revoked are checkpointed by the daemon's
  // shutdown, and the group coordinator expires the member after session.timeout.ms.
  void CloseConsumer() {
    rd_kafka_queue_t* close_queue = rd_kafka_queue_new(consumer);
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(consumer, close_queue)) {
      LogWarn("kafka consumer close failed", {{"error", rd_kafka_error_string(error)}});
      rd_kafka_error_destroy(error);
    } else {
      auto deadline = std::chrono::steady_clock::now() + kCloseTimeout;
      while (!rd_kafka_consumer_closed(consumer) && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_queue_poll_callback(close_queue, kConsumeTimeoutMs);
      }
      if (!rd_kafka_consumer_closed(consumer)) {
        LogWarn("left the consumer group without a clean close: no broker answered",
                {{"waited", "5s"}});
      }
    }
    rd_kafka_queue_destroy(close_queue);
  }

  // Engine thread: stop reading, keep applying the mailbox while the consumer thread
  // leaves the group (its revocation waits for that), then join it.
  void Stop() {
    if (!thread.joinable()) return;
    stopping = true;
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait_for(lock, std::chrono::milliseconds(50),
                       [&] { return !mailbox.empty() || finished; });
      if (finished && mailbox.empty()) break;
      lock.unlock();
      Drain();
      lock.lock();
    }
    lock.unlock();
    thread.join();
    Drain();
  }

  // ---- read-only after construction
  std::shared_ptr<const Config> config;
  EngineHost& host;
  const Clock& clock;
  Poster post;
  Options options;
  std::weak_ptr<Worker> self_weak;

  rd_kafka_t* consumer = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  rd_kafka_t* producer = nullptr;  // dead letters; null when no topic is configured
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> records_read{0};

  // ---- the mailbox (consumer thread -> engine thread), under `mutex`
  std::mutex mutex;
  std::condition_variable changed;  // an entry was added or taken, or the thread finished
  std::deque<Batch> mailbox;
  bool drain_posted = false;
  bool finished = false;

  // ---- consumer-thread state
  struct TopicPartitionState {
    std::int64_t next_offset = -1;  // after the last record read (or the end-of-partition offset)
    std::int64_t lag = -1;          // last posted
    std::int64_t confirmed_high = -1;  // asked of the broker after an outage
    bool at_eof = false;
    bool caught_up = false;
  };
  std::map<TopicPartition, TopicPartitionState> assigned;
  std::set<TopicPartition> touched;                 // read from since the last Refresh
  std::map<std::int32_t, bool> caught_up_posted;    // engine partition -> last posted
  EventDecoder decoder;
  RecordView record;  // reused: its header vector keeps its capacity
  Batch next;
  bool assignment_received = false;
  bool brokers_down = false;
  bool confirm_watermarks = false;  // set by an outage, cleared once the brokers answered
  bool ready_posted = false;
  TimeMs next_refresh = 0;
  std::array<LogRateLimiter, kAllRejectReasons.size()> reject_log;  // one per reason
  LogRateLimiter error_log;
};

KafkaEventSource::KafkaEventSource(std::shared_ptr<const Config> config, EngineHost& host,
                                   const Clock& clock, Poster post, Options options)
    : worker_(std::make_shared<Worker>(std::move(config), host, clock, std::move(post), options)) {
  worker_->self_weak = worker_;
}

KafkaEventSource::~KafkaEventSource() { Stop(); }

std::optional<Error> KafkaEventSource::Start() { return worker_->Start(); }

void KafkaEventSource::Stop() { worker_->Stop(); }

std::uint64_t KafkaEventSource::records_read() const {
  return worker_->records_read.load(std::memory_order_relaxed);
}

}  // namespace handoff
