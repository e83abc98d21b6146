// KafkaCheckpointStore against librdkafka's mock cluster over TCP: several stores stand
// for several members of one group sharing the state topic.
#include "daemon/durability/kafka_checkpoint_store.h"

#include <gtest/gtest.h>

#include "daemon/demo/demo_cluster.h"

namespace handoff {
namespace {

constexpr char kTopic[] = "handoff.state";

class KafkaCheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = DemoCluster::Create(1, {{kTopic, 4}, {"small.state", 2}, {"orders", 4}});
    ASSERT_TRUE(cluster) << cluster.error().message;
    cluster_ = std::move(cluster).value();
  }

  KafkaCheckpointStore::Options OptionsFor(const std::string& member) {
    KafkaCheckpointStore::Options options;
    options.brokers = cluster_->bootstrap_servers();
    options.properties = {{"log_level", "0"}};
    options.topic = kTopic;
    options.member = member;
    options.api_url = "http://" + member + ":9464";
    options.chunk_bytes = 1000;    // a state of a few kB spans several chunks
    options.bytes_per_record = 0;  // every save written, unless a test says otherwise
    options.timeout = 10 * kSecond;
    return options;
  }

  std::unique_ptr<KafkaCheckpointStore> Member(const std::string& member) {
    auto store = KafkaCheckpointStore::Open(OptionsFor(member), {"orders"});
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(store).value() : nullptr;
  }

  static Checkpoint StateOf(const std::string& tag, std::size_t bytes = 5000) {
    Checkpoint c;
    c.engine_state.reserve(bytes);
    while (c.engine_state.size() < bytes) c.engine_state += tag;
    c.engine_state.resize(bytes);
    c.offsets = {{"orders", static_cast<std::int64_t>(bytes)}, {"handoffs", 7}};
    return c;
  }

  std::unique_ptr<DemoCluster> cluster_;
};

TEST_F(KafkaCheckpointStoreTest, AMissingOrTooSmallTopicIsRefusedByName) {
  auto options = OptionsFor("a");
  options.topic = "no.such.topic";
  auto missing = KafkaCheckpointStore::Open(options, {"orders"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("checkpoint.topic no.such.topic is not usable"),
            std::string::npos)
      << missing.error().message;
  options.topic = "small.state";
  auto small = KafkaCheckpointStore::Open(options, {"orders"});
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().message.find("has 2 partitions, orders has 4"), std::string::npos)
      << small.error().message;
  EXPECT_NE(small.error().message.find("cleanup.policy=compact"), std::string::npos);
}

TEST_F(KafkaCheckpointStoreTest, AnotherMemberRestoresTheNewestSnapshot) {
  auto a = Member("a");
  auto b = Member("b");
  ASSERT_TRUE(a && b);
  auto empty = a->Load(2);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_FALSE(*empty);
  ASSERT_TRUE(a->Save(2, StateOf("first")).ok());
  ASSERT_TRUE(a->Save(2, StateOf("second", 4321)).ok());
  ASSERT_TRUE(a->Save(1, StateOf("other")).ok());  // another partition, never Loaded

  auto loaded = b->Load(2);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(*loaded);
  EXPECT_EQ((*loaded)->engine_state, StateOf("second", 4321).engine_state);
  EXPECT_EQ((*loaded)->offsets, StateOf("second", 4321).offsets);
  auto listed = b->List();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<std::int32_t>{1, 2}));
}

// The zombie: a keeps running after b took its partition over. a's next save finds b's
// claim and is refused; a third member restores b's state, not a's.
TEST_F(KafkaCheckpointStoreTest, AMemberThatLostItsPartitionCannotWriteTheRestoredState) {
  auto a = Member("a");
  auto b = Member("b");
  auto c = Member("c");
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(a->Load(0));
  ASSERT_TRUE(a->Save(0, StateOf("a-before")).ok());
  auto taken = b->Load(0);
  ASSERT_TRUE(taken && *taken);
  EXPECT_EQ((*taken)->engine_state, StateOf("a-before").engine_state);

  Status refused = a->Save(0, StateOf("a-zombie"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("claimed by another member"), std::string::npos);
  EXPECT_TRUE(a->fenced(0));
  EXPECT_FALSE(a->Save(0, StateOf("a-zombie")).ok());  // and stays refused
  EXPECT_FALSE(b->fenced(0));

  auto restored = c->Load(0);
  ASSERT_TRUE(restored && *restored);
  EXPECT_EQ((*restored)->engine_state, StateOf("a-before").engine_state);
  EXPECT_FALSE(b->Save(0, StateOf("b-after")).ok());  // c claimed after b: b is fenced in turn
  EXPECT_TRUE(b->fenced(0));

  // a is assigned the partition again: it claims anew and may save.
  auto back = a->Load(0);
  ASSERT_TRUE(back && *back);
  EXPECT_FALSE(a->fenced(0));
  ASSERT_TRUE(a->Save(0, StateOf("a-again")).ok());
  auto last = c->Load(0);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->engine_state, StateOf("a-again").engine_state);
}

