#include "daemon/durability/checkpointer.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_decision_publisher.h"
#include "tests/fakes/memory_checkpoint_store.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders

// The engine thread's loop, by hand: tasks posted from any thread wait here until the
// test runs them on its own thread.
class ManualLoop {
 public:
  Checkpointer::Poster Poster() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
      changed_.notify_all();
    };
  }
  // Runs tasks until `done` holds; false after 5 s.
  template <typename Done>
  bool RunUntil(Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_until(lock, deadline, [&] { return !tasks_.empty(); })) return false;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      ++turns_;
      task();
    }
    return true;
  }
  int turns() const { return turns_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  int turns_ = 0;
};

std::shared_ptr<const Config> OneSlaConfig() {
  auto config = std::make_shared<Config>();
  config->slas = {AcceptSla(kHour)};
  return config;
}

class CheckpointerTest : public ::testing::Test {
 protected:
  CheckpointerTest() : clock_(T("2026-11-27T10:00:00Z")), host_(OneSlaConfig()) {
    host_.AddSink(&publisher_);
  }
  std::unique_ptr<Checkpointer> Make(DecisionPublisher* publisher) {
    return std::make_unique<Checkpointer>(host_, store_, publisher, clock_, loop_.Poster());
  }
  // A met instance in `partition`: its decision goes to the publisher.
  void MetIn(std::int32_t partition, const std::string& key) {
    TimeMs t = clock_.Now();
    host_.Offer(partition, Requested(key + "-r", t, key), t);
    host_.Offer(partition, Accepted(key + "-a", t + kMinute, key), t);
    host_.Offer(partition, Ev(key + "-n", "order.note", t + kHour, "other"), t);
  }

  FakeClock clock_;
  EngineHost host_;
  MemoryCheckpointStore store_;
  FakeDecisionPublisher publisher_;
  ManualLoop loop_;
};

TEST_F(CheckpointerTest, RoundWritesEveryPartitionWithItsOffsets) {
  auto checkpointer = Make(nullptr);
  for (int p : {0, 1, 2}) host_.Assign(p);
  host_.Offer(1, Requested("e1", clock_.Now(), "o1"), clock_.Now());
  checkpointer->RecordApplied(1, "orders", 41);
  checkpointer->RecordApplied(1, "handoffs", 7);
  std::optional<Checkpointer::Report> report;
  ASSERT_TRUE(checkpointer->StartRound([&](const auto& r) { report = r; }));
  EXPECT_FALSE(checkpointer->StartRound(nullptr));  // one round at a time
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->saved, 3u);
  EXPECT_EQ(report->failed, 0u);
  EXPECT_EQ(report->finished_at, clock_.Now());
  EXPECT_FALSE(checkpointer->round_running());
  auto saved = store_.Get(1);
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->offsets, (Checkpointer::Offsets{{"handoffs", 7}, {"orders", 41}}));
  EXPECT_EQ(saved->engine_state, host_.partitions().at(1).engine.SaveState());
  EXPECT_FALSE(saved->handover);  // a periodic save, which a store may skip
  EXPECT_TRUE(store_.Get(0)->offsets.empty());
}

TEST_F(CheckpointerTest, RoundReturnsToTheLoopBetweenPartitions) {
  auto checkpointer = Make(nullptr);
  for (int p = 0; p < 6; ++p) host_.Assign(p);
  std::optional<Checkpointer::Report> report;
  checkpointer->StartRound([&](const auto& r) { report = r; });
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->saved, 6u);
  // Every snapshot after the first runs in a turn of its own (posted, or after a write).
  EXPECT_GE(loop_.turns(), 6);
}

TEST_F(CheckpointerTest, PartitionRevokedDuringARoundIsSkipped) {
  auto checkpointer = Make(nullptr);
  for (int p = 0; p < 4; ++p) host_.Assign(p);
  std::optional<Checkpointer::Report> report;
  checkpointer->StartRound([&](const auto& r) { report = r; });
  host_.Revoke(3);
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->saved, 3u);
  EXPECT_FALSE(store_.Get(3));
}

TEST_F(CheckpointerTest, CheckpointWaitsForTheDecisionsItCovers) {
  auto checkpointer = Make(&publisher_);
  host_.Assign(0);
  MetIn(0, "o1");
  ASSERT_EQ(publisher_.sent().size(), 1u);
  std::optional<Checkpointer::Report> report;
  checkpointer->StartRound([&](const auto& r) { report = r; });
  // The writer holds the snapshot until the decision is acknowledged.
  ASSERT_TRUE(publisher_.AwaitWaiter(std::chrono::seconds(5)));
  EXPECT_EQ(store_.saves(), 0u);
  EXPECT_FALSE(report);
  publisher_.AcknowledgeAll();
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->saved, 1u);
  EXPECT_EQ(store_.saves(), 1u);
}

