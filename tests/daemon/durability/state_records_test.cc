// The state topic's records and the rule that picks the snapshot a new owner restores,
// on plain record lists.
#include "daemon/durability/state_records.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "handlers/byte_codec.h"
#include "tests/fakes/state_record_builder.h"

namespace handoff {
namespace {

using Outcome = SnapshotChoice::Outcome;

using namespace handoff::testing;  // NOLINT: test-local builders

// The records as read back at `offset` of the partition.
StateRecord At(std::int64_t offset, StateRecord r) {
  r.offset = offset;
  return r;
}

StateRecord Claim(std::int64_t offset, std::string member) {
  return At(offset, ClaimRecord(std::move(member)));
}

StateRecord Chunk(std::int64_t offset, std::int64_t claim, std::uint64_t snapshot,
                  std::uint32_t index) {
  return At(offset, ChunkRecord(claim, snapshot, index, "c" + std::to_string(offset)));
}

StateRecord Commit(std::int64_t offset, std::int64_t claim, std::uint64_t snapshot,
                   std::int64_t first_chunk, std::uint32_t chunks, std::int64_t checked_through) {
  return At(offset, CommitRecord(claim, snapshot, first_chunk, chunks, checked_through));
}

TEST(StateRecords, EveryKindSurvivesEncoding) {
  for (const StateRecord& r : {Claim(0, "member-a"), Chunk(0, 7, 3, 2), Commit(0, 7, 3, 4, 2, 6)}) {
    auto back = DecodeStateRecord(EncodeStateRecord(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kind, r.kind);
    EXPECT_EQ(back->member, r.member);
    EXPECT_EQ(back->claim, r.claim);
    EXPECT_EQ(back->snapshot, r.snapshot);
    EXPECT_EQ(back->index, r.index);
    EXPECT_EQ(back->data, r.data);
    EXPECT_EQ(back->first_chunk, r.first_chunk);
    EXPECT_EQ(back->chunks, r.chunks);
    EXPECT_EQ(back->checked_through, r.checked_through);
  }
}

TEST(StateRecords, ForeignOrDamagedValuesAreRefusedByName) {
  auto foreign = DecodeStateRecord(R"({"not":"ours"})");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().message, "state record is not a handoff state record");
  std::string value = EncodeStateRecord(Commit(0, 7, 3, 4, 2, 6));
  EXPECT_FALSE(DecodeStateRecord(value.substr(0, value.size() - 1)));
  EXPECT_FALSE(DecodeStateRecord(value + "x"));
}

// Found by state_records_fuzz: a count past 32 bits was cut to 32 (another record than
// the one written), and now is refused.
TEST(StateRecords, ChunkNumbersPast32BitsAreRefused) {
  auto commit = [](std::uint64_t chunks) {
    ByteWriter w;
    w.PutUnsigned(1);  // format version
    w.PutUnsigned(static_cast<std::uint64_t>(StateRecordKind::kCommit));
    w.PutSigned(7);    // claim
    w.PutUnsigned(3);  // snapshot
    w.PutSigned(4);    // first chunk
    w.PutUnsigned(chunks);
    w.PutSigned(6);  // checked through
    return "HNDFSTAT" + w.Take();
  };
  ASSERT_TRUE(DecodeStateRecord(commit(UINT32_MAX)));
  EXPECT_EQ(DecodeStateRecord(commit(UINT32_MAX)).value().chunks, UINT32_MAX);
  auto past = DecodeStateRecord(commit(std::uint64_t{1} << 32 | 2));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().message, "state record has a chunk count out of range");
}

TEST(StateRecords, KeysAreDistinctPerSnapshotAndChunk) {
  EXPECT_EQ(StateRecordKey(3, Chunk(0, 7, 2, 1)), "3/7/2/1");
  EXPECT_EQ(StateRecordKey(3, Commit(0, 7, 2, 0, 1, 0)), "3/7/2/commit");
  EXPECT_EQ(StateRecordKey(3, Claim(0, "m")), "3/claim/m");
}

TEST(ChooseSnapshot, TheNewestIntactCommitWins) {
  std::vector<StateRecord> log = {
      Claim(0, "a"),     Chunk(1, 0, 1, 0), Chunk(2, 0, 1, 1),       Commit(3, 0, 1, 1, 2, 2),
      Chunk(4, 0, 2, 1), Chunk(5, 0, 2, 0), Commit(6, 0, 2, 4, 2, 5)};
  SnapshotChoice choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 6);
  EXPECT_EQ(choice.chunks, (std::vector<std::size_t>{5, 4}));  // by index, not by offset
}

