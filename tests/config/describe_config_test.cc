// The check-config / start-up summaries: they name SLAs, calendars, topics and
// departments, and never print a secret.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

Config Orders() {
  auto result = LoadConfigFile(std::string(HANDOFF_SOURCE_DIR) + "/config/examples/orders.yaml",
                               testing::NoEnv());
  EXPECT_TRUE(result.ok());
  return result.ok() ? result.value() : Config{};
}

TEST(DescribeConfig, OneLineIsLogfmt) {
  EXPECT_EQ(DescribeConfigOneLine(Orders()),
            "slas=4 calendars=1 topics=orders,handoffs "
            "departments=sales,operations,fulfillment,finance");
}

TEST(DescribeConfig, OneLineQuotesValuesWithSpaces) {
  Config config;
  config.kafka.topics = {"a"};
  SlaDefinition sla;
  sla.from = "sales team";
  sla.to = sla.owner = "ops";
  config.slas.push_back(sla);
  EXPECT_EQ(DescribeConfigOneLine(config),
            "slas=1 calendars=0 topics=a departments=\"sales team,ops\"");
}

TEST(DescribeConfig, SummaryNamesSlasCalendarsTopicsAndDepartments) {
  std::string text = DescribeConfig(Orders());
  for (std::string_view want :
       {"topics=orders,handoffs",
        "sales_to_ops_accept: sales -> operations, owner operations, target 2h, 30m when "
        "tier=gold, calendar emea_office",
        "ops_to_fulfillment_pick: operations -> fulfillment, owner fulfillment, target 1d, 4h "
        "when tier=gold|platinum, calendar 24x7",
        "emea_office: Europe/Berlin, mon-fri 08:00-12:00,13:00-18:00 sat 09:00-13:00 (49h a "
        "week), 5 holidays",
        "departments: sales, operations, fulfillment, finance", "calendars: 1", "slas: 4"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  }
}

TEST(DescribeConfig, MasksSecrets) {
  Config config;
  config.kafka.properties = {{"sasl.password", "p1"},
                             {"ssl.key.password", "p2"},
                             {"ssl.keystore.password", "p3"},
                             {"sasl.oauthbearer.client.secret", "p4"},
                             {"sasl.username", "visible-user"}};
  config.web.basic_auth_users = {{"alice", "$2b$10$hash-must-not-show"}};
  std::string text = DescribeConfig(config) + DescribeConfigOneLine(config);
  for (std::string_view secret : {"p1", "p2", "p3", "p4", "hash-must-not-show"}) {
    EXPECT_EQ(text.find(std::string("=") + std::string(secret)), std::string::npos) << secret;
    EXPECT_EQ(text.find(secret.size() > 2 ? secret : "\x01"), std::string::npos) << secret;
  }
  EXPECT_NE(text.find("sasl.password=***"), std::string::npos) << text;
  EXPECT_NE(text.find("visible-user"), std::string::npos);
  EXPECT_NE(text.find("basic_auth_users=alice"), std::string::npos);
}

}  // namespace
}  // namespace handoff
