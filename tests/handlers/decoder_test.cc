// Decoding CloudEvents (structured and binary mode) and mapped JSON, and every rejection
// reason (docs/reference/events.md).
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

// docs/reference/events.md "Values": epoch times outside the years 1970-9999 are bad times,
// whether numbers or text, and huge ones never overflow on the way.
TEST(EventDecoder, EpochTimesOutsideYears1970To9999AreBadTimes) {
  EventFormat format;
  format.format = PayloadFormat::kJson;
  format.key_pointer = "/key";
  auto decode = [&](TimeFormat time_format, std::string_view time) {
    format.time_format = time_format;
    return DecodeValue(R"({"id":"x","type":"k","key":"o","time":)" + std::string(time) + "}", {},
                       format);
  };
  for (TimeFormat f : {TimeFormat::kEpochMs, TimeFormat::kEpochS}) {
    for (const char* bad : {"-1", "\"-1\"", "-0.5", "1e300", "9223372036854775807",
                            "\"9223372036854775807\"", "1e20"}) {
      auto event = decode(f, bad);
      ASSERT_FALSE(event) << bad;
      EXPECT_EQ(event.error(), RejectReason::kBadTime) << bad;
    }
    EXPECT_EQ(decode(f, "0")->time, 0);
  }
  EXPECT_FALSE(decode(TimeFormat::kEpochMs, "253402300800000"));
  EXPECT_EQ(decode(TimeFormat::kEpochMs, "253402300799999")->time, kMaxEventTime);
  EXPECT_FALSE(decode(TimeFormat::kEpochS, "\"253402300800\""));
  EXPECT_EQ(decode(TimeFormat::kEpochS, "\"253402300799.999\"")->time, kMaxEventTime);
}

// A mapped-JSON format whose id is "/id" and whose key falls back to the Kafka key, with
// the given attribute pointers: the pointer tests below only vary the attributes.
EventFormat AttributeFormat(std::vector<std::string> pointers) {
  EventFormat format;
  format.format = PayloadFormat::kJson;
  format.key_pointer = "/key";
  for (std::size_t i = 0; i < pointers.size(); ++i) {
    format.attributes.push_back({"a" + std::to_string(i), pointers[i]});
  }
  return format;
}

// Decodes `fields` (a JSON object's members, without braces) after a valid id, type and
// time, and returns the attribute slots.
std::vector<std::optional<std::string>> Attributes(std::string_view fields,
                                                   std::vector<std::string> pointers) {
  std::string value = R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z")";
  if (!fields.empty()) value += "," + std::string(fields);
  value += "}";
  auto event = DecodeValue(value, "k", AttributeFormat(std::move(pointers)));
  EXPECT_TRUE(event) << value;
  if (!event) return {};
  return event->attributes;
}

using Slots = std::vector<std::optional<std::string>>;

// Why `format` rejects an event with id, type and time at their usual places and the Kafka
// key "k"; nullopt if it accepts it.
std::optional<RejectReason> RejectionOfMinimalEvent(EventFormat format) {
  auto result =
      DecodeValue(R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z"})", "k", std::move(format));
  if (result) return std::nullopt;
  return result.error();
}

TEST(EventDecoder, FollowsNestedPointers) {
  EXPECT_EQ(Attributes(R"("a":{"b":{"c":"deep","d":"other"},"c":"shallow"},"c":"top")",
                       {"/a/b/c", "/a/c", "/c", "/a/b/d", "/a/b/e", "/a/x/c"}),
            (Slots{"deep", "shallow", "top", "other", std::nullopt, std::nullopt}));
}

TEST(EventDecoder, UnescapesPointerSegments) {
  EXPECT_EQ(Attributes(R"("a/b":"slash","m~n":"tilde","~1":"literal","x":{"/":"nested"})",
                       {"/a~1b", "/m~0n", "/~01", "/x/~1", "/a/b"}),
            (Slots{"slash", "tilde", "literal", "nested", std::nullopt}));
}

TEST(EventDecoder, PointerWithABadEscapeNeverMatches) {
  EXPECT_EQ(Attributes(R"("a~2":"x","b~":"y","c":{"d~":"z"})", {"/a~2", "/b~", "/c/d~"}),
            (Slots{std::nullopt, std::nullopt, std::nullopt}));
}