// The byte budget: a save is written once the records read since the last one pay for
// its size; a handover is always written. Skipped saves still notice a newer claim.
TEST_F(KafkaCheckpointStoreTest, SavesAreSkippedUntilTheRecordsReadPayForThem) {
  auto options = OptionsFor("a");
  options.bytes_per_record = 100;  // a 5000-byte state: one save per 50 records read
  auto opened = KafkaCheckpointStore::Open(options, {"orders"});
  ASSERT_TRUE(opened) << opened.error().message;
  auto a = std::move(opened).value();
  auto b = Member("b");
  Checkpoint state = StateOf("x");
  ASSERT_TRUE(a->Save(1, state).ok());  // the first is always written
  std::uint64_t written = a->bytes_written();

  state.offsets["orders"] += 49;
  state.engine_state[0] = 'y';
  ASSERT_TRUE(a->Save(1, state).ok());
  EXPECT_EQ(a->bytes_written(), written);
  EXPECT_EQ(a->saves_skipped(), 1u);
  state.offsets["orders"] += 1;  // 50 records: 5000 bytes, paid for
  ASSERT_TRUE(a->Save(1, state).ok());
  EXPECT_GT(a->bytes_written(), written);
  written = a->bytes_written();

  state.offsets["handoffs"] += 1;
  state.engine_state[0] = 'z';
  state.handover = true;
  ASSERT_TRUE(a->Save(1, state).ok());
  EXPECT_GT(a->bytes_written(), written);
  auto loaded = b->Load(1);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->engine_state[0], 'z');

  state.offsets["orders"] += 1;
  state.handover = false;
  EXPECT_FALSE(a->Save(1, state).ok());  // skipped, and b's claim is noticed
  EXPECT_TRUE(a->fenced(1));
}

// Restore cost is one snapshot, not the log: after 30 saves of a 5-chunk state the
// restore reads about as much as after 2.
TEST_F(KafkaCheckpointStoreTest, RestoreReadsOneSnapshotHoweverLongTheLog) {
  auto a = Member("a");
  auto b = Member("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Load(3));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(a->Save(3, StateOf("s" + std::to_string(i))).ok());
  auto loaded = b->Load(3);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->engine_state, StateOf("s29").engine_state);
  // The first window (16 records from the end) holds b's claim, the last snapshot's 6
  // chunks and commit and the previous one's tombstones; the log holds 30 * 14 records.
  EXPECT_LE(b->last_load_stats().records, 16u);
  EXPECT_LE(b->last_load_stats().bytes, 8 * 1100u);
}

// The group's members are found by the newest claim of each partition: a claim record,
// or the claim a snapshot was written under.
TEST_F(KafkaCheckpointStoreTest, TheNewestClaimOfEachPartitionNamesItsOwner) {
  auto a = Member("a");
  auto b = Member("b");
  ASSERT_TRUE(a && b);
  auto none = a->OwnerUrls(10 * kSecond);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(a->Load(0));
  ASSERT_TRUE(a->Save(0, StateOf("a0")).ok());
  // a's second commit, then the tombstones of the first snapshot's records: read past.
  ASSERT_TRUE(a->Save(0, StateOf("a0 again")).ok());
  ASSERT_TRUE(b->Load(1));                        // the newest record is b's claim
  auto urls = b->OwnerUrls(10 * kSecond);
  ASSERT_TRUE(urls) << urls.error().message;
  EXPECT_EQ(*urls, (std::vector<std::string>{"http://a:9464", "http://b:9464"}));

  ASSERT_TRUE(b->Load(0));  // b takes partition 0 over
  urls = a->OwnerUrls(10 * kSecond);
  ASSERT_TRUE(urls) << urls.error().message;
  EXPECT_EQ(*urls, (std::vector<std::string>{"http://b:9464", "http://b:9464"}));
}

}  // namespace
}  // namespace handoff
