#include "daemon/durability/kafka_checkpoint_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>
#include <thread>

#include <librdkafka/rdkafka.h>

#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/state_records.h"

namespace handoff {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A restore reads this many records back from the end first, then four times as many
// each time the snapshot lies further back (a snapshot of 100 MB is ~200 chunks): it
// reads at most about 2.5 snapshots, whatever the length of the log.
constexpr std::int64_t kFirstWindow = 16;
constexpr int kPollMs = 50;

// The outcome of one batch of produced records, filled in by delivery reports (the
// producer's poll thread) while the producing thread waits.
struct Batch {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t outstanding = 0;
  std::vector<std::int64_t> offsets;
  std::optional<std::string> error;
};

struct Ticket {
  std::shared_ptr<Batch> batch;
  std::size_t index;
};

// Records read from every topic of the partition before the checkpoint was taken.
std::int64_t RecordsRead(const Checkpoint& checkpoint) {
  std::int64_t sum = 0;
  for (const auto& [_, offset] : checkpoint.offsets) sum += offset;
  return sum;
}

bool SetAll(rd_kafka_conf_t* conf, const std::vector<std::pair<std::string, std::string>>& props,
            std::string* error) {
  char errstr[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      *error = key + ": " + errstr;
      return false;
    }
  }
  return true;
}

}  // namespace

