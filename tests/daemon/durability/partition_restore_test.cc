#include "daemon/durability/partition_restore.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "tests/fakes/memory_checkpoint_store.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

// What a host running one SLA restores partitions under.
EngineHost::Basis OneSlaBasis() {
  auto config = std::make_shared<Config>();
  config->slas = {AcceptSla(kHour)};
  return EngineHost(config).basis();
}

// An engine state with `open` open instances.
std::string StateWith(const EngineHost::Basis& basis, int open) {
  SlaEngine engine(basis.slas, EngineOptions{});
  std::vector<Decision> out;
  TimeMs t = T("2026-11-27T10:00:00Z");
  for (int i = 0; i < open; ++i) {
    engine.Offer(Requested("e" + std::to_string(i), t + i, "o" + std::to_string(i)), out);
  }
  engine.AdvanceFrontier(t + kMinute, out);
  return engine.SaveState();
}

// Holds every Load until `quorum` Loads are inside it at once (after 5 s it gives up and
// lets every Load through), and records the most that ever were.
class ConcurrentLoadStore final : public CheckpointStore {
 public:
  explicit ConcurrentLoadStore(int quorum) : quorum_(quorum) {}
  Status Save(std::int32_t, const Checkpoint&) override { return {}; }
  Result<std::vector<std::int32_t>> List() override { return std::vector<std::int32_t>(); }
  Result<std::optional<Checkpoint>> Load(std::int32_t) override {
    std::unique_lock lock(mutex_);
    ++inside_;
    most_ = std::max(most_, inside_);
    changed_.notify_all();
    if (!changed_.wait_for(lock, std::chrono::seconds(5), [&] { return most_ >= quorum_; })) {
      quorum_ = 0;  // failed: let the rest through
    }
    --inside_;
    return std::optional<Checkpoint>();
  }
  int most() const {
    std::lock_guard lock(mutex_);
    return most_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int quorum_;
  int inside_ = 0;
  int most_ = 0;
};

TEST(RestoreFromStore, AnswersEveryPartitionInTheOrderAsked) {
  EngineHost::Basis basis = OneSlaBasis();
  MemoryCheckpointStore store;
  store.Put(0, Checkpoint{.engine_state = StateWith(basis, 3), .offsets = {{"orders", 40}}});
  store.Corrupt(2);
  store.Put(3, Checkpoint{.engine_state = "not an engine", .offsets = {{"orders", 9}}});

  auto restored = RestoreFromStore(store, {3, 2, 1, 0}, basis, 2);
  ASSERT_EQ(restored.size(), 4u);
  EXPECT_EQ(restored[0].partition, 3);
  EXPECT_TRUE(restored[0].error);  // the engine refused the state: the offsets still count
  EXPECT_EQ(restored[0].offsets, (std::map<std::string, std::int64_t>{{"orders", 9}}));
  EXPECT_FALSE(restored[0].engine);
  EXPECT_EQ(restored[1].partition, 2);
  ASSERT_TRUE(restored[1].error);  // the store refused the file
  EXPECT_NE(restored[1].error->message.find("checksum mismatch"), std::string::npos);
  EXPECT_FALSE(restored[1].offsets);
  EXPECT_EQ(restored[2].partition, 1);  // no checkpoint
  EXPECT_FALSE(restored[2].error || restored[2].offsets || restored[2].engine);
  EXPECT_EQ(restored[3].partition, 0);
  EXPECT_FALSE(restored[3].error);
  EXPECT_EQ(restored[3].offsets, (std::map<std::string, std::int64_t>{{"orders", 40}}));
  ASSERT_TRUE(restored[3].engine);
  EXPECT_EQ(restored[3].engine->open_instances(), 3u);
  EXPECT_EQ(restored[3].basis.slas, basis.slas);
}

TEST(RestoreFromStore, LoadsAsManyPartitionsAtOnceAsItHasThreads) {
  ConcurrentLoadStore store(2);
  auto restored = RestoreFromStore(store, {0, 1, 2, 3, 4}, OneSlaBasis(), 2);
  EXPECT_EQ(restored.size(), 5u);
  EXPECT_EQ(store.most(), 2);  // 1 if one thread did them in turn; never more than 2
}

TEST(RestoreFromStore, NoPartitionsAndNoThreadsAreFine) {
  EngineHost::Basis basis = OneSlaBasis();
  MemoryCheckpointStore store;
  store.Put(5, Checkpoint{.engine_state = StateWith(basis, 1), .offsets = {}});
  EXPECT_TRUE(RestoreFromStore(store, {}, basis, 4).empty());
  auto restored = RestoreFromStore(store, {5}, basis, 0);  // 0 threads: the caller's
  ASSERT_EQ(restored.size(), 1u);
  ASSERT_TRUE(restored[0].engine);
  EXPECT_EQ(restored[0].engine->open_instances(), 1u);
  EXPECT_GE(RestoreThreads(), 1u);
}

}  // namespace
}  // namespace handoff
