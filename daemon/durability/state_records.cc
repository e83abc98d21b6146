#include "daemon/durability/state_records.h"

#include "handlers/byte_codec.h"

namespace handoff {
namespace {

// Every value starts with this magic and a format version, so a record some other
// program wrote to the topic is refused by name, not misread.
constexpr std::string_view kMagic = "HNDFSTAT";
constexpr std::uint64_t kStateRecordVersion = 1;

}  // namespace

std::string EncodeStateRecord(const StateRecord& record) {
  ByteWriter w;
  if (record.kind == StateRecordKind::kChunk) w.Reserve(record.data.size() + 64);
  std::string out(kMagic);
  w.PutUnsigned(kStateRecordVersion);
  w.PutUnsigned(static_cast<std::uint64_t>(record.kind));
  switch (record.kind) {
    case StateRecordKind::kClaim:
      w.PutString(record.member);
      w.PutString(record.api_url);
      break;
    case StateRecordKind::kChunk:
      w.PutSigned(record.claim);
      w.PutUnsigned(record.snapshot);
      w.PutUnsigned(record.index);
      w.PutString(record.data);
      break;
    case StateRecordKind::kCommit:
      w.PutSigned(record.claim);
      w.PutUnsigned(record.snapshot);
      w.PutSigned(record.first_chunk);
      w.PutUnsigned(record.chunks);
      w.PutSigned(record.checked_through);
      break;
  }
  out += w.bytes();
  return out;
}

Result<StateRecord> DecodeStateRecord(std::string_view value) {
  auto bad = [](const std::string& what) { return Error{"state record " + what}; };
  if (value.substr(0, kMagic.size()) != kMagic) return bad("is not a handoff state record");
  ByteReader r(value.substr(kMagic.size()));
  std::uint64_t version = 0;
  std::uint64_t kind = 0;
  r.GetUnsigned(version);
  if (r.ok() && version != kStateRecordVersion) {
    return bad("has format version " + std::to_string(version) + ", this build reads " +
               std::to_string(kStateRecordVersion));
  }
  r.GetUnsigned(kind);
  StateRecord record;
  std::uint64_t number = 0;
  switch (kind) {
    case static_cast<std::uint64_t>(StateRecordKind::kClaim):
      record.kind = StateRecordKind::kClaim;
      r.GetString(record.member);
      r.GetString(record.api_url);
      break;
    case static_cast<std::uint64_t>(StateRecordKind::kChunk):
      record.kind = StateRecordKind::kChunk;
      r.GetSigned(record.claim);
      r.GetUnsigned(record.snapshot);
      r.GetUnsigned(number);
      if (number > UINT32_MAX) return bad("has a chunk index out of range");
      record.index = static_cast<std::uint32_t>(number);
      r.GetString(record.data);
      break;
    case static_cast<std::uint64_t>(StateRecordKind::kCommit):
      record.kind = StateRecordKind::kCommit;
      r.GetSigned(record.claim);
      r.GetUnsigned(record.snapshot);
      r.GetSigned(record.first_chunk);
      r.GetUnsigned(number);
      if (number > UINT32_MAX) return bad("has a chunk count out of range");
      record.chunks = static_cast<std::uint32_t>(number);
      r.GetSigned(record.checked_through);
      break;
    default:
      if (r.ok()) return bad("has an unknown kind " + std::to_string(kind));
  }
  if (!r.ok() || !r.AtEnd()) return bad("is malformed");
  return record;
}

std::string StateRecordKey(std::int32_t partition, const StateRecord& record) {
  std::string key = std::to_string(partition) + "/";
  switch (record.kind) {
    case StateRecordKind::kClaim:
      return key + "claim/" + record.member;
    case StateRecordKind::kChunk:
      return key + std::to_string(record.claim) + "/" + std::to_string(record.snapshot) + "/" +
             std::to_string(record.index);
    case StateRecordKind::kCommit:
      return key + std::to_string(record.claim) + "/" + std::to_string(record.snapshot) + "/commit";
  }
  return key;
}

SnapshotChoice ChooseSnapshot(const std::vector<StateRecord>& records, std::int64_t window_start,
                              bool window_at_log_start) {
  using Outcome = SnapshotChoice::Outcome;
  auto need_more = [&] {
    SnapshotChoice more;
    more.outcome = window_at_log_start ? Outcome::kNone : Outcome::kNeedMore;
    return more;
  };
  // Newest first: the first commit that is intact and not fenced off wins.
  for (std::size_t c = records.size(); c-- > 0;) {
    const StateRecord& commit = records[c];
    if (commit.kind != StateRecordKind::kCommit) continue;
    if (commit.first_chunk < window_start) return need_more();  // chunks before the window
    // More chunks than records before it: not intact. A damaged or foreign count (up to
    // 2^32) must not size the allocation below: 1.9e9 chunks cost 15 GiB (state_records_fuzz).
    if (commit.chunks > c) continue;
    bool fenced = false;
    SnapshotChoice found;
    found.outcome = Outcome::kFound;
    found.commit = commit;
    const std::size_t kMissing = records.size();
    found.chunks.assign(commit.chunks, kMissing);
    std::uint32_t seen = 0;
    for (std::size_t i = c; i-- > 0 && records[i].offset >= commit.first_chunk;) {
      const StateRecord& r = records[i];
      // A claim after what the writer checked: it may have lost the partition already.
      if (r.kind == StateRecordKind::kClaim && r.offset > commit.checked_through) fenced = true;
      // One writer with the idempotent producer writes each piece once; a copy (only a
      // foreign or damaged topic has one) must not count for a piece that is missing.
      if (r.kind == StateRecordKind::kChunk && r.claim == commit.claim &&
          r.snapshot == commit.snapshot && r.index < commit.chunks &&
          found.chunks[r.index] == kMissing) {
        found.chunks[r.index] = i;
        ++seen;
      }
    }
    if (!fenced && seen == commit.chunks) return found;
  }
  return need_more();
}

}  // namespace handoff
