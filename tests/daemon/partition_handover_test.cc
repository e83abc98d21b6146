#include "daemon/partition_handover.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/memory_checkpoint_store.h"
#include "tests/fakes/sla_builder.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local builders
using Offsets = Checkpointer::Offsets;

constexpr std::int64_t kFromBeginning = KafkaEventSource::kFromBeginning;

class PartitionHandoverTest : public ::testing::Test {
 protected:
  PartitionHandoverTest()
      : clock_(T("2026-12-03T10:00:00Z")),
        host_(OneSla()),
        metrics_(host_, clock_.Now()),
        checkpointer_(host_, store_, nullptr, clock_, [](std::function<void()> task) { task(); }),
        handover_(host_, store_, checkpointer_, metrics_, clock_, [] {}) {
    // Partition 0 was checkpointed having read "orders" only (a build that wrote no
    // offset for a topic it had not read from yet); partition 1 never was.
    host_.Assign(0);
    store_.Put(0, Checkpoint{.engine_state = host_.partitions().at(0).engine.SaveState(),
                             .offsets = {{"orders", 40}}});
    host_.Revoke(0);
  }
  static std::shared_ptr<const Config> OneSla() {
    auto config = std::make_shared<Config>();
    config->slas = {AcceptSla(kHour)};
    return config;
  }

  FakeClock clock_;
  EngineHost host_;
  MemoryCheckpointStore store_;
  Metrics metrics_;
  Checkpointer checkpointer_;
  PartitionHandover handover_;
};

TEST_F(PartitionHandoverTest, ATopicTheCheckpointHasNoOffsetForStartsLikeAPartitionWithout) {
  // checkpoint.store: kafka, where "no checkpoint" means "from the beginning".
  handover_.set_start_without_checkpoint({{"orders", kFromBeginning}, {"returns", kFromBeginning}});
  auto starts = handover_.Hooks().start_offsets({0, 1});
  EXPECT_EQ(starts.at(0), (Offsets{{"orders", 40}, {"returns", kFromBeginning}}));
  EXPECT_EQ(starts.at(1), (Offsets{{"orders", kFromBeginning}, {"returns", kFromBeginning}}));
}

TEST_F(PartitionHandoverTest, WithoutAStartForUncheckpointedTopicsTheConsumerDecides) {
  // checkpoint.dir: a partition or topic not answered starts at the committed offset.
  auto starts = handover_.Hooks().start_offsets({0, 1});
  EXPECT_EQ(starts.at(0), (Offsets{{"orders", 40}}));
  EXPECT_FALSE(starts.contains(1));
}

}  // namespace
}  // namespace handoff
