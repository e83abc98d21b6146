// Every validation rule of the config loader, each asserting the reported position
// (1-based line and column) and key path. Line numbers of kMinimalConfig:
//  1 kafka:                 6     to: /data/to            11     to: operations
//  2   topics: [orders]     7     tier: /data/tier        12     start: { type: ..., where: { from:
//  sales } } 3 events:                8 slas:                       13     stop: { type:
//  handoff.accepted } 4   attributes:          9   - name: accept            14     target: 2h 5
//  from: /data/from  10     from: sales
#include "config/config_loader.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

using testing::AddToSla;
using testing::Dump;
using testing::Edit;
using testing::ErrorsOf;
using testing::ExpectOnlyError;
using testing::kMinimalConfig;
using testing::NoEnv;

std::string Fixture(const std::string& name) {
  return std::string(HANDOFF_SOURCE_DIR) + "/tests/testdata/config/" + name;
}

std::string WithSection(std::string_view section) {
  return std::string(kMinimalConfig) + std::string(section);
}

const ConfigError* FindKey(const ConfigErrors& errors, const std::string& key) {
  for (const auto& e : errors) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

TEST(ConfigLoader, LoadsMinimalConfigWithDefaults) {
  auto result = LoadConfigString(kMinimalConfig, "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const Config& config = result.value();
  EXPECT_EQ(config.path, "test.yaml");
  EXPECT_EQ(config.kafka.brokers, "localhost:9092");
  EXPECT_EQ(config.kafka.group_id, "handoffd");
  EXPECT_EQ(config.kafka.topics, std::vector<std::string>{"orders"});
  EXPECT_EQ(config.events.format, PayloadFormat::kCloudEvents);
  EXPECT_EQ(config.events.id_pointer, "/id");
  EXPECT_EQ(config.events.key_pointer, "/subject");
  EXPECT_EQ(config.time.lateness, 5 * kSecond);
  EXPECT_EQ(config.time.retention, 7 * kDay);
  EXPECT_EQ(config.checkpoint.store, CheckpointStoreKind::kFile);
  EXPECT_EQ(config.checkpoint.dir, "/var/lib/handoffd");
  EXPECT_EQ(config.checkpoint.topic, "handoff.state");
  EXPECT_EQ(config.web.listen_address, ":9464");
  ASSERT_EQ(config.slas.size(), 1u);
  const SlaDefinition& sla = config.slas[0];
  EXPECT_EQ(sla.name, "accept");
  EXPECT_EQ(sla.owner, "operations");  // defaults to `to`
  EXPECT_EQ(sla.target, 2 * kHour);
  EXPECT_EQ(sla.start.types, std::vector<std::string>{"handoff.requested"});
  ASSERT_EQ(sla.start.where.size(), 1u);
  EXPECT_EQ(sla.start.where[0].attribute, 0u);  // `from` is the first attribute
  EXPECT_EQ(sla.start.where[0].values, std::vector<std::string>{"sales"});
  EXPECT_FALSE(sla.pause.has_value());
  EXPECT_EQ(sla.calendar, AlwaysOpenCalendar::Shared());
  EXPECT_TRUE(sla.calendar_name.empty());
}

TEST(ConfigLoader, ResolvesConditionsTargetsWarningsAndCalendar) {
  auto result = LoadConfigString(R"(kafka: { topics: [orders, handoffs] }
events:
  format: json
  attributes: { from: /from, to: /to, tier: /tier }
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon-fri: ["08:00-12:00", "13:00-17:00"]
      sat: "09:00-13:00"
    holidays: [1970-01-02, 2026-12-24]
slas:
  - name: accept
    from: sales
    to: operations
    owner: sales
    start: { type: [a, b], where: { to: [operations, ops] } }
    stop: { type: c, where: { tier: gold } }
    pause: { type: p }
    resume: { type: r }
    cancel: { type: x }
    target: 1h30m
    targets:
      - when: { tier: [gold, platinum] }
        target: 30m
    warn_at: [0.8, 0.5]
    calendar: office
)",
                                 "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const Config& config = result.value();
  EXPECT_EQ(config.events.format, PayloadFormat::kJson);
  EXPECT_EQ(config.events.key_pointer, "/key");  // the JSON default
  const SlaDefinition& sla = config.slas.at(0);
  EXPECT_EQ(sla.owner, "sales");
  EXPECT_EQ(sla.start.types, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sla.start.where.at(0).attribute, 1u);
  EXPECT_EQ(sla.start.where.at(0).values, (std::vector<std::string>{"operations", "ops"}));
  EXPECT_EQ(sla.stop.where.at(0).attribute, 2u);
  ASSERT_TRUE(sla.pause && sla.resume && sla.cancel);
  EXPECT_EQ(sla.cancel->types, std::vector<std::string>{"x"});
  EXPECT_EQ(sla.target, 90 * kMinute);
  ASSERT_EQ(sla.targets.size(), 1u);
  EXPECT_TRUE(sla.targets[0].when.types.empty());
  EXPECT_EQ(sla.targets[0].when.where.at(0).values, (std::vector<std::string>{"gold", "platinum"}));
  EXPECT_EQ(sla.targets[0].target, 30 * kMinute);
  EXPECT_EQ(sla.warn_at, (std::vector<double>{0.5, 0.8}));
  EXPECT_EQ(sla.calendar_name, "office");
  ASSERT_EQ(config.calendars.count("office"), 1u);
  EXPECT_EQ(sla.calendar, config.calendars.at("office"));
  const CalendarSpec& spec = config.calendar_specs.at("office");
  EXPECT_EQ(spec.timezone, "Europe/Berlin");
  EXPECT_EQ(spec.hours[0].size(), 2u);
  EXPECT_EQ(spec.hours[4].at(1).end_minute, 17 * 60);
  EXPECT_EQ(spec.hours[5].at(0).begin_minute, 9 * 60);
  EXPECT_TRUE(spec.hours[6].empty());
  EXPECT_EQ(spec.holidays, (std::vector<std::int32_t>{1, 20811}));
}

TEST(ConfigLoader, ErrorToStringNamesFileLineColumnAndKey) {
  ConfigError error{"orders.yaml", 12, 5, "slas[0].target", "bad duration \"2x\""};
  EXPECT_EQ(error.ToString(), "orders.yaml:12:5: slas[0].target: bad duration \"2x\"");
  ConfigError env{"env", 0, 0, "time.lateness", "HANDOFF_TIME_LATENESS: bad"};
  EXPECT_EQ(env.ToString(), "env: time.lateness: HANDOFF_TIME_LATENESS: bad");
  ConfigError whole{"x.yaml", 3, 1, "", "YAML syntax error: oops"};
  EXPECT_EQ(whole.ToString(), "x.yaml:3:1: YAML syntax error: oops");
}

TEST(ConfigLoader, RejectsBadDurationWithPosition) {
  ConfigErrors errors = ErrorsOf(Edit("target: 2h", "target: 2x"));
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_EQ(errors[0].ToString(),
            "test.yaml:14:13: slas[0].target: bad duration \"2x\" (use e.g. 90s, 15m, 2h, "
            "1h30m, 3d)");
}

TEST(ConfigLoader, ReportsYamlSyntaxErrorWithPosition) {
  ConfigErrors errors = ErrorsOf("kafka:\n  topics: [orders\nslas: []\n");
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_GE(errors[0].line, 2);
  EXPECT_GT(errors[0].column, 0);
  EXPECT_NE(errors[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(ConfigLoader, ReportsYamlSyntaxErrorFromFixture) {
  auto result = LoadConfigFile(Fixture("yaml_syntax_error.yaml"), NoEnv());
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().size(), 1u) << Dump(result.error());
  EXPECT_EQ(result.error()[0].line, 4);
  EXPECT_EQ(result.error()[0].column, 5);
}

TEST(ConfigLoader, RejectsUnreadableFile) {
  auto result = LoadConfigFile(Fixture("does_not_exist.yaml"), NoEnv());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().at(0).line, 0);
  EXPECT_NE(result.error()[0].message.find("cannot read"), std::string::npos);
}

TEST(ConfigLoader, RejectsUnknownKeyWithPosition) {
  ExpectOnlyError(AddToSla("    colour: red"), 15, 5, "slas[0].colour", "unknown key `colour`");
}

TEST(ConfigLoader, SuggestsNearestKnownKey) {
  ConfigErrors errors = ErrorsOf(Edit("    target: 2h", "    taregt: 2h"));
  const ConfigError* unknown = FindKey(errors, "slas[0].taregt");
  ASSERT_NE(unknown, nullptr) << Dump(errors);
  EXPECT_EQ(unknown->line, 14);
  EXPECT_EQ(unknown->column, 5);
  EXPECT_NE(unknown->message.find("did you mean `target`?"), std::string::npos);
  EXPECT_NE(FindKey(errors, "slas[0].target"), nullptr) << "target is now missing";
}

TEST(ConfigLoader, RejectsUnknownTopLevelKey) {
  ExpectOnlyError(WithSection("checkpiont:\n  dir: /tmp\n"), 15, 1, "checkpiont",
                  "did you mean `checkpoint`?");
}

TEST(ConfigLoader, RejectsUnknownKeyInSection) {
  ExpectOnlyError(WithSection("time:\n  latenes: 5s\n"), 16, 3, "time.latenes",
                  "did you mean `lateness`?");
  ExpectOnlyError(WithSection("events2: {}\n"), 15, 1, "events2", "did you mean `events`?");
}

TEST(ConfigLoader, RejectsDuplicateKey) {
  ExpectOnlyError(AddToSla("    target: 3h"), 15, 5, "slas[0].target",
                  "duplicate key (first at line 14)");
}

TEST(ConfigLoader, RequiresKafkaTopics) {
  ExpectOnlyError(Edit("kafka:\n  topics: [orders]\n", "kafka:\n  brokers: k:9092\n"), 2, 3,
                  "kafka.topics", "needs at least one topic");
  ExpectOnlyError(Edit("topics: [orders]", "topics: []"), 2, 11, "kafka.topics",
                  "needs at least one topic");
  ExpectOnlyError(Edit("kafka:\n  topics: [orders]\n", ""), 1, 1, "kafka.topics",
                  "needs at least one topic");
}

TEST(ConfigLoader, RejectsEmptyAndRepeatedTopics) {
  ExpectOnlyError(Edit("[orders]", "[orders, \"\"]"), 2, 20, "kafka.topics", "must not be empty");
  ExpectOnlyError(Edit("[orders]", "[orders, orders]"), 2, 20, "kafka.topics", "listed twice");
}

TEST(ConfigLoader, RequiresSlas) {
  std::string no_slas = std::string(kMinimalConfig.substr(0, kMinimalConfig.find("slas:")));
  ExpectOnlyError(no_slas, 1, 1, "slas", "required key `slas` is missing");
  ExpectOnlyError(no_slas + "slas: []\n", 8, 7, "slas", "needs at least one SLA");
}

TEST(ConfigLoader, RequiresEachSlaKey) {
  struct Case {
    std::string line;
    std::string key;
  };
  for (const Case& c :
       {Case{"    from: sales\n", "from"}, Case{"    to: operations\n", "to"},
        Case{"  - name: accept\n", "name"}, Case{"    stop: { type: handoff.accepted }\n", "stop"},
        Case{"    target: 2h\n", "target"}}) {
    SCOPED_TRACE(c.key);
    std::string yaml = Edit(c.line, c.key == "name" ? "  -\n" : "");
    ConfigErrors errors = ErrorsOf(yaml);
    const ConfigError* e = FindKey(errors, "slas[0]." + c.key);
    ASSERT_NE(e, nullptr) << Dump(errors);
    EXPECT_NE(e->message.find("required key `" + c.key + "` is missing"), std::string::npos);
    EXPECT_EQ(e->line, c.key == "name" ? 10 : 9);
    EXPECT_EQ(e->column, 5);
  }
  ExpectOnlyError(Edit("    start: { type: handoff.requested, where: { from: sales } }\n", ""), 9,
                  5, "slas[0].start", "required key `start` is missing");
}

TEST(ConfigLoader, RejectsDuplicateSlaNames) {
  std::string yaml = std::string(kMinimalConfig) +
                     "  - name: accept\n    from: a\n    to: b\n    start: { type: s }\n"
                     "    stop: { type: t }\n    target: 1h\n";
  ExpectOnlyError(yaml, 15, 11, "slas[1].name", "duplicate SLA name \"accept\" (first at line 9)");
}

TEST(ConfigLoader, RejectsBadSlaName) {
  ExpectOnlyError(Edit("name: accept", "name: Accept-Order"), 9, 11, "slas[0].name",
                  "bad SLA name \"Accept-Order\"");
  ExpectOnlyError(Edit("name: accept", "name: 1st"), 9, 11, "slas[0].name", "bad SLA name");
}

TEST(ConfigLoader, RejectsEmptyDepartment) {
  ExpectOnlyError(Edit("from: sales\n", "from: \"\"\n"), 10, 11, "slas[0].from", "non-empty UTF-8");
  ExpectOnlyError(AddToSla("    owner: ''"), 15, 12, "slas[0].owner", "non-empty");
}

TEST(ConfigLoader, RejectsUnknownCalendar) {
  ExpectOnlyError(AddToSla("    calendar: ofice"), 15, 15, "slas[0].calendar",
                  "unknown calendar `ofice`");
  std::string yaml = AddToSla("    calendar: ofice") +
                     "calendars:\n  office:\n    timezone: UTC\n    hours: { mon: 09:00-17:00 }\n";
  ConfigErrors errors = ErrorsOf(yaml);
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_NE(errors[0].message.find("did you mean `office`?"), std::string::npos);
}

TEST(ConfigLoader, RejectsZeroAndNegativeTargets) {
  ExpectOnlyError(Edit("target: 2h", "target: 0s"), 14, 13, "slas[0].target",
                  "must be greater than 0");
  ExpectOnlyError(Edit("target: 2h", "target: -2h"), 14, 13, "slas[0].target", "bad duration");
  ExpectOnlyError(AddToSla("    targets:\n      - when: { tier: gold }\n"
                           "        target: 0m"),
                  17, 17, "slas[0].targets[0].target", "must be greater than 0");
}

TEST(ConfigLoader, ChecksTargetOverrides) {
  ExpectOnlyError(AddToSla("    targets: { when: x }"), 15, 14, "slas[0].targets",
                  "expected a list, got a map");
  ExpectOnlyError(AddToSla("    targets:\n      - target: 1h"), 16, 9, "slas[0].targets[0].when",
                  "required key `when` is missing");
  ExpectOnlyError(AddToSla("    targets:\n      - { when: {}, target: 1h }"), 16, 17,
                  "slas[0].targets[0].when", "needs at least one attribute");
  ExpectOnlyError(AddToSla("    targets:\n      - when: { tierr: gold }\n"
                           "        target: 1h"),
                  16, 17, "slas[0].targets[0].when.tierr", "did you mean `tier`?");
}

TEST(ConfigLoader, ChecksTimeDurations) {
  ExpectOnlyError(WithSection("time:\n  lateness: -1s\n"), 16, 13, "time.lateness", "bad duration");
  ExpectOnlyError(WithSection("time:\n  idle_timeout: 0s\n"), 16, 17, "time.idle_timeout",
                  "must be greater than 0");
  ExpectOnlyError(WithSection("time:\n  dedupe_window: 1 h\n"), 16, 18, "time.dedupe_window",
                  "bad duration \"1 h\"");
  ExpectOnlyError(WithSection("time:\n  retention: 7days\n"), 16, 14, "time.retention",
                  "bad duration");
  ExpectOnlyError(WithSection("checkpoint:\n  interval: 0s\n"), 16, 13, "checkpoint.interval",
                  "must be greater than 0");
  auto ok =
      LoadConfigString(WithSection("time: { lateness: 0s, dedupe_window: 0s, retention: 0s }\n"),
                       "test.yaml", NoEnv());
  ASSERT_TRUE(ok.ok()) << Dump(ok.error());
  EXPECT_EQ(ok->time.lateness, 0);
  EXPECT_TRUE(ok->warnings.empty()) << Dump(ok->warnings);
}

TEST(ConfigLoader, ReadsMaxFuture) {
  auto defaults = LoadConfigString(kMinimalConfig, "test.yaml", NoEnv());
  ASSERT_TRUE(defaults.ok()) << Dump(defaults.error());
  EXPECT_EQ(defaults->time.max_future, kHour);
  auto set = LoadConfigString(WithSection("time:\n  max_future: 10m\n"), "test.yaml", NoEnv());
  ASSERT_TRUE(set.ok()) << Dump(set.error());
  EXPECT_EQ(set->time.max_future, 10 * kMinute);
  ExpectOnlyError(WithSection("time:\n  max_future: soon\n"), 16, 15, "time.max_future",
                  "bad duration \"soon\"");
}

// Durations over 100 years are config errors: `target: 9223372036854s` once loaded and
// gave a deadline in year -25403.
TEST(ConfigLoader, DurationsOverAHundredYearsAreErrors) {
  ExpectOnlyError(Edit("target: 2h", "target: 9223372036854s"), 14, 13, "slas[0].target",
                  "must be at most 100 years (36525d), got \"9223372036854s\"");
  ExpectOnlyError(WithSection("time:\n  retention: 36526d\n"), 16, 14, "time.retention",
                  "must be at most 100 years");
  auto ok = LoadConfigString(Edit("target: 2h", "target: 36525d"), "test.yaml", NoEnv());
  ASSERT_TRUE(ok.ok()) << Dump(ok.error());
}

// retention or dedupe_window shorter than lateness loads, with a warning that says what
// follows, at the value's position.
TEST(ConfigLoader, WarnsWhenMemoryIsShorterThanLateness) {
  auto result = LoadConfigString(
      WithSection("time:\n  lateness: 1m\n  dedupe_window: 0s\n  retention: 30s\n"),
      "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const ConfigErrors& warnings = result->warnings;
  ASSERT_EQ(warnings.size(), 2u) << Dump(warnings);
  EXPECT_EQ(warnings[0].ToString(),
            "test.yaml:17:18: time.dedupe_window: dedupe_window (0s) is shorter than lateness "
            "(1m): an event id is forgotten while events may still arrive late, so a "
            "redelivered event can be applied twice");
  EXPECT_EQ(warnings[1].line, 18);
  EXPECT_EQ(warnings[1].key, "time.retention");
  EXPECT_NE(warnings[1].message.find("a late stop is ignored as a stray"), std::string::npos);
}

// Untrusted text in an error (a value, a key) never carries a raw control byte, newline
// or invalid UTF-8 out: it could forge a line in a terminal or a log.
TEST(ConfigLoader, ErrorsEscapeControlBytesInValuesAndKeys) {
  ConfigErrors errors = ErrorsOf(WithSection(
      "time:\n  lateness: \"5s\\ntest.yaml:1:1: fake\\e[31m\"\n  \"bad\\rkey\\xff\": 1\n"));
  ASSERT_EQ(errors.size(), 2u) << Dump(errors);
  EXPECT_EQ(errors[0].ToString(),
            "test.yaml:16:13: time.lateness: bad duration \"5s\\ntest.yaml:1:1: fake\\u001b[31m\" "
            "(use e.g. 90s, 15m, 2h, 1h30m, 3d)");
  EXPECT_EQ(errors[1].key, "time.bad\\rkey\xc3\xbf");  // "\\xff" in YAML is U+00FF
  for (const ConfigError& e : errors) {
    std::string text = e.ToString();
    EXPECT_EQ(text.find_first_of("\n\r\x1b\xff"), std::string::npos) << text;
  }
}

TEST(ConfigLoader, RejectsEmptyCheckpointDir) {
  ExpectOnlyError(WithSection("checkpoint:\n  dir: ''\n"), 16, 8, "checkpoint.dir",
                  "must not be empty");
}

TEST(ConfigLoader, ReadsTheKafkaCheckpointStore) {
  auto ok = LoadConfigString(WithSection("checkpoint:\n  store: kafka\n  topic: team.state\n"),
                             "test.yaml", NoEnv());
  ASSERT_TRUE(ok.ok()) << Dump(ok.error());
  EXPECT_EQ(ok->checkpoint.store, CheckpointStoreKind::kKafka);
  EXPECT_EQ(ok->checkpoint.topic, "team.state");
  ExpectOnlyError(WithSection("checkpoint:\n  store: s3\n"), 16, 10, "checkpoint.store",
                  "unknown value \"s3\" (one of: file, kafka)");
  ExpectOnlyError(WithSection("checkpoint:\n  store: kafka\n  topic: ''\n"), 17, 10,
                  "checkpoint.topic", "must not be empty");
}

// The state topic is read back whole on a restore: it cannot be an events topic too.
TEST(ConfigLoader, RejectsAStateTopicSharedWithEventsOrDecisions) {
  ExpectOnlyError(WithSection("checkpoint:\n  store: kafka\n  topic: orders\n"), 17, 10,
                  "checkpoint.topic",
                  "\"orders\" is already kafka.topics; the state needs a topic of its own");
  std::string config = Edit("  topics: [orders]\n", "  topics: [orders]\n  breach_topic: decided\n",
                            WithSection("checkpoint:\n  store: kafka\n  topic: decided\n"));
  ExpectOnlyError(config, 18, 10, "checkpoint.topic",
                  "\"decided\" is already kafka.breach_topic; the state needs a topic of its own");
  // With the file store the topic is not used, so it is not checked.
  EXPECT_TRUE(
      LoadConfigString(WithSection("checkpoint:\n  topic: orders\n"), "test.yaml", NoEnv()).ok());
}

// Calendars. Lines 15.. of WithSection(kCalendar...) are:
// 15 calendars:  16   office:  17     timezone: ...  18     hours:  19       mon-fri: ...
std::string CalendarConfig(std::string_view timezone, std::string_view hours,
                           std::string_view extra = "") {
  return WithSection("calendars:\n  office:\n    timezone: " + std::string(timezone) +
                     "\n    hours:\n" + std::string(hours) + std::string(extra));
}

TEST(ConfigLoader, RejectsBadTimeZone) {
  ExpectOnlyError(CalendarConfig("Mars/Olympus", "      mon: [09:00-17:00]\n"), 17, 15,
                  "calendars.office.timezone", "unknown time zone \"Mars/Olympus\"");
}

TEST(ConfigLoader, ReportsBadTimeZoneEvenWithBadHours) {
  ConfigErrors errors = ErrorsOf(CalendarConfig("Nowhere", "      mon: [09:00-07:00]\n"));
  EXPECT_EQ(errors.size(), 2u) << Dump(errors);
  EXPECT_NE(FindKey(errors, "calendars.office.timezone"), nullptr) << Dump(errors);
  EXPECT_NE(FindKey(errors, "calendars.office.hours.mon[0]"), nullptr) << Dump(errors);
}

TEST(ConfigLoader, RequiresTimeZoneAndHours) {
  ExpectOnlyError(WithSection("calendars:\n  office:\n    hours: { mon: 09:00-17:00 }\n"), 17, 5,
                  "calendars.office.timezone", "required key `timezone` is missing");
  ExpectOnlyError(WithSection("calendars:\n  office:\n    timezone: UTC\n"), 17, 5,
                  "calendars.office.hours", "required key `hours` is missing");
  ConfigErrors errors = ErrorsOf(WithSection("calendars:\n  office:\n"));
  ASSERT_EQ(errors.size(), 2u) << Dump(errors);
  EXPECT_EQ(errors[0].key, "calendars.office.timezone");
  EXPECT_EQ(errors[1].key, "calendars.office.hours");
  EXPECT_EQ(errors[1].line, 16);
  EXPECT_EQ(errors[1].column, 3);
}

TEST(ConfigLoader, RejectsMalformedHours) {
  ExpectOnlyError(CalendarConfig("UTC", "      mon-fri: [\"08:00-12:00\", \"1pm-5pm\"]\n"), 19, 32,
                  "calendars.office.hours.mon-fri[1]", "bad interval \"1pm-5pm\"");
  ExpectOnlyError(CalendarConfig("UTC", "      mon: \"8:00-12:00\"\n"), 19, 12,
                  "calendars.office.hours.mon", "bad interval");
  ExpectOnlyError(CalendarConfig("UTC", "      mon: [\"24:00-24:00\"]\n"), 19, 13,
                  "calendars.office.hours.mon[0]", "24:00 only as an end");
  ExpectOnlyError(CalendarConfig("UTC", "      mon: [\"09:60-10:00\"]\n"), 19, 13,
                  "calendars.office.hours.mon[0]", "bad interval");
  ExpectOnlyError(CalendarConfig("UTC", "      mon: { a: b }\n"), 19, 12,
                  "calendars.office.hours.mon", "expected a string or a list of strings");
}

TEST(ConfigLoader, AcceptsMidnightAsEnd) {
  auto result = LoadConfigString(CalendarConfig("UTC", "      sun: [\"20:00-24:00\"]\n"),
                                 "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  EXPECT_EQ(result->calendar_specs.at("office").hours[6].at(0).end_minute, 1440);
}

TEST(ConfigLoader, RejectsInvertedHours) {
  ExpectOnlyError(CalendarConfig("UTC", "      mon: [\"18:00-08:00\"]\n"), 19, 13,
                  "calendars.office.hours.mon[0]", "ends before it begins");
  ExpectOnlyError(CalendarConfig("UTC", "      mon: [\"08:00-08:00\"]\n"), 19, 13,
                  "calendars.office.hours.mon[0]", "ends before it begins");
}

TEST(ConfigLoader, RejectsOverlappingHours) {
  ExpectOnlyError(
      CalendarConfig("UTC", "      tue:\n        - \"08:00-12:00\"\n        - \"11:00-13:00\"\n"),
      21, 11, "calendars.office.hours.tue[1]", "overlaps \"08:00-12:00\"");
}

TEST(ConfigLoader, RejectsBadDayKeys) {
  ExpectOnlyError(CalendarConfig("UTC", "      monday: [09:00-17:00]\n"), 19, 7,
                  "calendars.office.hours.monday", "bad day \"monday\"");
  ExpectOnlyError(CalendarConfig("UTC", "      fri-mon: [09:00-17:00]\n"), 19, 7,
                  "calendars.office.hours.fri-mon", "runs backwards");
}

TEST(ConfigLoader, RejectsDaySetTwice) {
  ExpectOnlyError(CalendarConfig("UTC", "      mon-fri: [09:00-17:00]\n      wed: [10:00-11:00]\n"),
                  20, 7, "calendars.office.hours.wed", "wed is already set by `mon-fri` (line 19)");
}

TEST(ConfigLoader, AcceptsDayLists) {
  auto result = LoadConfigString(
      CalendarConfig("UTC", "      \"mon,wed\": [09:00-17:00]\n      sat,sun: []\n"), "test.yaml",
      NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const CalendarSpec& spec = result->calendar_specs.at("office");
  EXPECT_EQ(spec.hours[0].size(), 1u);
  EXPECT_TRUE(spec.hours[1].empty());
  EXPECT_EQ(spec.hours[2].size(), 1u);
}

TEST(ConfigLoader, RejectsCalendarWithoutWorkingTime) {
  ExpectOnlyError(CalendarConfig("UTC", "      mon-sun: []\n"), 19, 7, "calendars.office.hours",
                  "no working time");
}

TEST(ConfigLoader, RejectsBadHolidays) {
  std::string hours = "      mon: [09:00-17:00]\n";
  ExpectOnlyError(CalendarConfig("UTC", hours, "    holidays: [2026-12-24, 24.12.2026]\n"), 20, 28,
                  "calendars.office.holidays[1]", "bad date \"24.12.2026\" (use YYYY-MM-DD)");
  ExpectOnlyError(CalendarConfig("UTC", hours, "    holidays:\n      - 2026-02-30\n"), 21, 9,
                  "calendars.office.holidays[0]", "impossible date");
  ExpectOnlyError(CalendarConfig("UTC", hours, "    holidays: 2026-12-24\n"), 20, 15,
                  "calendars.office.holidays", "expected a list of strings");
}

TEST(ConfigLoader, RejectsWarnFractionsOutsideZeroAndOne) {
  ExpectOnlyError(AddToSla("    warn_at: [0.5, 1.0]"), 15, 20, "slas[0].warn_at[1]",
                  "between 0 and 1");
  ExpectOnlyError(AddToSla("    warn_at: [0]"), 15, 15, "slas[0].warn_at[0]", "between 0 and 1");
  ExpectOnlyError(AddToSla("    warn_at: [half]"), 15, 15, "slas[0].warn_at[0]",
                  "bad warn_at \"half\"");
}

TEST(ConfigLoader, RejectsMoreThanThirtyTwoWarnFractions) {
  std::string list = "0.01";  // 0.01, 0.02, ... 0.33: six columns an item
  for (int i = 2; i <= 33; ++i) list += (i < 10 ? ", 0.0" : ", 0.") + std::to_string(i);
  ExpectOnlyError(AddToSla("    warn_at: [" + list + "]"), 15, 15 + 32 * 6, "slas[0].warn_at[32]",
                  "33 warn_at thresholds: at most 32 are allowed");
}

TEST(ConfigLoader, RejectsDuplicateWarnFractions) {
  ExpectOnlyError(AddToSla("    warn_at: [0.5, 0.8, 0.50]"), 15, 25, "slas[0].warn_at[2]",
                  "duplicate warn_at 0.50");
}

TEST(ConfigLoader, RejectsInvalidJsonPointers) {
  ExpectOnlyError(Edit("to: /data/to", "to: data/to"), 6, 9, "events.attributes.to",
                  "invalid JSON pointer \"data/to\"");
  ExpectOnlyError(Edit("to: /data/to", "to: /data/~2"), 6, 9, "events.attributes.to",
                  "invalid JSON pointer");
  ExpectOnlyError(Edit("events:\n", "events:\n  fields: { key: \"/a~\" }\n"), 4, 18,
                  "events.fields.key", "invalid JSON pointer");
  auto ok = LoadConfigString(Edit("to: /data/to", "to: /a~0b/c~1d"), "test.yaml", NoEnv());
  EXPECT_TRUE(ok.ok());
}

TEST(ConfigLoader, RejectsWhereOnUndeclaredAttribute) {
  ExpectOnlyError(Edit("where: { from: sales }", "where: { region: eu }"), 12, 48,
                  "slas[0].start.where.region", "unknown attribute `region`");
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }",
                       "stop: { type: handoff.accepted, where: { too: operations } }"),
                  13, 46, "slas[0].stop.where.too", "did you mean `to`?");
}

TEST(ConfigLoader, RejectsBadWhereValues) {
  ExpectOnlyError(Edit("where: { from: sales }", "where: { from: { a: b } }"), 12, 54,
                  "slas[0].start.where.from", "expected a string or a list of strings");
  ExpectOnlyError(Edit("where: { from: sales }", "where: { from: [] }"), 12, 54,
                  "slas[0].start.where.from", "needs at least one value");
  ExpectOnlyError(Edit("where: { from: sales }", "where: [from]"), 12, 46, "slas[0].start.where",
                  "expected a map, got a list");
}

TEST(ConfigLoader, ChecksConditionTypes) {
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }", "stop: { type: [] }"), 13, 19,
                  "slas[0].stop.type", "needs at least one event type");
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }", "stop: { type: [a, \"\"] }"), 13, 23,
                  "slas[0].stop.type", "must not be empty");
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }", "stop: { type: { a: b } }"), 13, 19,
                  "slas[0].stop.type", "expected a string or a list of strings, got a map");
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }", "stop: { where: { to: x } }"), 13, 11,
                  "slas[0].stop.type", "required key `type` is missing");
  ExpectOnlyError(Edit("stop: { type: handoff.accepted }", "stop: handoff.accepted"), 13, 11,
                  "slas[0].stop", "expected a map, got a string");
}

