#include "daemon/ingest/kafka_event_source.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/host/rate_limited_log.h"

namespace handoff {
namespace {

std::string Last(const std::vector<std::pair<std::string, std::string>>& props,
                 const std::string& key) {
  std::string value;
  for (const auto& [k, v] : props) {
    if (k == key) value = v;  // librdkafka keeps the last value set
  }
  return value;
}

TEST(ConsumerProperties, PassesUserPropertiesThroughUnchanged) {
  KafkaConfig kafka;
  kafka.brokers = "k1:9093,k2:9093";
  kafka.group_id = "g";
  kafka.properties = {{"security.protocol", "sasl_ssl"},
                      {"sasl.password", "s3cret"},
                      {"auto.offset.reset", "latest"}};
  auto props = ConsumerProperties(kafka);
  EXPECT_EQ(Last(props, "bootstrap.servers"), "k1:9093,k2:9093");
  EXPECT_EQ(Last(props, "group.id"), "g");
  EXPECT_EQ(Last(props, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(Last(props, "sasl.password"), "s3cret");
  EXPECT_EQ(Last(props, "auto.offset.reset"), "latest");  // the user's default wins
}

TEST(ConsumerProperties, ManualOffsetStoreAndEndOfPartitionCannotBeTurnedOff) {
  KafkaConfig kafka;
  kafka.properties = {{"enable.auto.offset.store", "true"}, {"enable.partition.eof", "false"}};
  auto props = ConsumerProperties(kafka);
  EXPECT_EQ(Last(props, "enable.auto.offset.store"), "false");
  EXPECT_EQ(Last(props, "enable.partition.eof"), "true");
}

TEST(ConsumerProperties, EagerRangeForOneTopicAndForSeveral) {
  KafkaConfig kafka;
  for (auto topics : {std::vector<std::string>{"handoffs"},
                      std::vector<std::string>{"orders", "handoffs"}}) {
    kafka.topics = topics;
    auto props = ConsumerProperties(kafka);
    // Several topics: partition p of every topic feeds engine partition p, and only
    // range keeps them on one member. One topic: see ConsumerProperties.
    EXPECT_EQ(Last(props, "partition.assignment.strategy"), "range");
    EXPECT_EQ(Last(props, "auto.offset.reset"), "earliest");
    EXPECT_EQ(Last(props, "group.instance.id"), "");  // dynamic membership
  }
}

// A member with an instance id is a static member: restarted, it gets its partitions back.
TEST(ConsumerProperties, AnInstanceIdMakesAStaticMember) {
  KafkaConfig kafka;
  kafka.group_instance_id = "handoffd-0";
  EXPECT_EQ(Last(ConsumerProperties(kafka), "group.instance.id"), "handoffd-0");
}

TEST(LogRateLimiter, LetsOneLineThroughPerIntervalAndCountsTheRest) {
  LogRateLimiter limiter(10 * kSecond);
  EXPECT_EQ(limiter.Allow(0), 0u);
  EXPECT_EQ(limiter.Allow(1), std::nullopt);
  EXPECT_EQ(limiter.Allow(9'999), std::nullopt);
  EXPECT_EQ(limiter.Allow(10'000), 2u);  // says how many it held back
  EXPECT_EQ(limiter.Allow(10'001), std::nullopt);
  EXPECT_EQ(limiter.Allow(60'000), 1u);
  EXPECT_EQ(limiter.Allow(60'000), std::nullopt);
}

TEST(LogRateLimiter, WithoutAnIntervalLetsEverythingThrough) {
  LogRateLimiter limiter;
  EXPECT_EQ(limiter.Allow(5), 0u);
  EXPECT_EQ(limiter.Allow(5), 0u);
}

}  // namespace
}  // namespace handoff