TEST_F(CheckpointerTest, LostDecisionStopsEveryLaterCheckpoint) {
  auto checkpointer = Make(&publisher_);
  host_.Assign(0);
  MetIn(0, "o1");
  publisher_.Fail();
  std::optional<Checkpointer::Report> report;
  checkpointer->StartRound([&](const auto& r) { report = r; });
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_TRUE(report->decisions_lost);
  EXPECT_EQ(report->failed, 1u);
  EXPECT_TRUE(checkpointer->decisions_lost());
  EXPECT_EQ(store_.saves(), 0u);
  Checkpointer::Report now = checkpointer->SaveNow({0}, 5 * kSecond);
  EXPECT_EQ(now.saved, 0u);
  EXPECT_EQ(store_.saves(), 0u);
}

TEST_F(CheckpointerTest, SaveNowWaitsForTheWrites) {
  auto checkpointer = Make(&publisher_);
  for (int p : {4, 5}) host_.Assign(p);
  MetIn(4, "o1");
  publisher_.AcknowledgeAll();
  Checkpointer::Report report = checkpointer->SaveNow({4, 5, 6}, 5 * kSecond);
  EXPECT_EQ(report.saved, 2u);  // 6 is not assigned
  EXPECT_EQ(report.failed, 0u);
  ASSERT_TRUE(store_.Get(4));
  EXPECT_TRUE(store_.Get(4)->handover);  // revoke and shutdown: always written
  EXPECT_TRUE(store_.Get(5));
}

TEST_F(CheckpointerTest, SaveNowGivesUpAfterItsTimeout) {
  auto checkpointer = Make(&publisher_);
  host_.Assign(0);
  MetIn(0, "o1");  // never acknowledged
  auto start = std::chrono::steady_clock::now();
  Checkpointer::Report report = checkpointer->SaveNow({0}, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(report.failed, 1u);
  ASSERT_TRUE(report.first_error);
  EXPECT_NE(report.first_error->message.find("not written within"), std::string::npos);
}

TEST_F(CheckpointerTest, FailedSaveIsReportedAndRetriedNextRound) {
  auto checkpointer = Make(nullptr);
  host_.Assign(0);
  store_.FailSaves(true);
  std::optional<Checkpointer::Report> report;
  checkpointer->StartRound([&](const auto& r) { report = r; });
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->first_error->message, "disk full");
  EXPECT_FALSE(report->decisions_lost);
  store_.FailSaves(false);
  report.reset();
  checkpointer->StartRound([&](const auto& r) { report = r; });
  ASSERT_TRUE(loop_.RunUntil([&] { return report.has_value(); }));
  EXPECT_EQ(report->saved, 1u);
}

TEST_F(CheckpointerTest, RestoreContinuesFromTheCheckpoint) {
  auto checkpointer = Make(nullptr);
  host_.Assign(2);
  host_.Offer(2, Requested("e1", clock_.Now(), "o1"), clock_.Now());
  checkpointer->RecordApplied(2, "orders", 100);
  ASSERT_EQ(checkpointer->SaveNow({2}, 5 * kSecond).saved, 1u);
  host_.Revoke(2);
  checkpointer->Forget(2);

  auto offsets = checkpointer->RestorePartition(2);
  ASSERT_TRUE(offsets);
  EXPECT_EQ(*offsets, (Checkpointer::Offsets{{"orders", 100}}));
  EXPECT_EQ(host_.partitions().at(2).engine.pending(), 1u);
  // The restored offsets are what the next checkpoint carries until records arrive.
  host_.Offer(2, Requested("e2", clock_.Now(), "o2"), clock_.Now());
  ASSERT_EQ(checkpointer->SaveNow({2}, 5 * kSecond).saved, 1u);
  EXPECT_EQ(store_.Get(2)->offsets, (Checkpointer::Offsets{{"orders", 100}}));
}

TEST_F(CheckpointerTest, InstallsAPartitionRestoredByAnotherThread) {
  auto checkpointer = Make(nullptr);
  host_.Assign(4);
  host_.Offer(4, Requested("e1", clock_.Now(), "o1"), clock_.Now());
  checkpointer->RecordApplied(4, "orders", 7);
  ASSERT_EQ(checkpointer->SaveNow({4}, 5 * kSecond).saved, 1u);
  host_.Revoke(4);
  checkpointer->Forget(4);

  // The Kafka consumer thread restores it to seek; the engine thread installs it.
  std::vector<RestoredPartition> restored;
  std::thread([&] { restored = RestoreFromStore(store_, {4}, host_.basis(), 2); }).join();
  ASSERT_EQ(restored.size(), 1u);
  auto offsets = checkpointer->RestorePartition(std::move(restored[0]));
  ASSERT_TRUE(offsets);
  EXPECT_EQ(*offsets, (Checkpointer::Offsets{{"orders", 7}}));
  EXPECT_EQ(host_.partitions().at(4).engine.pending(), 1u);
  ASSERT_EQ(checkpointer->SaveNow({4}, 5 * kSecond).saved, 1u);
  EXPECT_EQ(store_.Get(4)->offsets, (Checkpointer::Offsets{{"orders", 7}}));
  // An error the other thread got is logged and the partition starts empty.
  EXPECT_FALSE(checkpointer->RestorePartition(
      RestoredPartition{.partition = 4, .error = Error{"checkpoint is corrupt"}}));
  EXPECT_EQ(host_.partitions().at(4).engine.pending(), 0u);
}

