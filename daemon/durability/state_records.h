// The records of the state topic (checkpoint.store: kafka) and the rule that picks the
// snapshot a new owner restores. Pure: no Kafka here, so the fencing rule is tested on
// plain record lists (KafkaCheckpointStore does the I/O). Any thread.
//
// State-topic partition p holds input partition p's state as a log of three kinds:
// - a claim: a member takes the partition; the claim's own offset is its epoch;
// - chunks: one snapshot (FileCheckpointStore::Encode's bytes) cut in pieces, each tagged
//   with the writer's claim and the snapshot's sequence number;
// - a commit, after the chunks: the snapshot is complete. It also says through which
//   offset its writer had checked that no newer claim exists (`checked_through`, at least
//   its last chunk).
// A commit counts only if no claim lies between its `checked_through` and itself: a
// member that lost the partition either saw the newer claim before committing (and
// stopped), or its commit is ignored. Format and reasoning: docs/durability.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/result.h"

namespace handoff {

enum class StateRecordKind : std::uint8_t { kClaim = 1, kChunk = 2, kCommit = 3 };

struct StateRecord {
  std::int64_t offset = -1;  // in the state partition; set by the reader, never encoded
  StateRecordKind kind = StateRecordKind::kClaim;
  // kClaim: who claimed, and where its API answers (for other members).
  std::string member;
  std::string api_url;
  // kChunk and kCommit: the writer's claim (its offset) and the snapshot's number.
  std::int64_t claim = -1;
  std::uint64_t snapshot = 0;
  // kChunk: the piece's index and bytes.
  std::uint32_t index = 0;
  std::string data;
  // kCommit: where the snapshot's chunks start, how many, and what the writer checked.
  std::int64_t first_chunk = -1;
  std::uint32_t chunks = 0;
  std::int64_t checked_through = -1;
};

// A record's Kafka value, and back. Decode names what is wrong; a record another
// program wrote to the topic is an error, never a crash.
std::string EncodeStateRecord(const StateRecord& record);
Result<StateRecord> DecodeStateRecord(std::string_view value);
// The record's Kafka key: distinct per snapshot and claim, so that a compacted topic
// keeps what a restore needs until a later snapshot's writer deletes it (a tombstone).
std::string StateRecordKey(std::int32_t partition, const StateRecord& record);

// The snapshot to restore among `records` (ascending offsets, the whole partition from
// `window_start` to its end). kNeedMore: the answer may lie before `window_start`.
struct SnapshotChoice {
  enum class Outcome { kFound, kNone, kNeedMore };
  Outcome outcome = Outcome::kNone;
  // kFound: the commit, and the indexes into `records` of its chunks, in order.
  std::optional<StateRecord> commit;
  std::vector<std::size_t> chunks;
};
SnapshotChoice ChooseSnapshot(const std::vector<StateRecord>& records, std::int64_t window_start,
                              bool window_at_log_start);

}  // namespace handoff