TEST(ConfigLoader, RequiresPauseAndResumeTogether) {
  ExpectOnlyError(AddToSla("    pause: { type: order.on_hold }"), 15, 5, "slas[0].pause",
                  "`pause` needs `resume`");
  ExpectOnlyError(AddToSla("    resume: { type: order.released }"), 15, 5, "slas[0].resume",
                  "`resume` needs `pause`");
}

TEST(ConfigLoader, RejectsUnknownEventFormats) {
  ExpectOnlyError(Edit("events:\n", "events:\n  format: avro\n"), 4, 11, "events.format",
                  "unknown value \"avro\" (one of: cloudevents, json)");
  ExpectOnlyError(Edit("events:\n", "events:\n  time_format: unix\n"), 4, 16, "events.time_format",
                  "one of: rfc3339, epoch_ms, epoch_s");
}

TEST(ConfigLoader, RejectsWrongNodeKinds) {
  ExpectOnlyError(Edit("kafka:\n  topics: [orders]\n", "kafka: [orders]\n"), 1, 8, "kafka",
                  "expected a map, got a list");
  ExpectOnlyError(Edit("topics: [orders]", "topics: { orders: 1 }"), 2, 11, "kafka.topics",
                  "expected a string or a list of strings, got a map");
  std::string no_slas = std::string(kMinimalConfig.substr(0, kMinimalConfig.find("slas:")));
  ExpectOnlyError(no_slas + "slas:\n  x: 1\n", 9, 3, "slas", "expected a list of SLAs, got a map");
  ExpectOnlyError("just a string\n", 1, 1, "", "expected a map, got a string");
}

