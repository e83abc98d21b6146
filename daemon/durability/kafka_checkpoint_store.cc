#include "daemon/durability/kafka_checkpoint_store.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "daemon/durability/file_checkpoint_store.h"
#include "daemon/durability/state_records.h"
#include "daemon/durability/state_topic_io.h"

namespace handoff {
namespace {

// A restore reads this many records back from the end first, then four times as many
// each time the snapshot lies further back (a snapshot of 100 MB is ~200 chunks): it
// reads at most about 2.5 snapshots, whatever the length of the log.
constexpr std::int64_t kFirstWindow = 16;

// Records read from every topic of the partition before the checkpoint was taken.
std::int64_t RecordsRead(const Checkpoint& checkpoint) {
  std::int64_t sum = 0;
  for (const auto& [_, offset] : checkpoint.offsets) sum += offset;
  return sum;
}

}  // namespace

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
  if (!Kafka::SetAll(conf, props, &error)) {
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
  const std::int64_t low = marks->first;  // a variable, not a binding: lambdas capture it
  ReadStats stats;
  SnapshotChoice choice;  // kNone for an empty partition
  auto read = kafka_->ReadBack(partition, low, marks->second, kFirstWindow, options_.timeout,
                               &stats,
                               [&](const std::vector<StateRecord>& records, std::int64_t start) {
                                 choice = ChooseSnapshot(records, start, start == low);
                                 return choice.outcome != SnapshotChoice::Outcome::kNeedMore;
                               });
  if (!read) return read.error();
  const std::vector<StateRecord>& records = *read;
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
  using SteadyClock = std::chrono::steady_clock;
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
    auto records = kafka_->ReadBack(
        p, low, high, 4, left(), &ignored,
        [](const std::vector<StateRecord>& read, std::int64_t) { return !read.empty(); });
    if (!records) return records.error();
    std::int64_t newest = -1;
    std::optional<StateRecord> claim;
    for (const StateRecord& r : *records) {
      const std::int64_t named = r.kind == StateRecordKind::kClaim ? r.offset : r.claim;
      if (named <= newest) continue;
      newest = named;
      claim = r.kind == StateRecordKind::kClaim ? std::optional(r) : std::nullopt;
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