struct KafkaCheckpointStore::Kafka {
  ~Kafka() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (producer != nullptr) {
      rd_kafka_flush(producer, 5000);
      rd_kafka_destroy(producer);
    }
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(message->_private));
    Batch& batch = *ticket->batch;
    std::lock_guard lock(batch.mutex);
    if (message->err) {
      if (!batch.error) batch.error = rd_kafka_err2str(message->err);
    } else {
      batch.offsets[ticket->index] = message->offset;
    }
    if (--batch.outstanding == 0) batch.done.notify_all();
  }

  // Produces `records` (key, value; a null value is a tombstone) to the partition and
  // waits for every delivery report: their offsets, in order.
  Result<std::vector<std::int64_t>> Produce(
      std::int32_t partition,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
      DurationMs timeout) {
    auto batch = std::make_shared<Batch>();
    batch->offsets.assign(records.size(), -1);
    batch->outstanding = records.size();
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::string& key = records[i].first;
      const std::optional<std::string>& value = records[i].second;
      char* value_data = value ? const_cast<char*>(value->data()) : nullptr;
      std::size_t value_size = value ? value->size() : 0;
      auto* ticket = new Ticket{batch, i};
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_OPAQUE(ticket), RD_KAFKA_V_END);
      if (err) {
        delete ticket;
        std::lock_guard lock(batch->mutex);
        batch->outstanding -= records.size() - i;  // the rest is never produced
        batch->error = rd_kafka_err2str(err);
        break;
      }
      bytes_written += value_size;
    }
    std::unique_lock lock(batch->mutex);
    if (!batch->done.wait_for(lock, std::chrono::milliseconds(timeout),
                              [&] { return batch->outstanding == 0; })) {
      return Error{"writing to " + topic + " timed out"};
    }
    if (batch->error) return Error{"writing to " + topic + ": " + *batch->error};
    return batch->offsets;
  }

  Result<std::pair<std::int64_t, std::int64_t>> Watermarks(std::int32_t partition,
                                                           DurationMs timeout) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            producer, topic.c_str(), partition, &low, &high, static_cast<int>(timeout))) {
      return Error{"reading the offsets of " + topic + " partition " + std::to_string(partition) +
                   ": " + rd_kafka_err2str(err)};
    }
    return std::make_pair(low, high);
  }

  // Every record of [from, to) of the partition, decoded; tombstones skipped. A record
  // that does not decode is an error: the topic holds something else.
  Result<std::vector<StateRecord>> Read(std::int32_t partition, std::int64_t from, std::int64_t to,
                                        DurationMs timeout, ReadStats* stats) {
    std::vector<StateRecord> out;
    if (from >= to) return out;
    auto reader = NewConsumer();
    if (!reader) return reader.error();
    rd_kafka_t* consumer = *reader;
    // The simple (legacy) consumer: no group, nothing to close. (A group consumer that
    // only assign()s works too, but its close took part in aborts of librdkafka 2.0.2
    // when the daemon stopped during a rebalance.)
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
    if (rd_kafka_consume_start(rkt, partition, from) == -1) {
      Error error{"reading " + topic + " partition " + std::to_string(partition) + ": " +
                  rd_kafka_err2str(rd_kafka_last_error())};
      rd_kafka_topic_destroy(rkt);
      rd_kafka_destroy(consumer);
      return error;
    }
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout);
    std::optional<Error> failure;
    std::string last_error = "no record arrived";
    bool done = false;
    while (!done && !failure) {
      if (SteadyClock::now() > deadline) {
        failure = Error{"reading " + topic + " partition " + std::to_string(partition) +
                        " timed out (" + last_error + ")"};
        break;
      }
      rd_kafka_message_t* m = rd_kafka_consume(rkt, partition, kPollMs);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        done = true;
      } else if (m->err) {
        last_error = rd_kafka_message_errstr(m);  // transient: retried until the deadline
      } else {
        if (m->offset >= to - 1) done = true;
        if (m->offset < to && m->payload != nullptr) {
          auto record =
              DecodeStateRecord(std::string_view(static_cast<const char*>(m->payload), m->len));
          if (!record) {
            failure = Error{topic + " partition " + std::to_string(partition) + " offset " +
                            std::to_string(m->offset) + ": " + record.error().message};
          } else {
            out.push_back(std::move(record).value());
            out.back().offset = m->offset;
            ++stats->records;
            stats->bytes += m->len;
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consume_stop(rkt, partition);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(consumer);
    if (failure) return *failure;
    return out;
  }

  // A consumer outside any group, for the simple consumer API.
  Result<rd_kafka_t*> NewConsumer() const {
    std::string error;
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto props = base_properties;
    props.insert(props.end(), {{"enable.auto.commit", "false"},
                               {"enable.auto.offset.store", "false"},
                               {"enable.partition.eof", "true"},
                               {"max.partition.fetch.bytes", "8388608"}});
    if (!SetAll(conf, props, &error)) {
      rd_kafka_conf_destroy(conf);
      return Error{"checkpoint store: " + error};
    }
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (consumer == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error{std::string("checkpoint store: ") + errstr};
    }
    return consumer;
  }

  std::string topic;
  std::vector<std::pair<std::string, std::string>> base_properties;  // brokers, security
  rd_kafka_t* producer = nullptr;
  std::thread poller;  // serves delivery reports
  std::atomic<bool> stop = false;
  std::atomic<std::uint64_t> bytes_written = 0;
  std::atomic<std::uint64_t> saves_skipped = 0;
};

Result<std::unique_ptr<KafkaCheckpointStore>> KafkaCheckpointStore::Open(
    Options options, const std::vector<std::string>& input_topics) {
  auto kafka = std::make_unique<Kafka>();
  kafka->topic = options.topic;
  kafka->base_properties = {{"bootstrap.servers", options.brokers}};
  for (const auto& [key, value] : options.properties)
    kafka->base_properties.emplace_back(key, value);
  auto props = kafka->base_properties;
  props.insert(props.end(), {{"client.id", "handoffd-state"},
                             {"linger.ms", "5"},
                             {"compression.type", "lz4"},
                             // Retries without duplicates or reordering: the fencing
                             // rule relies on the log order of one writer's records.
                             {"enable.idempotence", "true"},
                             {"acks", "all"}});
  std::string error;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!SetAll(conf, props, &error)) {
    rd_kafka_conf_destroy(conf);
    return Error{"checkpoint store: " + error};
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &Kafka::OnDelivery);
  kafka->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (kafka->producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{std::string("checkpoint store: ") + errstr};
  }
  kafka->poller = std::thread([k = kafka.get()] {
    while (!k->stop) rd_kafka_poll(k->producer, 100);
  });

  // The topic must exist already: auto-creation would give it the broker's default
  // partition count and cleanup policy. Asking for one topic by name may create it
  // (the mock cluster does), asking for all topics never does.
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(kafka->producer, 1, nullptr, &metadata, static_cast<int>(options.timeout));
  std::string problem = "it does not exist";
  if (err) problem = std::string("cannot read the cluster's metadata: ") + rd_kafka_err2str(err);
  int state_partitions = 0;
  std::string largest_input;  // the input topic with the most partitions
  int input_partitions = 0;
  for (int t = 0; !err && t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    if (topic.err) continue;
    if (options.topic == topic.topic) {
      problem.clear();
      state_partitions = topic.partition_cnt;
    }
    if (std::find(input_topics.begin(), input_topics.end(), topic.topic) != input_topics.end() &&
        topic.partition_cnt > input_partitions) {
      input_partitions = topic.partition_cnt;
      largest_input = topic.topic;
    }
  }
  if (problem.empty() && state_partitions < input_partitions) {
    problem = "it has " + std::to_string(state_partitions) + " partitions, " + largest_input +
              " has " + std::to_string(input_partitions);
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  if (!problem.empty()) {
    return Error{"checkpoint.topic " + options.topic + " is not usable: " + problem +
                 " (create it with as many partitions as the input topics and "
                 "cleanup.policy=compact; see docs/durability.md)"};
  }
  return std::unique_ptr<KafkaCheckpointStore>(
      new KafkaCheckpointStore(std::move(options), std::move(kafka)));
}

KafkaCheckpointStore::KafkaCheckpointStore(Options options, std::unique_ptr<Kafka> kafka)
    : options_(std::move(options)), kafka_(std::move(kafka)) {}

KafkaCheckpointStore::~KafkaCheckpointStore() = default;

Result<KafkaCheckpointStore::Claim> KafkaCheckpointStore::WriteClaim(std::int32_t partition) {
  StateRecord record;
  record.kind = StateRecordKind::kClaim;
  record.member = options_.member;
  record.api_url = options_.api_url;
  auto offsets =
      kafka_->Produce(partition, {{StateRecordKey(partition, record), EncodeStateRecord(record)}},
                      options_.timeout);
  if (!offsets) return offsets.error();
  Claim claim;
  claim.offset = claim.verified_through = offsets->front();
  return claim;
}

Result<std::optional<Checkpoint>> KafkaCheckpointStore::Load(std::int32_t partition) {
  auto claim = WriteClaim(partition);
  if (!claim) return claim.error();
  std::vector<std::string> keys;
  auto checkpoint = ReadNewestSnapshot(partition, &keys);
  std::lock_guard lock(mutex_);
  claim.value().previous_keys = std::move(keys);
  if (checkpoint && *checkpoint) {
    claim.value().last_size =
        (*checkpoint)->engine_state.size() + (*checkpoint)->attachment.size();
    claim.value().last_records = RecordsRead(**checkpoint);
  }
  claims_[partition] = std::move(claim).value();
  return checkpoint;
}

Result<std::optional<Checkpoint>> KafkaCheckpointStore::ReadNewestSnapshot(
    std::int32_t partition, std::vector<std::string>* keys) {
  auto marks = kafka_->Watermarks(partition, options_.timeout);
  if (!marks) return marks.error();
  const auto [low, high] = *marks;
  ReadStats stats;
  std::vector<StateRecord> records;
  std::int64_t start = high;
  std::int64_t window = kFirstWindow;
  SnapshotChoice choice;
  do {
    std::int64_t from = std::max(low, high - window);
    auto older = kafka_->Read(partition, from, start, options_.timeout, &stats);
    if (!older) return older.error();
    older.value().insert(older.value().end(), std::make_move_iterator(records.begin()),
                         std::make_move_iterator(records.end()));
    records = std::move(older).value();
    start = from;
    window *= 4;
    choice = ChooseSnapshot(records, start, start == low);
  } while (choice.outcome == SnapshotChoice::Outcome::kNeedMore);
  {
    std::lock_guard lock(mutex_);
    last_load_stats_ = stats;
  }
  if (choice.outcome == SnapshotChoice::Outcome::kNone) return std::optional<Checkpoint>();
  std::string bytes;
  for (std::size_t i : choice.chunks) {
    bytes += records[i].data;
    keys->push_back(StateRecordKey(partition, records[i]));
  }
  keys->push_back(StateRecordKey(partition, *choice.commit));
  auto checkpoint =
      FileCheckpointStore::Decode(partition, bytes,
                                  options_.topic + " partition " + std::to_string(partition) +
                                      " offset " + std::to_string(choice.commit->offset));
  if (!checkpoint) return checkpoint.error();
  return std::optional<Checkpoint>(std::move(checkpoint).value());
}

Result<bool> KafkaCheckpointStore::NewerClaimIn(std::int32_t partition, const Claim& claim,
                                                std::int64_t through,
                                                const std::vector<std::int64_t>& own) {
  // Offsets this member did not write since it last checked: usually none, and then
  // nothing is read.
  std::set<std::int64_t> mine(own.begin(), own.end());
  std::vector<std::int64_t> foreign;
  for (std::int64_t o = claim.verified_through + 1; o <= through; ++o) {
    if (!mine.contains(o)) foreign.push_back(o);
  }
  if (foreign.empty()) return false;
  ReadStats ignored;
  auto records =
      kafka_->Read(partition, foreign.front(), foreign.back() + 1, options_.timeout, &ignored);
  if (!records) return records.error();
  return std::any_of(records->begin(), records->end(), [&](const StateRecord& r) {
    return r.kind == StateRecordKind::kClaim && r.offset > claim.offset && !mine.contains(r.offset);
  });
}

Status KafkaCheckpointStore::Save(std::int32_t partition, const Checkpoint& checkpoint) {
  bool claimed;
  {
    std::lock_guard lock(mutex_);
    claimed = claims_.contains(partition);
  }
  if (!claimed) {  // saved before any Load: claim it now
    auto claim = WriteClaim(partition);
    if (!claim) return claim.error();
    std::lock_guard lock(mutex_);
    claims_[partition] = std::move(claim).value();
  }
  Claim claim;
  {
    std::lock_guard lock(mutex_);
    claim = claims_[partition];
    ++claims_[partition].next_snapshot;  // never reused, even if this Save fails
  }
  auto fenced_error = [&] {
    return Error{"partition " + std::to_string(partition) +
                 " was claimed by another member; this member no longer owns it"};
  };
  if (claim.fenced) return fenced_error();
  const std::int64_t records_read = RecordsRead(checkpoint);
  if (!checkpoint.handover && options_.bytes_per_record > 0 &&
      static_cast<double>(records_read - claim.last_records) *
              static_cast<double>(options_.bytes_per_record) <
          static_cast<double>(claim.last_size)) {
    // The last snapshot still stands. Still look for a newer claim, so that a member
    // that lost the partition learns it within a checkpoint interval.
    ++kafka_->saves_skipped;
    auto marks = kafka_->Watermarks(partition, options_.timeout);
    if (!marks) return marks.error();
    auto newer = NewerClaimIn(partition, claim, marks->second - 1, {});
    if (!newer) return newer.error();
    std::lock_guard lock(mutex_);
    if (*newer) {
      claims_[partition].fenced = true;
      return fenced_error();
    }
    claims_[partition].verified_through = marks->second - 1;
    return Status();
  }

  const std::string bytes = FileCheckpointStore::Encode(partition, checkpoint);
  StateRecord chunk;
  chunk.kind = StateRecordKind::kChunk;
  chunk.claim = claim.offset;
  chunk.snapshot = claim.next_snapshot;
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  std::vector<std::string> keys;
  const std::size_t size = std::max<std::size_t>(options_.chunk_bytes, 1);
  for (std::size_t pos = 0; pos == 0 || pos < bytes.size(); pos += size) {
    chunk.data = bytes.substr(pos, size);
    keys.push_back(StateRecordKey(partition, chunk));
    records.emplace_back(keys.back(), EncodeStateRecord(chunk));
    ++chunk.index;
  }
  auto offsets = kafka_->Produce(partition, records, options_.timeout);
  if (!offsets) return offsets.error();
  const auto [first, last] = std::minmax_element(offsets->begin(), offsets->end());

  auto newer = NewerClaimIn(partition, claim, *last, *offsets);
  if (!newer) return newer.error();
  if (*newer) {
    std::lock_guard lock(mutex_);
    claims_[partition].fenced = true;
    return fenced_error();
  }

  StateRecord commit;
  commit.kind = StateRecordKind::kCommit;
  commit.claim = claim.offset;
  commit.snapshot = chunk.snapshot;
  commit.first_chunk = *first;
  commit.chunks = chunk.index;
  commit.checked_through = *last;
  keys.push_back(StateRecordKey(partition, commit));
  auto committed =
      kafka_->Produce(partition, {{keys.back(), EncodeStateRecord(commit)}}, options_.timeout);
  if (!committed) return committed.error();

  // The previous snapshot is superseded: on a compacted topic its records go away.
  std::vector<std::pair<std::string, std::optional<std::string>>> tombstones;
  for (std::string& key : claim.previous_keys)
    tombstones.emplace_back(std::move(key), std::nullopt);
  if (!tombstones.empty()) {
    auto deleted = kafka_->Produce(partition, tombstones, options_.timeout);
    if (!deleted) return deleted.error();
  }
  std::lock_guard lock(mutex_);
  Claim& stored = claims_[partition];
  stored.previous_keys = std::move(keys);
  stored.verified_through = *last;
  stored.last_size = checkpoint.engine_state.size() + checkpoint.attachment.size();
  stored.last_records = records_read;
  return Status();
}

Result<std::int32_t> KafkaCheckpointStore::PartitionCount(DurationMs timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(kafka_->producer, options_.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(kafka_->producer, 0, rkt, &metadata, static_cast<int>(timeout));
  rd_kafka_topic_destroy(rkt);
  if (err) return Error{options_.topic + ": " + rd_kafka_err2str(err)};
  std::int32_t count = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(metadata);
  return count;
}

Result<std::vector<std::int32_t>> KafkaCheckpointStore::List() {
  auto count = PartitionCount(options_.timeout);
  if (!count) return count.error();
  std::vector<std::int32_t> out;
  for (std::int32_t p = 0; p < *count; ++p) {
    auto marks = kafka_->Watermarks(p, options_.timeout);
    if (!marks) return marks.error();
    if (marks->second > marks->first) out.push_back(p);
  }
  return out;
}

Result<std::vector<std::string>> KafkaCheckpointStore::OwnerUrls(DurationMs budget) {
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(budget);
  auto left = [&] {
    return std::max<DurationMs>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - SteadyClock::now())
                                    .count(),
                                1);
  };
  auto count = PartitionCount(left());
  if (!count) return count.error();
  std::vector<std::string> urls;
  ReadStats ignored;
  // The newest claim: a claim record, or the one a chunk or commit was written under,
  // whichever is highest among the newest records (a fenced member may still have
  // written chunks after the claim that fenced it). The records after them are
  // tombstones of the snapshot before (Save), read back past.
  for (std::int32_t p = 0; p < *count; ++p) {
    auto marks = kafka_->Watermarks(p, left());
    if (!marks) return marks.error();
    const auto [low, high] = *marks;
    std::int64_t newest = -1;
    std::optional<StateRecord> claim;
    for (std::int64_t end = high, window = 4; newest < 0 && end > low; end -= window, window *= 4) {
      auto records = kafka_->Read(p, std::max(low, end - window), end, left(), &ignored);
      if (!records) return records.error();
      for (const StateRecord& r : *records) {
        const std::int64_t named = r.kind == StateRecordKind::kClaim ? r.offset : r.claim;
        if (named <= newest) continue;
        newest = named;
        claim = r.kind == StateRecordKind::kClaim ? std::optional(r) : std::nullopt;
      }
    }
    if (!claim && newest >= low) {
      auto read = kafka_->Read(p, newest, newest + 1, left(), &ignored);
      if (!read) return read.error();
      if (!read->empty() && read->back().kind == StateRecordKind::kClaim) claim = read->back();
    }
    if (claim) urls.push_back(claim->api_url);
  }
  return urls;
}

bool KafkaCheckpointStore::fenced(std::int32_t partition) const {
  std::lock_guard lock(mutex_);
  auto it = claims_.find(partition);
  return it != claims_.end() && it->second.fenced;
}

KafkaCheckpointStore::ReadStats KafkaCheckpointStore::last_load_stats() const {
  std::lock_guard lock(mutex_);
  return last_load_stats_;
}

std::uint64_t KafkaCheckpointStore::bytes_written() const { return kafka_->bytes_written; }

std::uint64_t KafkaCheckpointStore::saves_skipped() const { return kafka_->saves_skipped; }

}  // namespace handoff
