#include "daemon/ingest/consumer_loop.h"

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"
#include "daemon/ingest/rdkafka_util.h"

namespace handoff {
namespace {

constexpr int kConsumeTimeoutMs = 100;
// How long a revocation waits for the engine to apply what was read from the revoked
// partitions before it commits anyway (the engine thread is never blocked for long).
constexpr auto kRevokeDrainTimeout = std::chrono::seconds(10);
constexpr DurationMs kWarnInterval = 10 * kSecond;
// How long leaving the consumer group may take at shutdown. With no broker reachable
// librdkafka's own close waits ~45 s for the coordinator, longer than systemd's stop
// timeout; the checkpoints' offsets are the ones that count, so giving up is safe.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
// How often Stop() looks at the mailbox while the consumer thread leaves the group.
constexpr auto kStopPollInterval = std::chrono::milliseconds(50);

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

// How long an assignment may wait, in all, for the brokers to name its start offsets.
constexpr auto kStartOffsetTimeout = std::chrono::seconds(10);

// Where the consumer starts a partition with no committed offset: auto.offset.reset
// (RD_KAFKA_OFFSET_BEGINNING or _END; INVALID for "error", which has no offset).
std::int64_t ResetOffset(rd_kafka_t* rk) {
  char value[32] = {};
  std::size_t size = sizeof value;
  if (rd_kafka_conf_get(rd_kafka_conf(rk), "auto.offset.reset", value, &size) != RD_KAFKA_CONF_OK) {
    return RD_KAFKA_OFFSET_INVALID;
  }
  const std::string_view reset(value);
  if (reset == "smallest" || reset == "earliest" || reset == "beginning") {
    return RD_KAFKA_OFFSET_BEGINNING;
  }
  if (reset == "largest" || reset == "latest" || reset == "end") return RD_KAFKA_OFFSET_END;
  return RD_KAFKA_OFFSET_INVALID;
}

std::string PartitionName(const rd_kafka_topic_partition_t& tp) {
  return std::string(tp.topic) + "/" + std::to_string(tp.partition);
}

}  // namespace

ConsumerLoop::ConsumerLoop(std::shared_ptr<const Config> config, EngineHost& host,
                           const Clock& clock, KafkaEventSource::Poster post,
                           KafkaEventSource::Options options)
    : config_(std::move(config)),
      clock_(clock),
      post_(std::move(post)),
      options_(std::move(options)),
      mailbox_(options_.max_queued_batches),
      applier_(*config_, host, clock_, options_.hooks),
      tracker_(config_->kafka.topics),
      decoder_(config_->events),
      error_log_(kWarnInterval) {
  reject_log_.fill(LogRateLimiter(kWarnInterval));
}

ConsumerLoop::~ConsumerLoop() {
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  if (consumer_ != nullptr) DestroyBounded(consumer_);
}

// ---- set up (engine thread, before the consumer thread exists)

Status ConsumerLoop::Start(std::weak_ptr<ConsumerLoop> self) {
  self_ = std::move(self);
  const KafkaConfig& kafka = config_->kafka;
  if (kafka.topics.empty()) return Error{"kafka.topics is empty"};
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (Status set = SetAll(conf, ConsumerProperties(kafka)); !set) {
    rd_kafka_conf_destroy(conf);
    return set;
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, &ConsumerLoop::OnRebalance);
  rd_kafka_conf_set_error_cb(conf, &ConsumerLoop::OnError);
  rd_kafka_conf_set_stats_cb(conf, &ConsumerLoop::OnStats);
  rd_kafka_conf_set_log_cb(conf, &OnLibraryLog);
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (consumer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("kafka consumer: ") + errstr};
  }
  applier_.set_consumer(consumer_);
  // Every callback (rebalance, error, statistics) is served on the consumer thread.
  rd_kafka_poll_set_consumer(consumer_);
  queue_ = rd_kafka_queue_get_consumer(consumer_);

  auto dead_letters = DeadLetterProducer::Create(kafka);
  if (!dead_letters) return dead_letters.error();
  dead_letters_ = std::move(dead_letters).value();

  TopicPartitionList topics(rd_kafka_topic_partition_list_new(kafka.topics.size()));
  for (const std::string& topic : kafka.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics.get())) {
    return Error{std::string("kafka subscribe: ") + rd_kafka_err2str(err)};
  }
  next_.consumed.assign(kafka.topics.size(), 0);
  next_.events.reserve(options_.max_batch);
  thread_ = std::thread([this] { Loop(); });
  return {};
}

// ---- the consumer thread