// A checkpoint an older build wrote after accepting an event dated 9999: its frontier is
// years ahead of the clock. Restoring it would breach every SLA of the partition again;
// it is refused and the partition starts empty (docs/durability.md).
TEST_F(CheckpointerTest, ACheckpointWithAFrontierFromTheFutureIsRefused) {
  auto checkpointer = Make(nullptr);
  host_.Assign(4);
  host_.Offer(4, Requested("e1", clock_.Now(), "o1"), clock_.Now());
  host_.Offer(4, Ev("poison", "order.note", T("9999-12-31T00:00:00Z"), "o2"), clock_.Now());
  checkpointer->RecordApplied(4, "orders", 7);
  ASSERT_EQ(checkpointer->SaveNow({4}, 5 * kSecond).saved, 1u);
  host_.Revoke(4);
  checkpointer->Forget(4);

  auto restored = RestoreFromStore(store_, {4}, host_.basis(), 1);
  ASSERT_EQ(restored.size(), 1u);
  ASSERT_TRUE(restored[0].engine);
  EXPECT_FALSE(checkpointer->RestorePartition(std::move(restored[0])));
  const SlaEngine& engine = host_.partitions().at(4).engine;
  EXPECT_EQ(engine.open_instances(), 0u);
  EXPECT_LT(engine.frontier(), clock_.Now());

  // One within time.max_future (1h) of the clock is restored as always.
  host_.Offer(4, Requested("e2", clock_.Now() + 59 * kMinute, "o3"), clock_.Now());
  host_.Offer(4, Ev("n", "order.note", clock_.Now() + 59 * kMinute, "o4"), clock_.Now());
  ASSERT_EQ(checkpointer->SaveNow({4}, 5 * kSecond).saved, 1u);
  host_.Revoke(4);
  checkpointer->Forget(4);
  auto again = RestoreFromStore(store_, {4}, host_.basis(), 1);
  EXPECT_TRUE(checkpointer->RestorePartition(std::move(again[0])));
}

TEST_F(CheckpointerTest, AReloadBetweenRestoreAndInstallIsNotLost) {
  auto checkpointer = Make(nullptr);
  host_.Assign(4);
  host_.Offer(4, Requested("e1", clock_.Now(), "o1"), clock_.Now());
  ASSERT_EQ(checkpointer->SaveNow({4}, 5 * kSecond).saved, 1u);
  host_.Revoke(4);
  auto restored = RestoreFromStore(store_, {4}, host_.basis(), 1);
  ASSERT_EQ(restored.size(), 1u);

  auto reloaded = std::make_shared<Config>(host_.config());
  SlaDefinition second = AcceptSla(2 * kHour);
  second.name = "second";
  reloaded->slas.push_back(second);
  ASSERT_TRUE(host_.Reconfigure(reloaded).ok());
  ASSERT_TRUE(checkpointer->RestorePartition(std::move(restored[0])));
  const SlaEngine& engine = host_.partitions().at(4).engine;
  EXPECT_EQ(engine.slas().size(), 2u);  // built under the reloaded config, not the old one
  EXPECT_EQ(engine.pending(), 1u);
}

TEST_F(CheckpointerTest, UnusableCheckpointRebuildsThePartition) {
  auto checkpointer = Make(nullptr);
  store_.Corrupt(1);
  EXPECT_FALSE(checkpointer->RestorePartition(1));
  EXPECT_EQ(host_.partitions().count(1), 1u);
  EXPECT_EQ(host_.partitions().at(1).engine.pending(), 0u);
  store_.Put(3, Checkpoint{.engine_state = "not an engine", .offsets = {{"orders", 5}}});
  EXPECT_FALSE(checkpointer->RestorePartition(3));
  EXPECT_EQ(host_.partitions().count(3), 1u);
  EXPECT_FALSE(checkpointer->RestorePartition(9));  // none: starts empty
  EXPECT_EQ(host_.partitions().count(9), 1u);
}

}  // namespace
}  // namespace handoff
