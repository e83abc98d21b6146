// HANDOFF_<PATH> environment overrides: env over file over default, a bad value names
// its variable, lists are not overridable except kafka.topics as a comma list.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

using testing::Dump;
using testing::FakeEnv;
using testing::kMinimalConfig;

Config LoadWithEnv(std::string_view yaml, std::map<std::string, std::string> vars) {
  auto result = LoadConfigString(yaml, "test.yaml", FakeEnv(std::move(vars)));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : Dump(result.error()));
  return result.ok() ? result.value() : Config{};
}

TEST(ConfigEnvOverride, OverridesScalarsAbsentFromTheFile) {
  Config config = LoadWithEnv(kMinimalConfig, {{"HANDOFF_KAFKA_BROKERS", "k1:9092,k2:9092"},
                                               {"HANDOFF_KAFKA_GROUP_ID", "blue"},
                                               {"HANDOFF_TIME_LATENESS", "30s"},
                                               {"HANDOFF_WEB_LISTEN_ADDRESS", "127.0.0.1:0"},
                                               {"HANDOFF_CHECKPOINT_DIR", "/tmp/ckpt"},
                                               {"HANDOFF_CHECKPOINT_INTERVAL", "1m"},
                                               {"HANDOFF_EVENTS_FORMAT", "json"},
                                               {"HANDOFF_EVENTS_TIME_FORMAT", "epoch_ms"},
                                               {"HANDOFF_EVENTS_FIELDS_KEY", "/order"},
                                               {"HANDOFF_KAFKA_BREACH_TOPIC", "decisions"}});
  EXPECT_EQ(config.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(config.kafka.group_id, "blue");
  EXPECT_EQ(config.time.lateness, 30 * kSecond);
  EXPECT_EQ(config.web.listen_address, "127.0.0.1:0");
  EXPECT_EQ(config.checkpoint.dir, "/tmp/ckpt");
  EXPECT_EQ(config.checkpoint.interval, kMinute);
  EXPECT_EQ(config.events.format, PayloadFormat::kJson);
  EXPECT_EQ(config.events.time_format, TimeFormat::kEpochMs);
  EXPECT_EQ(config.events.key_pointer, "/order");
  EXPECT_EQ(config.kafka.breach_topic, "decisions");
}

TEST(ConfigEnvOverride, EnvironmentWinsOverTheFile) {
  std::string yaml = std::string(kMinimalConfig) + "time:\n  lateness: 1s\n";
  EXPECT_EQ(LoadWithEnv(yaml, {}).time.lateness, kSecond);
  EXPECT_EQ(LoadWithEnv(yaml, {{"HANDOFF_TIME_LATENESS", "2m"}}).time.lateness, 2 * kMinute);
}

TEST(ConfigEnvOverride, EnvironmentFixesABadFileValue) {
  std::string yaml = std::string(kMinimalConfig) + "time:\n  lateness: soon\n";
  EXPECT_EQ(LoadWithEnv(yaml, {{"HANDOFF_TIME_LATENESS", "3s"}}).time.lateness, 3 * kSecond);
}

TEST(ConfigEnvOverride, TopicsAsCommaList) {
  Config config = LoadWithEnv(kMinimalConfig, {{"HANDOFF_KAFKA_TOPICS", "orders, handoffs"}});
  EXPECT_EQ(config.kafka.topics, (std::vector<std::string>{"orders", "handoffs"}));
}

TEST(ConfigEnvOverride, TopicsFromEnvironmentAlone) {
  std::string yaml = testing::Edit("kafka:\n  topics: [orders]\n", "");
  Config config = LoadWithEnv(yaml, {{"HANDOFF_KAFKA_TOPICS", "a"}});
  EXPECT_EQ(config.kafka.topics, std::vector<std::string>{"a"});
}

TEST(ConfigEnvOverride, BadValueIsAnErrorNamingTheVariable) {
  auto result =
      LoadConfigString(kMinimalConfig, "test.yaml", FakeEnv({{"HANDOFF_TIME_LATENESS", "2x"}}));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().size(), 1u) << Dump(result.error());
  const ConfigError& e = result.error()[0];
  EXPECT_EQ(e.file, "env");
  EXPECT_EQ(e.line, 0);
  EXPECT_EQ(e.column, 0);
  EXPECT_EQ(e.key, "time.lateness");
  EXPECT_EQ(e.ToString(),
            "env: time.lateness: HANDOFF_TIME_LATENESS: bad duration \"2x\" (use e.g. 90s, 15m, "
            "2h, 1h30m, 3d)");
}

