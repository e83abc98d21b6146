// Decoding CloudEvents (structured and binary mode) and mapped JSON, and every rejection
// reason (DESIGN.md §4).
#include "handlers/decoder.h"

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace handoff {
namespace {

EventFormat CloudEventsFormat() {
  EventFormat format;
  format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/customer_tier"}};
  return format;
}

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFF_SOURCE_DIR) + "/tests/testdata/events/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<Event, RejectReason> DecodeValue(std::string_view value, std::string_view key = {},
                                        EventFormat format = CloudEventsFormat()) {
  EventDecoder decoder(std::move(format));
  return decoder.Decode(RecordView{.value = value, .key = key, .headers = {}});
}

TEST(EventDecoder, DecodesStructuredCloudEvent) {
  auto event = DecodeValue(Fixture("structured_gold.json"));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, "e-1001");
  EXPECT_EQ(event->type, "handoff.requested");
  EXPECT_EQ(event->time, *ParseRfc3339("2026-11-27T10:00:00Z"));
  EXPECT_EQ(event->key, "order-42");
  ASSERT_EQ(event->attributes.size(), 3u);
  EXPECT_EQ(event->attributes[0], "sales");
  EXPECT_EQ(event->attributes[1], "operations");
  EXPECT_EQ(event->attributes[2], "gold");
}

TEST(EventDecoder, MissingOrNonStringAttributeIsAbsent) {
  auto event = DecodeValue(
      R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z","subject":"o","data":{"from":7}})");
  ASSERT_TRUE(event);
  EXPECT_FALSE(event->attributes[0]);
  EXPECT_FALSE(event->attributes[1]);
}

TEST(EventDecoder, FallsBackToKafkaKey) {
  auto event = DecodeValue(R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z"})", "order-7");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->key, "order-7");
  EXPECT_EQ(DecodeValue(R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z"})").error(),
            RejectReason::kMissingKey);
}

TEST(EventDecoder, DecodesBinaryModeFromHeaders) {
  EventDecoder decoder(CloudEventsFormat());
  RecordView record{.value = R"({"from":"sales","to":"operations"})",
                    .key = "order-9",
                    .headers = {{"ce_specversion", "1.0"},
                                {"ce_id", "b-1"},
                                {"ce_type", "handoff.requested"},
                                {"ce_time", "2026-11-27T10:00:00Z"},
                                {"ce_source", "/crm"}}};
  auto event = decoder.Decode(record);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, "b-1");
  EXPECT_EQ(event->key, "order-9");
  EXPECT_EQ(event->attributes[0], "sales");
  EXPECT_EQ(event->attributes[1], "operations");
  EXPECT_FALSE(event->attributes[2]);

  record.headers.pop_back();
  record.headers[3].second = "yesterday";
  EXPECT_EQ(decoder.Decode(record).error(), RejectReason::kBadTime);
}

TEST(EventDecoder, DecodesMappedJsonWithEpochTimes) {
  EventFormat format;
  format.format = PayloadFormat::kJson;
  format.id_pointer = "/event_id";
  format.type_pointer = "/kind";
  format.time_pointer = "/ts";
  format.key_pointer = "/order/id";
  format.time_format = TimeFormat::kEpochMs;
  format.attributes = {{"to", "/to~1dept"}};
  auto event = DecodeValue(
      R"({"event_id":"x","kind":"k","ts":1795773600123,"order":{"id":"o-1"},"to/dept":"ops"})", {},
      format);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->time, 1795773600123);
  EXPECT_EQ(event->key, "o-1");
  EXPECT_EQ(event->attributes[0], "ops");

  format.time_format = TimeFormat::kEpochS;
  auto seconds = DecodeValue(R"({"event_id":"x","kind":"k","ts":1795773600.1239,"order":{"id":"o"}})",
                             {}, format);
  ASSERT_TRUE(seconds);
  EXPECT_EQ(seconds->time, 1795773600123);
  auto text = DecodeValue(R"({"event_id":"x","kind":"k","ts":"1795773600.5","order":{"id":"o"}})",
                          {}, format);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->time, 1795773600500);
}

struct RejectCase {
  const char* name;
  std::string value;
  RejectReason reason;
};

TEST(EventDecoder, EveryRejectionHasItsReason) {
  const std::vector<RejectCase> cases = {
      {"too large", std::string(kMaxRecordBytes + 1, ' '), RejectReason::kTooLarge},
      {"not json", "{\"id\":", RejectReason::kNotJson},
      {"binary garbage", std::string("\xff\xfe\x00", 3), RejectReason::kNotJson},
      {"array", "[1,2]", RejectReason::kNotObject},
      {"string", "\"hello\"", RejectReason::kNotObject},
      {"no id", R"({"type":"t","time":"2026-11-27T10:00:00Z","subject":"o"})",
       RejectReason::kMissingId},
      {"empty id", R"({"id":"","type":"t","time":"2026-11-27T10:00:00Z","subject":"o"})",
       RejectReason::kMissingId},
      {"numeric id", R"({"id":5,"type":"t","time":"2026-11-27T10:00:00Z","subject":"o"})",
       RejectReason::kMissingId},
      {"no type", R"({"id":"1","time":"2026-11-27T10:00:00Z","subject":"o"})",
       RejectReason::kMissingType},
      {"no time", R"({"id":"1","type":"t","subject":"o"})", RejectReason::kMissingTime},
      {"null time", R"({"id":"1","type":"t","time":null,"subject":"o"})",
       RejectReason::kMissingTime},
      {"date only", R"({"id":"1","type":"t","time":"2026-11-27","subject":"o"})",
       RejectReason::kBadTime},
      {"no offset", R"({"id":"1","type":"t","time":"2026-11-27T10:00:00","subject":"o"})",
       RejectReason::kBadTime},
      {"hour 24", R"({"id":"1","type":"t","time":"2026-11-27T24:00:00Z","subject":"o"})",
       RejectReason::kBadTime},
      {"second 60", R"({"id":"1","type":"t","time":"2026-12-31T23:59:60Z","subject":"o"})",
       RejectReason::kBadTime},
      {"feb 30", R"({"id":"1","type":"t","time":"2026-02-30T10:00:00Z","subject":"o"})",
       RejectReason::kBadTime},
      {"numeric rfc3339", R"({"id":"1","type":"t","time":1795773600,"subject":"o"})",
       RejectReason::kBadTime},
      {"no key", R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z"})",
       RejectReason::kMissingKey},
      {"empty key", R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z","subject":""})",
       RejectReason::kMissingKey},
  };
  for (const auto& c : cases) {
    auto result = DecodeValue(c.value);
    ASSERT_FALSE(result) << c.name;
    EXPECT_EQ(result.error(), c.reason) << c.name << ": got " << RejectReasonName(result.error());
  }
}

TEST(EventDecoder, ReasonNamesAreUniqueLabelValues) {
  std::set<std::string_view> names;
  for (RejectReason reason : kAllRejectReasons) {
    auto name = RejectReasonName(reason);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

TEST(EventDecoder, ReusesItsBufferAcrossRecordsOfDifferentSizes) {
  EventDecoder decoder(CloudEventsFormat());
  std::string big = Fixture("structured_gold.json");
  std::string small = R"({"id":"s","type":"t","time":"2026-11-27T10:00:00Z","subject":"o"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(decoder.Decode({.value = big, .key = {}, .headers = {}}));
    auto event = decoder.Decode({.value = small, .key = {}, .headers = {}});
    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, "s");
  }
}

}  // namespace
}  // namespace handoff