TEST(ConfigLoader, AdvertiseUrlIsAnHttpOrHttpsAddressWithAPort) {
  for (std::string bad : {"10.0.3.7:9464", "http://10.0.3.7", "http://:9464", "ftp://a:21",
                          "http://a:9464/api", "https://a:0"}) {
    SCOPED_TRACE(bad);
    ExpectOnlyError(WithSection("web:\n  advertise_url: \"" + bad + "\"\n"), 16, 18,
                    "web.advertise_url", "bad advertise URL");
  }
  for (std::string good : {"http://10.0.3.7:9464", "https://handoffd-0.handoffd:9464",
                           "http://[fd00::7]:9464"}) {
    auto result = LoadConfigString(WithSection("web:\n  advertise_url: \"" + good + "\"\n"),
                                   "test.yaml", NoEnv());
    ASSERT_TRUE(result.ok()) << good << Dump(result.error());
    EXPECT_EQ(result->web.advertise_url, good);
  }
  auto from_env = LoadConfigString(std::string(kMinimalConfig), "test.yaml", [](const std::string& name) {
    return name == "HANDOFF_WEB_ADVERTISE_URL" ? std::optional<std::string>("http://10.0.3.7:9464")
                                               : std::nullopt;
  });
  ASSERT_TRUE(from_env.ok()) << Dump(from_env.error());
  EXPECT_EQ(from_env->web.advertise_url, "http://10.0.3.7:9464");
}

