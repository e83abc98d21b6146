// libFuzzer target: the state topic (checkpoint.store: kafka) is read back by a new owner,
// and its records may be damaged or written by another program. The input is a stretch of
// one state partition (state_log_input.h): each value goes through DecodeStateRecord as
// the store's reader does, and the records that decode through ChooseSnapshot.
// Properties: a refusal says what is wrong; a decoded record encodes to bytes that decode
// to the same record (and encode to themselves), and no strict prefix of those bytes
// decodes; ChooseSnapshot agrees with a brute-force reading of the rule (docs/durability.md,
// "What is written") and a snapshot it finds is whole: chunk k is the commit's piece k.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/durability/state_records.h"
#include "tests/fuzz/state_log_input.h"

namespace {

using handoff::SnapshotChoice;
using handoff::StateRecord;
using handoff::StateRecordKind;

[[noreturn]] void Fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "state_records_fuzz: %s\n  %s\n", what, detail.c_str());
  std::abort();
}

bool SameRecord(const StateRecord& a, const StateRecord& b) {
  return a.kind == b.kind && a.member == b.member && a.api_url == b.api_url && a.claim == b.claim &&
         a.snapshot == b.snapshot && a.index == b.index && a.data == b.data &&
         a.first_chunk == b.first_chunk && a.chunks == b.chunks &&
         a.checked_through == b.checked_through;
}

// One value as the store's reader sees it; the record when it decodes.
std::optional<StateRecord> Decode(std::string_view value) {
  auto decoded = handoff::DecodeStateRecord(value);
  if (!decoded) {
    const std::string& why = decoded.error().message;
    if (!why.starts_with("state record ") || why.size() <= 13)
      Fail("a refusal without a reason", why);
    return std::nullopt;
  }
  const StateRecord& record = decoded.value();
  const std::string bytes = handoff::EncodeStateRecord(record);
  auto back = handoff::DecodeStateRecord(bytes);
  if (!back) Fail("a decoded record does not encode to a record", back.error().message);
  if (!SameRecord(*back, record)) Fail("a decoded record encodes to another record");
  if (handoff::EncodeStateRecord(*back) != bytes) Fail("encoding is not a fixed point");
  for (std::size_t cut : {std::size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    if (handoff::DecodeStateRecord(std::string_view(bytes).substr(0, cut))) {
      Fail("a strict prefix of a record decodes", std::to_string(cut));
    }
  }
  const std::string key = handoff::StateRecordKey(3, record);
  if (!key.starts_with("3/")) Fail("a key outside its partition", key);
  return record;
}

// The rule read plainly: newest commit first; one whose chunks start before the window
// ends the search (they are further back, or gone); the first one that has every piece
// 0..chunks-1 from its writer and snapshot between its first chunk and itself, and no
// claim there after what its writer checked, is the one.
struct Reference {
  SnapshotChoice::Outcome outcome;
  std::int64_t commit_offset = -1;
};

Reference BruteForce(const std::vector<StateRecord>& records, std::int64_t window_start,
                     bool window_at_log_start) {
  const auto not_here =
      window_at_log_start ? SnapshotChoice::Outcome::kNone : SnapshotChoice::Outcome::kNeedMore;
  for (std::size_t c = records.size(); c-- > 0;) {
    const StateRecord& commit = records[c];
    if (commit.kind != StateRecordKind::kCommit) continue;
    if (commit.first_chunk < window_start) return {not_here};
    auto between = [&](const StateRecord& r) {
      return r.offset >= commit.first_chunk && r.offset < commit.offset;
    };
    bool intact = true;
    for (const StateRecord& r : records) {
      if (between(r) && r.kind == StateRecordKind::kClaim && r.offset > commit.checked_through) {
        intact = false;
      }
    }
    // More pieces than records before it: it cannot be whole (and no loop to 2^32 here).
    if (commit.chunks > c) intact = false;
    for (std::uint32_t k = 0; intact && k < commit.chunks; ++k) {
      bool has_piece = false;
      for (const StateRecord& r : records) {
        has_piece =
            has_piece || (between(r) && r.kind == StateRecordKind::kChunk &&
                          r.claim == commit.claim && r.snapshot == commit.snapshot && r.index == k);
      }
      intact = has_piece;
    }
    if (intact) return {SnapshotChoice::Outcome::kFound, commit.offset};
  }
  return {not_here};
}

void CheckChoice(const std::vector<StateRecord>& records, std::int64_t window_start,
                 bool window_at_log_start) {
  const SnapshotChoice choice = handoff::ChooseSnapshot(records, window_start, window_at_log_start);
  const Reference expected = BruteForce(records, window_start, window_at_log_start);
  if (choice.outcome != expected.outcome) {
    Fail("ChooseSnapshot's outcome is not the rule's",
         std::to_string(static_cast<int>(choice.outcome)) + " vs " +
             std::to_string(static_cast<int>(expected.outcome)));
  }
  if (choice.outcome != SnapshotChoice::Outcome::kFound) {
    if (choice.commit || !choice.chunks.empty()) Fail("a snapshot that was not found");
    return;
  }
  const StateRecord& commit = *choice.commit;
  if (commit.offset != expected.commit_offset) {
    Fail("ChooseSnapshot chose another commit than the rule",
         std::to_string(commit.offset) + " vs " + std::to_string(expected.commit_offset));
  }
  if (choice.chunks.size() != commit.chunks) Fail("not one chunk per piece");
  for (std::size_t k = 0; k < choice.chunks.size(); ++k) {
    if (choice.chunks[k] >= records.size()) Fail("a chunk index past the records");
    const StateRecord& chunk = records[choice.chunks[k]];
    if (chunk.kind != StateRecordKind::kChunk || chunk.claim != commit.claim ||
        chunk.snapshot != commit.snapshot || chunk.index != k ||
        chunk.offset < commit.first_chunk || chunk.offset >= commit.offset) {
      Fail("piece k of the snapshot is not the commit's chunk k",
           "k=" + std::to_string(k) + " record offset " + std::to_string(chunk.offset));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const handoff::testing::StateLogInput in = handoff::testing::ParseStateLogInput(
      std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<StateRecord> records;
  std::int64_t offset = in.first_offset;
  for (std::string_view value : in.values) {
    if (!value.empty()) {
      if (std::optional<StateRecord> record = Decode(value)) {
        record->offset = offset;
        records.push_back(std::move(*record));
      }
    }
    ++offset;
  }
  // The store's reader gives up at a value that does not decode; the rule must still hold
  // for whatever list it is given, so the rest go on.
  CheckChoice(records, in.window_start, in.window_at_log_start);
  return 0;
}