void ConsumerLoop::Loop() {
  NameThisThread("handoff-consume");
  std::vector<rd_kafka_message_t*> messages(options_.max_batch);
  while (!stopping_.load(std::memory_order_relaxed)) {
    // Rebalance, error and statistics callbacks run inside this call.
    ssize_t n = rd_kafka_consume_batch_queue(queue_, kConsumeTimeoutMs, messages.data(),
                                             messages.size());
    arrival_ = clock_.Now();
    for (ssize_t i = 0; i < n; ++i) {
      Handle(messages[i]);
      rd_kafka_message_destroy(messages[i]);
    }
    Refresh();
    Flush();
    if (dead_letters_ != nullptr) dead_letters_->Poll();
  }
  CloseConsumer();
  Flush();
  if (dead_letters_ != nullptr) dead_letters_->Flush();
  mailbox_.Finish();
}

int ConsumerLoop::TopicIndex(const char* name) const {
  const auto& topics = config_->kafka.topics;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    if (topics[i] == name) return static_cast<int>(i);
  }
  return -1;
}

void ConsumerLoop::Handle(const rd_kafka_message_t* message) {
  int topic = message->rkt != nullptr ? TopicIndex(rd_kafka_topic_name(message->rkt)) : -1;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    HandleError(message, topic);
    return;
  }
  // A record from a partition revoked since it was fetched is dropped.
  if (!tracker_.OnRecord({topic, message->partition}, message->offset)) return;
  records_read_.fetch_add(1, std::memory_order_relaxed);

  record_.value = std::string_view(static_cast<const char*>(message->payload),
                                   message->payload != nullptr ? message->len : 0);
  record_.key = std::string_view(static_cast<const char*>(message->key),
                                 message->key != nullptr ? message->key_len : 0);
  record_.headers.clear();
  rd_kafka_headers_t* headers = nullptr;
  // Only CloudEvents' binary mode reads headers, and librdkafka allocates a header list
  // per message to parse them (a sixth of this thread's time in ingest_bench's profile).
  if (decoder_.format().format == PayloadFormat::kCloudEvents &&
      rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record_.headers.emplace_back(
          name, std::string_view(static_cast<const char*>(value), value != nullptr ? size : 0));
    }
  }

  auto decoded = decoder_.Decode(record_);
  if (!decoded) {
    Reject(message, topic, decoded.error());
  } else if (IsTooFarAhead(decoded->time, arrival_, config_->time.max_future)) {
    Reject(message, topic, RejectReason::kFutureTime);  // a broken producer clock
  } else {
    next_.events.emplace_back(message->partition, std::move(decoded).value());
  }
  ++next_.consumed[static_cast<std::size_t>(topic)];
  next_.offsets[{topic, message->partition}] = message->offset + 1;
}

void ConsumerLoop::HandleError(const rd_kafka_message_t* message, int topic) {
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    tracker_.OnEndOfPartition({topic, message->partition}, message->offset);
    return;
  }
  if (message->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    ++next_.rejected[static_cast<std::size_t>(RejectReason::kTooLarge)];
  }
  if (auto suppressed = error_log_.Allow(clock_.Now())) {
    LogWarn("kafka consumer error",
            {{"error", rd_kafka_message_errstr(message)},
             {"topic", topic >= 0 ? config_->kafka.topics[topic] : std::string()},
             {"partition", std::to_string(message->partition)},
             {"suppressed", std::to_string(*suppressed)}});
  }
}

void ConsumerLoop::Reject(const rd_kafka_message_t* message, int topic, RejectReason reason) {
  ++next_.rejected[static_cast<std::size_t>(reason)];
  const std::string& topic_name = config_->kafka.topics[static_cast<std::size_t>(topic)];
  if (auto suppressed = reject_log_[static_cast<std::size_t>(reason)].Allow(clock_.Now())) {
    LogWarn("record rejected", {{"reason", std::string(RejectReasonName(reason))},
                                {"topic", topic_name},
                                {"partition", std::to_string(message->partition)},
                                {"offset", std::to_string(message->offset)},
                                {"suppressed", std::to_string(*suppressed)}});
  }
  if (dead_letters_ != nullptr) dead_letters_->Send(message, topic_name, reason);
}

// Hands the round's batch to the engine thread (waiting while the mailbox is full).
void ConsumerLoop::Flush() {
  if (next_.empty()) return;
  Batch batch = std::move(next_);
  next_ = Batch();
  next_.consumed.assign(config_->kafka.topics.size(), 0);
  next_.events.reserve(options_.max_batch);  // not regrown (moving every event) per batch
  if (mailbox_.Push(std::move(batch))) PostDrain();
}

