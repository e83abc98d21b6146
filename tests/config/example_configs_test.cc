// The shipped example configs load without errors and say what their comments promise.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/web_config.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

Config LoadExample(const std::string& name) {
  std::string path = std::string(HANDOFF_SOURCE_DIR) + "/config/examples/" + name;
  auto result = LoadConfigFile(path, testing::NoEnv());
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : testing::Dump(result.error()));
  return result.ok() ? result.value() : Config{};
}

TEST(ExampleConfigs, OrdersLoads) {
  Config config = LoadExample("orders.yaml");
  ASSERT_EQ(config.slas.size(), 4u);
  EXPECT_EQ(config.kafka.topics, (std::vector<std::string>{"orders", "handoffs"}));
  const SlaDefinition& accept = config.slas[0];
  EXPECT_EQ(accept.name, "sales_to_ops_accept");
  EXPECT_TRUE(accept.pause && accept.resume);
  ASSERT_EQ(accept.targets.size(), 1u);
  EXPECT_EQ(accept.targets[0].target, 30 * kMinute);
  EXPECT_EQ(accept.calendar, config.calendars.at("emea_office"));
  EXPECT_EQ(config.calendar_specs.at("emea_office").timezone, "Europe/Berlin");
  EXPECT_EQ(config.calendar_specs.at("emea_office").holidays.size(), 5u);
  EXPECT_EQ(config.slas[3].owner, "sales");
}

TEST(ExampleConfigs, WebConfigLoads) {
  auto web = LoadWebConfigFile(std::string(HANDOFF_SOURCE_DIR) + "/config/examples/web-config.yml");
  ASSERT_TRUE(web.ok()) << testing::Dump(web.error());
  ASSERT_TRUE(web->tls);
  EXPECT_EQ(web->tls->cert_file, "/etc/handoffd/tls.crt");
  EXPECT_EQ(web->tls->min_version, TlsVersion::kTls12);
  EXPECT_TRUE(web->basic_auth_users.empty());
}

TEST(ExampleConfigs, DemoLoadsWithShortTargets) {
  Config config = LoadExample("demo.yaml");
  ASSERT_FALSE(config.slas.empty());
  EXPECT_EQ(config.kafka.topics, (std::vector<std::string>{"orders", "handoffs"}));
  EXPECT_TRUE(config.calendars.empty());
  bool has_gold = false;
  bool has_pause = false;
  for (const SlaDefinition& sla : config.slas) {
    EXPECT_LE(sla.target, kMinute) << sla.name;  // breaches within a minute of starting
    EXPECT_EQ(sla.calendar, AlwaysOpenCalendar::Shared()) << sla.name;
    has_gold = has_gold || !sla.targets.empty();
    has_pause = has_pause || sla.pause.has_value();
  }
  EXPECT_TRUE(has_gold);
  EXPECT_TRUE(has_pause);
  EXPECT_EQ(config.checkpoint.dir.rfind("/tmp/", 0), 0u);
}

}  // namespace
}  // namespace handoff