TEST(ConfigLoader, RejectsBadListenAddress) {
  for (std::string bad : {"9464", "localhost", ":http", ":70000", "a:b:9464", "[::1:9464"}) {
    SCOPED_TRACE(bad);
    ExpectOnlyError(WithSection("web:\n  listen_address: \"" + bad + "\"\n"), 16, 19,
                    "web.listen_address", "bad listen address");
  }
  for (std::string good : {":9464", "0.0.0.0:9464", "[::1]:0", "localhost:8080"}) {
    auto result = LoadConfigString(WithSection("web:\n  listen_address: \"" + good + "\"\n"),
                                   "test.yaml", NoEnv());
    ASSERT_TRUE(result.ok()) << good << Dump(result.error());
    EXPECT_EQ(result->web.listen_address, good);
  }
}

TEST(ConfigLoader, RequiresTlsCertAndKeyTogether) {
  ExpectOnlyError(WithSection("web:\n  tls_cert_file: /etc/cert.pem\n"), 16, 18,
                  "web.tls_cert_file", "give both or neither");
  ExpectOnlyError(WithSection("web:\n  tls_cert_file: \"\"\n  tls_key_file: /k.pem\n"), 17, 17,
                  "web.tls_key_file", "give both or neither");
}

TEST(ConfigLoader, RequiresBcryptHashesForBasicAuth) {
  const std::string hash = "$2b$10$abcdefghijklmnopqrstuu0123456789ABCDEFGHIJKLMNOPQRSTU";
  ASSERT_EQ(hash.size(), 60u);
  auto ok =
      LoadConfigString(WithSection("web:\n  basic_auth_users:\n    alice: \"" + hash + "\"\n"),
                       "test.yaml", NoEnv());
  ASSERT_TRUE(ok.ok()) << Dump(ok.error());
  EXPECT_EQ(ok->web.basic_auth_users.at("alice"), hash);
  ExpectOnlyError(
      WithSection("web:\n  basic_auth_users:\n    alice: \"" + hash + "\"\n    bob: hunter2\n"), 18,
      10, "web.basic_auth_users.bob", "expected a bcrypt hash");
  ExpectOnlyError(WithSection("web:\n  basic_auth_users: [bob]\n"), 16, 21, "web.basic_auth_users",
                  "expected a map, got a list");
}

