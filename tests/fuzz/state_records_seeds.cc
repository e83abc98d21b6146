// Writes state_records_fuzz's seed corpus: state-partition stretches made of records
// encoded by EncodeStateRecord itself (the cases of tests/daemon/durability/
// state_records_test.cc, and a claim with its API URL), in state_log_input.h's format.
// Usage: state_records_seeds <dir>   (the committed corpus: tests/fuzz/corpus/state_records)
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/durability/state_records.h"
#include "tests/fakes/state_record_builder.h"
#include "tests/fuzz/state_log_input.h"

namespace {

using handoff::EncodeStateRecord;
using handoff::testing::ChunkRecord;
using handoff::testing::ClaimRecord;
using handoff::testing::CommitRecord;

std::string Claim(std::string member, std::string api_url = "") {
  return EncodeStateRecord(ClaimRecord(std::move(member), std::move(api_url)));
}

std::string Chunk(std::int64_t claim, std::uint64_t snapshot, std::uint32_t index,
                  std::string data) {
  return EncodeStateRecord(ChunkRecord(claim, snapshot, index, std::move(data)));
}

std::string Commit(std::int64_t claim, std::uint64_t snapshot, std::int64_t first_chunk,
                   std::uint32_t chunks, std::int64_t checked_through) {
  return EncodeStateRecord(CommitRecord(claim, snapshot, first_chunk, chunks, checked_through));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  using handoff::testing::StateLogBytes;
  const std::string dir = argv[1];
  const std::vector<std::pair<std::string, std::string>> seeds = {
      // Two snapshots; the newer one's chunks arrive out of order.
      {"newest_intact",
       StateLogBytes(true, 0,
                     {Claim("member-a", "http://10.0.0.7:9464"), Chunk(0, 1, 0, "HNDFCKPT..1"),
                      Chunk(0, 1, 1, "..2"), Commit(0, 1, 1, 2, 2), Chunk(0, 2, 1, "b"),
                      Chunk(0, 2, 0, "a"), Commit(0, 2, 4, 2, 5)})},
      // The newer snapshot lost a chunk: the one before stands.
      {"incomplete_falls_back",
       StateLogBytes(true, 0,
                     {Claim("a"), Chunk(0, 1, 0, "x"), Commit(0, 1, 1, 1, 1), Chunk(0, 2, 0, "y"),
                      Commit(0, 2, 3, 2, 3)})},
      // A zombie's commit after member b's claim, which it did not check.
      {"fenced_zombie",
       StateLogBytes(true, 0,
                     {Claim("a"), Chunk(0, 1, 0, "x"), Commit(0, 1, 1, 1, 1), Chunk(0, 2, 0, "y"),
                      Claim("b", "https://b:9464"), Commit(0, 2, 3, 1, 3)})},
      // The commit's chunks lie before the window: read more.
      {"need_more", StateLogBytes(false, 10, {Chunk(0, 1, 1, "z"), Commit(0, 1, 9, 2, 10)})},
      // A compacted stretch: the previous snapshot's records are holes (tombstoned).
      {"compacted", StateLogBytes(true, 2,
                                  {Claim("member-a"), "", "", "",
                                   Chunk(2, 5, 0, std::string(40, 'q')), Commit(2, 5, 6, 1, 6)})},
  };
  for (const auto& [name, bytes] : seeds) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << bytes;
    if (!out) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
      return 1;
    }
  }
  return 0;
}