void ConsumerLoop::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<ConsumerLoop*>(opaque);
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  bool cooperative = std::strcmp(protocol, "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->OnAssigned(rk, partitions, protocol);
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

void ConsumerLoop::OnAssigned(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                              const char* protocol) {
  Flush();
  std::string list;
  std::vector<std::int32_t> fresh;  // engine partitions new to this member
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    int topic = TopicIndex(tp.topic);
    if (topic < 0) continue;
    bool engine_partition_known = tracker_.HasEnginePartition(tp.partition);
    if (!tracker_.Add({topic, tp.partition})) continue;
    if (!engine_partition_known) fresh.push_back(tp.partition);
    list += (list.empty() ? "" : ",") + PartitionName(tp);
  }
  SetStartOffsets(rk, partitions, fresh);
  next_.assign.insert(next_.assign.end(), fresh.begin(), fresh.end());
  tracker_.set_assignment_received(true);
  LogInfo("kafka partitions assigned", {{"partitions", list}, {"protocol", protocol}});
  Refresh();
  Flush();
}

// Asks the hook, once for the whole assignment, where the new partitions' topics start
// (their checkpoints), turns every start left symbolic (the committed offset, or the
// beginning) into the offset it stands for, writes it into the assignment and reports it
// to the engine as reached. So every checkpoint names, for every topic, the offset its
// state is complete up to: without one the next owner would start at the committed
// offset, which auto-commit may have moved past records this state never got (a member
// killed after a commit and before its next checkpoint).
void ConsumerLoop::SetStartOffsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions,
                                   const std::vector<std::int32_t>& fresh) {
  if (!options_.hooks.start_offsets || fresh.empty()) return;
  std::map<std::int32_t, KafkaEventSource::Offsets> starts = options_.hooks.start_offsets(fresh);
  auto is_fresh = [&](std::int32_t p) {
    return std::find(fresh.begin(), fresh.end(), p) != fresh.end();
  };
  TopicPartitionList committed(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = partitions->elems[i];
    if (!is_fresh(tp.partition)) continue;
    auto offsets = starts.find(tp.partition);
    if (offsets != starts.end()) {
      auto it = offsets->second.find(tp.topic);
      if (it != offsets->second.end()) tp.offset = it->second;
    }
    if (tp.offset == RD_KAFKA_OFFSET_INVALID) {
      rd_kafka_topic_partition_list_add(committed.get(), tp.topic, tp.partition);
    }
  }
  // One budget for the whole assignment: with the brokers gone, 64 partitions must not
  // hold the rebalance for 64 timeouts.
  const auto deadline = std::chrono::steady_clock::now() + kStartOffsetTimeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
  };
  if (committed->cnt > 0 &&
      rd_kafka_committed(rk, committed.get(), remaining_ms()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::int64_t reset = ResetOffset(rk);  // where a partition with none starts
    for (int i = 0; i < committed->cnt; ++i) {
      const rd_kafka_topic_partition_t& c = committed->elems[i];
      if (c.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // left to the consumer, as before
      rd_kafka_topic_partition_list_find(partitions, c.topic, c.partition)->offset =
          c.offset >= 0 ? c.offset : reset;
    }
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = partitions->elems[i];
    if (!is_fresh(tp.partition)) continue;
    if ((tp.offset == RD_KAFKA_OFFSET_BEGINNING || tp.offset == RD_KAFKA_OFFSET_END) &&
        remaining_ms() > 0) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low, &high,
                                           remaining_ms()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        tp.offset = tp.offset == RD_KAFKA_OFFSET_BEGINNING ? low : high;
      }
    }
    if (tp.offset >= 0) {
      next_.offsets[{TopicIndex(tp.topic), tp.partition}] = tp.offset;
    } else {
      LogWarn("kafka start offset unknown; a crash before the partition's next checkpoint "
              "may skip records",
              {{"partition", PartitionName(tp)}});
    }
  }
}