TEST(ConfigLoader, RejectsNonStringKeysAndNullValues) {
  ExpectOnlyError(Edit("events:\n", "events:\n  ? [a]\n  : b\n"), 4, 5, "events",
                  "a key must be a string");
  ExpectOnlyError(Edit("to: /data/to", "to:"), 6, 5, "events.attributes.to",
                  "needs a JSON pointer");
}

TEST(ConfigLoader, CollectsEveryErrorInOneFile) {
  auto result = LoadConfigFile(Fixture("many_errors.yaml"), NoEnv());
  ASSERT_FALSE(result.ok());
  const ConfigErrors& errors = result.error();
  std::vector<std::string> got;
  for (const auto& e : errors) {
    got.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + " " + e.key);
  }
  std::vector<std::string> want = {
      "3:3 kafka.group",
      "9:13 time.lateness",
      "13:15 calendars.office.timezone",
      "15:32 calendars.office.hours.mon-fri[1]",
      "17:11 slas[0].name",
      "20:48 slas[0].start.where.region",
      "22:13 slas[0].target",
      "23:20 slas[0].warn_at[1]",
      "24:15 slas[0].calendar",
      "27:9 slas[1].to",
      "29:11 slas[1].stop",
      "30:13 slas[1].target",
  };
  EXPECT_EQ(got, want) << Dump(errors);
  for (const auto& e : errors) {
    EXPECT_EQ(e.file, Fixture("many_errors.yaml"));
  }
}

