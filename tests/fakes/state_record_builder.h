// State-topic records (daemon/durability/state_records.h) by kind, for the unit tests and
// the fuzz seeds: the fields each kind has, nothing else set.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "daemon/durability/state_records.h"

namespace handoff::testing {

inline StateRecord ClaimRecord(std::string member, std::string api_url = "") {
  StateRecord r;
  r.kind = StateRecordKind::kClaim;
  r.member = std::move(member);
  r.api_url = std::move(api_url);
  return r;
}

inline StateRecord ChunkRecord(std::int64_t claim, std::uint64_t snapshot, std::uint32_t index,
                               std::string data) {
  StateRecord r;
  r.kind = StateRecordKind::kChunk;
  r.claim = claim;
  r.snapshot = snapshot;
  r.index = index;
  r.data = std::move(data);
  return r;
}

inline StateRecord CommitRecord(std::int64_t claim, std::uint64_t snapshot,
                                std::int64_t first_chunk, std::uint32_t chunks,
                                std::int64_t checked_through) {
  StateRecord r;
  r.kind = StateRecordKind::kCommit;
  r.claim = claim;
  r.snapshot = snapshot;
  r.first_chunk = first_chunk;
  r.chunks = chunks;
  r.checked_through = checked_through;
  return r;
}

}  // namespace handoff::testing