TEST(EventDecoder, DuplicateKeysKeepTheFirst) {
  auto event = DecodeValue(
      R"({"id":"first","id":"second","type":"t","time":"2026-11-27T10:00:00Z","subject":"o",)"
      R"("data":{"from":"a","from":"b"},"data":{"to":"c","from":"d"}})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, "first");
  EXPECT_EQ(event->attributes[0], "a");
  // "/data/to" looks only in the first "data", which has no "to".
  EXPECT_FALSE(event->attributes[1]);
  // A duplicate of a required field does not rescue it: the first one decides.
  EXPECT_EQ(
      DecodeValue(R"({"id":5,"id":"1","type":"t","time":"2026-11-27T10:00:00Z","subject":"o"})")
          .error(),
      RejectReason::kMissingId);
}

TEST(EventDecoder, FollowsPointersThroughArrays) {
  EXPECT_EQ(Attributes(R"("tags":["x","y",{"k":"z"}],"obj":{"0":"key zero"},"one":["only"])",
                       {"/tags/0", "/tags/1", "/tags/2/k", "/tags/3", "/tags/01", "/tags/-",
                        "/tags/", "/obj/0", "/tags/k", "/one/0", "/one/00"}),
            (Slots{"x", "y", "z", std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                   "key zero", std::nullopt, "only", std::nullopt}));
}

TEST(EventDecoder, PointerThroughANonObjectIsAbsent) {
  EXPECT_EQ(Attributes(R"("s":"text","n":7,"z":null,"t":true,"o":{"s":"x"})",
                       {"/s/x", "/n/0", "/z/a", "/t/a", "/o/s/x", "/s"}),
            (Slots{std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, "text"}));
  EventFormat format = AttributeFormat({});
  EXPECT_EQ(RejectionOfMinimalEvent(format), std::nullopt);
  format.type_pointer = "/type/name";
  EXPECT_EQ(RejectionOfMinimalEvent(format), RejectReason::kMissingType);
}

TEST(EventDecoder, EmptyAndUnrootedPointers) {
  // "" is the whole document (an object, so never a string); "/" is the key "".
  EXPECT_EQ(Attributes(R"("":"empty key","x":"y")", {"", "/", "x", "x/"}),
            (Slots{std::nullopt, "empty key", std::nullopt, std::nullopt}));
  EventFormat format = AttributeFormat({});
  format.id_pointer = "";
  EXPECT_EQ(RejectionOfMinimalEvent(format), RejectReason::kMissingId);
}

TEST(EventDecoder, SharedAndPrefixPointers) {
  EventFormat format = AttributeFormat({"/data", "/data/from", "/data/from", "/id"});
  format.key_pointer = "/id";
  auto event = DecodeValue(
      R"({"id":"same","type":"t","time":"2026-11-27T10:00:00Z","data":{"from":"f"}})", {}, format);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->key, "same");
  EXPECT_EQ(event->attributes, (Slots{std::nullopt, "f", "f", "same"}));
}

TEST(EventDecoder, RejectionChecksRunInOrder) {
  // Every field is wrong; the reasons come out in the documented order as each is fixed.
  std::vector<std::pair<std::string, RejectReason>> steps = {
      {R"({"time":"bad"})", RejectReason::kMissingId},
      {R"({"id":"1","time":"bad"})", RejectReason::kMissingType},
      {R"({"id":"1","type":"t"})", RejectReason::kMissingTime},
      {R"({"id":"1","type":"t","time":"bad"})", RejectReason::kBadTime},
      {R"({"id":"1","type":"t","time":"2026-11-27T10:00:00Z","subject":7})",
       RejectReason::kMissingKey},
  };
  for (const auto& [value, reason] : steps) {
    auto result = DecodeValue(value);
    ASSERT_FALSE(result) << value;
    EXPECT_EQ(result.error(), reason) << value << ": got " << RejectReasonName(result.error());
  }
}

TEST(EventDecoder, BinaryModeReadsDataPointersFromTheValue) {
  EventFormat format = CloudEventsFormat();
  format.attributes = {{"all", "/data"}, {"first", "/data/0"}, {"nested", "/data/1/k"},
                       {"top", "/id"},   {"glued", "/datax"},  {"escaped", "/data/~1"}};
  EventDecoder decoder(format);
  RecordView record{.value = R"(["zero",{"k":"v"}])",
                    .key = "order-9",
                    .headers = {{"ce_specversion", "1.0"},
                                {"ce_id", "b-1"},
                                {"ce_type", "t"},
                                {"ce_time", "2026-11-27T10:00:00Z"}}};
  auto event = decoder.Decode(record);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->attributes,
            (Slots{std::nullopt, "zero", "v", std::nullopt, std::nullopt, std::nullopt}));

  record.value = R"("just a string")";
  event = decoder.Decode(record);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->attributes[0], "just a string");
  EXPECT_FALSE(event->attributes[1]);

  record.value = R"({"/":"slash","id":"not a header"})";
  event = decoder.Decode(record);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->attributes[5], "slash");
  EXPECT_FALSE(event->attributes[3]);

  record.value = "not json";
  event = decoder.Decode(record);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->attributes, Slots(6));
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
      {"year 1969", R"({"id":"1","type":"t","time":"1969-12-31T23:59:59Z","subject":"o"})",
       RejectReason::kBadTime},
      {"year 10000 after the offset",
       R"({"id":"1","type":"t","time":"9999-12-31T23:59:59-23:59","subject":"o"})",
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