// Drops the partitions: everything already read from them is applied by the engine (we
// wait for it), their offsets are stored and committed, and then the engine forgets
// their state. The next owner starts at the committed offset: nothing is counted twice.
void ConsumerLoop::OnRevoked(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions) {
  Flush();
  std::string list;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    int topic = TopicIndex(tp.topic);
    if (!tracker_.Remove({topic, tp.partition})) continue;
    list += (list.empty() ? "" : ",") + PartitionName(tp);
    if (!tracker_.HasEnginePartition(tp.partition)) {
      next_.revoke.push_back(tp.partition);
      tracker_.ForgetEnginePartition(tp.partition);
    }
  }
  // Not ready again until the next assignment (eager) or while nothing is left (cooperative).
  tracker_.set_assignment_received(!tracker_.empty());
  Refresh();
  LogInfo("kafka partitions revoked", {{"partitions", list}});
  auto applied = std::make_shared<std::promise<void>>();
  std::future<void> done = applied->get_future();
  next_.applied = applied;
  Flush();
  if (done.wait_for(kRevokeDrainTimeout) != std::future_status::ready) {
    LogWarn("engine did not apply the revoked partitions' records in time; committing anyway");
  }
  if (rd_kafka_assignment_lost(rk)) return;  // someone else owns them already
  // A synchronous commit waits for the group coordinator; with every broker down that
  // would hold a shutdown for ~45 s. Then commit asynchronously: the partitions are
  // checkpointed, and the checkpoints' offsets are the ones that count (docs/durability.md).
  rd_kafka_resp_err_t err = rd_kafka_commit(rk, nullptr, tracker_.brokers_down() ? 1 : 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    LogWarn("kafka commit on revoke failed", {{"error", rd_kafka_err2str(err)}});
  }
}

void ConsumerLoop::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<ConsumerLoop*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->tracker_.set_brokers_down(true);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    rd_kafka_fatal_error(rk, detail, sizeof detail);
    LogError("kafka fatal error", {{"error", detail}});
    return;
  }
  if (auto suppressed = self->error_log_.Allow(self->clock_.Now())) {
    LogWarn("kafka error", {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
                            {"detail", reason},
                            {"suppressed", std::to_string(*suppressed)}});
  }
}

// The statistics say which brokers are connected: one "UP" ends an outage.
int ConsumerLoop::OnStats(rd_kafka_t*, char* json, std::size_t len, void* opaque) {
  auto* self = static_cast<ConsumerLoop*>(opaque);
  if (std::string_view(json, len).find("\"state\":\"UP\"") != std::string_view::npos) {
    self->tracker_.set_brokers_down(false);
  }
  return 0;  // librdkafka frees the JSON
}

// Leaves the group. The revocation (OnRebalance, served from the close queue) waits for
// Stop() on the engine thread to apply the mailbox, then commits. After kCloseTimeout the
// group is abandoned: partitions never revoked are checkpointed by the daemon's shutdown,
// and the group coordinator expires the member after session.timeout.ms.
void ConsumerLoop::CloseConsumer() {
  rd_kafka_queue_t* close_queue = rd_kafka_queue_new(consumer_);
  if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(consumer_, close_queue)) {
    LogWarn("kafka consumer close failed", {{"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
  } else {
    auto deadline = std::chrono::steady_clock::now() + kCloseTimeout;
    while (!rd_kafka_consumer_closed(consumer_) && std::chrono::steady_clock::now() < deadline) {
      // Closing forwards the consumer queue to close_queue, with the records and
      // partition-EOF events already fetched and those still arriving until the
      // revocation unassigns. rd_kafka_queue_poll_callback cannot serve those
      // (librdkafka 2.0.2 aborts: "rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS");
      // rd_kafka_consume_queue runs the callbacks (the revocation) and hands them back.
      // They are dropped unread: their offsets were never stored, so the partition's next
      // owner reads them again from the committed offset.
      if (rd_kafka_message_t* unread = rd_kafka_consume_queue(close_queue, kConsumeTimeoutMs)) {
        rd_kafka_message_destroy(unread);
      }
    }
    if (!rd_kafka_consumer_closed(consumer_)) {
      LogWarn("left the consumer group without a clean close: no broker answered",
              {{"waited", "5s"}});
    }
  }
  rd_kafka_queue_destroy(close_queue);
}

// ---- the engine thread

bool ConsumerLoop::ApplyNext() {
  bool more = false;
  std::optional<Batch> batch = mailbox_.TakeOldest(&more);
  if (!batch) return more;
  try {
    applier_.Apply(*batch);
  } catch (const std::exception& e) {  // nothing may escape into the io_context
    LogError("applying a kafka batch failed", {{"error", e.what()}});
  }
  if (batch->applied) batch->applied->set_value();
  return more;
}

void ConsumerLoop::Drain() {
  if (ApplyNext()) PostDrain();
}

void ConsumerLoop::PostDrain() {
  post_([weak = self_] {
    if (auto self = weak.lock()) self->Drain();
  });
}

// Stops reading, keeps applying the mailbox while the consumer thread leaves the group
// (its revocation waits for that), then joins it.
void ConsumerLoop::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  while (!mailbox_.WaitForEnd(kStopPollInterval)) {
    while (ApplyNext()) {
    }
  }
  thread_.join();
  while (ApplyNext()) {
  }
}

}  // namespace handoff