TEST(ConfigLoader, SecretFilesAreReadIntoProperties) {
  std::string dir = ::testing::TempDir();
  std::string secret_path = dir + "/kafka_password";
  std::ofstream(secret_path) << "s3cr3t\n";
  std::string yaml = Edit("  topics: [orders]\n",
                          "  topics: [orders]\n  properties:\n    sasl.username: svc\n"
                          "    sasl.password_file: " +
                              secret_path + "\n");
  auto result = LoadConfigString(yaml, "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const auto& properties = result->kafka.properties;
  EXPECT_EQ(properties.at("sasl.password"), "s3cr3t");
  EXPECT_EQ(properties.at("sasl.username"), "svc");
  EXPECT_EQ(properties.count("sasl.password_file"), 0u);
  EXPECT_EQ(DescribeConfig(*result).find("s3cr3t"), std::string::npos);
}

TEST(ConfigLoader, RejectsUnreadableSecretFile) {
  std::string yaml = Edit("  topics: [orders]\n",
                          "  topics: [orders]\n  properties:\n"
                          "    sasl.password_file: /nonexistent/handoff/secret\n");
  ExpectOnlyError(yaml, 4, 25, "kafka.properties.sasl.password_file",
                  "cannot read secret file \"/nonexistent/handoff/secret\"");
}

TEST(ConfigLoader, RejectsSecretGivenTwice) {
  std::string yaml = Edit("  topics: [orders]\n",
                          "  topics: [orders]\n  properties:\n    sasl.password: x\n"
                          "    sasl.password_file: /x\n");
  ExpectOnlyError(yaml, 5, 25, "kafka.properties.sasl.password_file", "not both");
}

TEST(ConfigLoader, NeverThrowsOnHostileInput) {
  for (std::string yaml : std::vector<std::string>{
           "", "---", "[", "{a: *x}", "a: &x [*x]", "\t", "%YAML 9.9\n---\na: 1",
           "slas: [[[[[[]]]]]]", "? ? ? a", "kafka: !!binary AAAA", std::string(5000, '['),
           "slas:\n  - *a\n", "\xff\xfe"}) {
    EXPECT_NO_THROW((void)LoadConfigString(yaml, "x", NoEnv()));
    EXPECT_FALSE(LoadConfigString(yaml, "x", NoEnv()).ok());
  }
}

}  // namespace
}  // namespace handoff
