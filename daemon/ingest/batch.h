// One mailbox entry: what the consumer thread read in one round, for the engine thread.
// Everything in it is applied on the engine thread, in this order (BatchApplier):
// assignments, events, the offsets reached (Hooks::applied), counts, lag and caught-up
// flags, readiness, revocations, and then the offsets are stored, because now the events
// are in engine state.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "handlers/decoder.h"
#include "handlers/event.h"

namespace handoff {

// (topic index in the config's topic list, partition)
using TopicPartition = std::pair<int, std::int32_t>;

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

}  // namespace handoff