TEST(ChooseSnapshot, AnIncompleteSnapshotFallsBackToTheOneBefore) {
  std::vector<StateRecord> log = {Claim(0, "a"), Chunk(1, 0, 1, 0), Commit(2, 0, 1, 1, 1, 1),
                                  Chunk(3, 0, 2, 0), Commit(4, 0, 2, 3, 2, 3)};  // 1 of 2
  SnapshotChoice choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 2);
}

// Member a lost the partition to b (claim at 4) without knowing it: a's next snapshot
// landed after b's claim, and a had checked only through its last chunk (3), so the
// claim lies between what a checked and its commit. A new owner restores a's snapshot
// from before b's claim, never the zombie's.
TEST(ChooseSnapshot, ACommitAfterANewerClaimItDidNotCheckIsFencedOff) {
  std::vector<StateRecord> log = {Claim(0, "a"),     Chunk(1, 0, 1, 0), Commit(2, 0, 1, 1, 1, 1),
                                  Chunk(3, 0, 2, 0), Claim(4, "b"),     Commit(5, 0, 2, 3, 1, 3)};
  SnapshotChoice choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 2);
  // Planted: had a checked through the claim, its commit would stand (and a would have
  // seen the claim and stopped before writing it).
  log.back().checked_through = 4;
  EXPECT_EQ(ChooseSnapshot(log, 0, true).commit->offset, 5);
}

TEST(ChooseSnapshot, ChunksBeforeTheWindowAskForMore) {
  std::vector<StateRecord> log = {Chunk(10, 0, 1, 1), Commit(11, 0, 1, 9, 2, 10)};
  EXPECT_EQ(ChooseSnapshot(log, 10, false).outcome, Outcome::kNeedMore);
  EXPECT_EQ(ChooseSnapshot(log, 10, true).outcome, Outcome::kNone);  // 9 is gone for good
  EXPECT_EQ(ChooseSnapshot({Claim(5, "a")}, 5, false).outcome, Outcome::kNeedMore);
  EXPECT_EQ(ChooseSnapshot({}, 0, true).outcome, Outcome::kNone);
}

// Found by state_records_fuzz: a commit that claims 2^32-1 chunks made ChooseSnapshot
// allocate 32 GiB before looking for them. It cannot be intact (there are fewer records),
// so the snapshot before it stands.
TEST(ChooseSnapshot, AnImpossibleChunkCountFallsBackWithoutAllocatingIt) {
  std::vector<StateRecord> log = {Claim(0, "a"), Chunk(1, 0, 1, 0), Commit(2, 0, 1, 1, 1, 1),
                                  Chunk(3, 0, 2, 0), Commit(4, 0, 2, 3, UINT32_MAX, 3)};
  SnapshotChoice choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 2);
  EXPECT_EQ(choice.chunks, (std::vector<std::size_t>{1}));
}

// Found by state_records_fuzz: two copies of piece 0 counted as pieces 0 and 1, and piece
// 1 (missing) became records[0]. Only a foreign or damaged topic has copies; the
// snapshot with a missing piece is not intact.
TEST(ChooseSnapshot, ACopiedChunkDoesNotStandInForAMissingOne) {
  std::vector<StateRecord> log = {Claim(0, "a"),     Chunk(1, 0, 1, 0), Commit(2, 0, 1, 1, 1, 1),
                                  Chunk(3, 0, 2, 0), Chunk(4, 0, 2, 0), Commit(5, 0, 2, 3, 2, 4)};
  SnapshotChoice choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 2);
  // With piece 1 there, the newer snapshot stands, and one copy of piece 0 is used.
  log.insert(log.begin() + 5, Chunk(5, 0, 2, 1));
  log.back().offset = 6;
  log.back().checked_through = 5;
  choice = ChooseSnapshot(log, 0, true);
  ASSERT_EQ(choice.outcome, Outcome::kFound);
  EXPECT_EQ(choice.commit->offset, 6);
  ASSERT_EQ(choice.chunks.size(), 2u);
  EXPECT_EQ(log[choice.chunks[0]].index, 0u);
  EXPECT_EQ(choice.chunks[1], 5u);
}

}  // namespace
}  // namespace handoff