TEST(ConfigEnvOverride, BadValuesOfEveryKindAreReported) {
  auto result = LoadConfigString(kMinimalConfig, "test.yaml",
                                 FakeEnv({{"HANDOFF_EVENTS_FORMAT", "xml"},
                                          {"HANDOFF_WEB_LISTEN_ADDRESS", "nope"},
                                          {"HANDOFF_KAFKA_TOPICS", "a,,b"},
                                          {"HANDOFF_CHECKPOINT_DIR", ""}}));
  ASSERT_FALSE(result.ok());
  std::vector<std::string> vars;
  for (const auto& e : result.error()) vars.push_back(e.message.substr(0, e.message.find(':')));
  EXPECT_EQ(vars,
            (std::vector<std::string>{"HANDOFF_KAFKA_TOPICS", "HANDOFF_EVENTS_FORMAT",
                                      "HANDOFF_CHECKPOINT_DIR", "HANDOFF_WEB_LISTEN_ADDRESS"}))
      << Dump(result.error());
}

TEST(ConfigEnvOverride, EnvErrorsComeAfterFileErrors) {
  std::string yaml = std::string(kMinimalConfig) + "time:\n  retention: forever\n";
  auto result = LoadConfigString(yaml, "test.yaml", FakeEnv({{"HANDOFF_TIME_LATENESS", "x"}}));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().size(), 2u) << Dump(result.error());
  EXPECT_EQ(result.error()[0].file, "test.yaml");
  EXPECT_EQ(result.error()[1].file, "env");
}

TEST(ConfigEnvOverride, OverridesExistingPropertiesAndCalendarKeys) {
  std::string yaml =
      std::string(kMinimalConfig) +
      "calendars:\n  office:\n    timezone: Mars/Base\n    hours: { mon: 09:00-17:00 }\n";
  yaml =
      testing::Edit("  topics: [orders]\n",
                    "  topics: [orders]\n  properties:\n    security.protocol: plaintext\n", yaml);
  Config config = LoadWithEnv(yaml, {{"HANDOFF_CALENDARS_OFFICE_TIMEZONE", "Europe/Berlin"},
                                     {"HANDOFF_KAFKA_PROPERTIES_SECURITY_PROTOCOL", "sasl_ssl"}});
  EXPECT_EQ(config.calendar_specs.at("office").timezone, "Europe/Berlin");
  EXPECT_EQ(config.kafka.properties.at("security.protocol"), "sasl_ssl");
}

// A StatefulSet gives each pod its name in an environment variable: static membership.
TEST(ConfigEnvOverride, GroupInstanceIdComesFromTheEnvironment) {
  Config config = LoadWithEnv(kMinimalConfig, {{"HANDOFF_KAFKA_GROUP_INSTANCE_ID", "handoffd-1"}});
  EXPECT_EQ(config.kafka.group_instance_id, "handoffd-1");
  EXPECT_EQ(LoadWithEnv(kMinimalConfig, {}).kafka.group_instance_id, "");
}

TEST(ConfigEnvOverride, KeysInsideListsAreNotOverridden) {
  // slas[0].target has no HANDOFF_ name: variables that look like one are ignored.
  Config config =
      LoadWithEnv(kMinimalConfig, {{"HANDOFF_SLAS_0_TARGET", "1s"}, {"HANDOFF_SLAS_TARGET", "1s"}});
  EXPECT_EQ(config.slas.at(0).target, 2 * kHour);
}

TEST(ConfigEnvOverride, ProcessEnvironmentReadsGetenv) {
  ::setenv("HANDOFF_TEST_PROCESS_ENV", "yes", 1);
  EXPECT_EQ(ProcessEnvironment()("HANDOFF_TEST_PROCESS_ENV"), "yes");
  ::unsetenv("HANDOFF_TEST_PROCESS_ENV");
  EXPECT_EQ(ProcessEnvironment()("HANDOFF_TEST_PROCESS_ENV"), std::nullopt);
}

}  // namespace
}  // namespace handoff
