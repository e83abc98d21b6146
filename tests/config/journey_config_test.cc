// Journeys (`stages`) and pause reasons in the config: what loads, and every rejection
// naming file:line:col and key.
#include <algorithm>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "tests/config/config_test_util.h"

namespace handoff {
namespace {

using testing::Dump;
using testing::ExpectOnlyError;
using testing::NoEnv;

constexpr std::string_view kJourneyConfig = R"(kafka: { topics: [orders] }
events:
  attributes: { from: /data/from, to: /data/to, reason: /data/reason }
slas:
  - name: accept
    from: sales
    to: operations
    start: { type: handoff.requested }
    stop: { type: handoff.accepted }
    pause: { type: order.on_hold }
    resume: { type: order.released }
    target: 2h
    pause_reasons: [credit_check, customer_request]
  - name: ship
    from: sales
    to: fulfillment
    start: { type: order.created }
    stop: { type: order.shipped }
    target: 1d
    stages: [accept]
)";

// kJourneyConfig with `from` replaced by `to` (the first occurrence after `after`).
std::string Edited(std::string_view from, std::string_view to, std::string_view after = {}) {
  std::string yaml(kJourneyConfig);
  std::size_t at = yaml.find(from, after.empty() ? 0 : yaml.find(after));
  EXPECT_NE(at, std::string::npos) << from;
  return yaml.replace(at, from.size(), to);
}

// 1-based line and column of the first `needle` in `yaml` at or after `after`.
std::pair<int, int> Where(const std::string& yaml, std::string_view needle,
                          std::string_view after = {}) {
  std::size_t at = yaml.find(needle, after.empty() ? 0 : yaml.find(after));
  EXPECT_NE(at, std::string::npos) << needle;
  std::size_t line_start = yaml.rfind('\n', at);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  int line = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + at, '\n'));
  return {line, static_cast<int>(at - line_start) + 1};
}

void ExpectErrorAt(const std::string& yaml, std::string_view needle, std::string_view after,
                   const std::string& key, const std::string& text) {
  auto [line, column] = Where(yaml, needle, after);
  ExpectOnlyError(yaml, line, column, key, text);
}

TEST(JourneyConfig, LoadsStagesAndPauseReasons) {
  auto result = LoadConfigString(kJourneyConfig, "test.yaml", NoEnv());
  ASSERT_TRUE(result.ok()) << Dump(result.error());
  const std::vector<SlaDefinition>& slas = result.value().slas;
  EXPECT_FALSE(slas[0].is_journey());
  EXPECT_EQ(slas[0].pause_reasons, (std::vector<std::string>{"credit_check", "customer_request"}));
  EXPECT_EQ(slas[0].reason_attribute, 2u);
  EXPECT_TRUE(slas[1].is_journey());
  EXPECT_EQ(slas[1].stages, std::vector<std::string>{"accept"});
  EXPECT_EQ(slas[1].stage_slas, std::vector<std::uint16_t>{0});
}

TEST(JourneyConfig, StageMustBeAnSlaOfTheFile) {
  std::string yaml = Edited("[accept]", "[acept]");
  ExpectErrorAt(yaml, "acept", "", "slas[1].stages[0]", "unknown stage `acept`");
  ExpectErrorAt(yaml, "acept", "", "slas[1].stages[0]", "did you mean `accept`?");
}

TEST(JourneyConfig, JourneyIsNotAmongItsOwnStages) {
  std::string yaml = Edited("[accept]", "[accept, ship]");
  ExpectErrorAt(yaml, "ship]", "", "slas[1].stages[1]", "its own stages");
}

TEST(JourneyConfig, StageIsNotItselfAJourney) {
  std::string yaml = std::string(kJourneyConfig) + R"(  - name: deliver
    from: sales
    to: customer
    start: { type: order.created }
    stop: { type: order.delivered }
    target: 2d
    stages: [ship]
)";
  ExpectErrorAt(yaml, "ship]", "", "slas[2].stages[0]", "\"ship\" is itself a journey");
}

TEST(JourneyConfig, StageIsListedOnce) {
  std::string yaml = Edited("[accept]", "[accept, accept]");
  ExpectErrorAt(yaml, "accept]", "[accept, ", "slas[1].stages[1]", "listed twice");
}

TEST(JourneyConfig, PauseReasonsNeedAPauseCondition) {
  std::string yaml = Edited("    pause: { type: order.on_hold }\n    resume: { type: order.released }\n", "");
  ExpectErrorAt(yaml, "pause_reasons", "", "slas[0].pause_reasons", "needs a `pause` condition");
}

TEST(JourneyConfig, PauseReasonsNeedAReasonAttribute) {
  std::string yaml = Edited(", reason: /data/reason", "");
  ExpectErrorAt(yaml, "pause_reasons", "", "slas[0].pause_reasons",
                "needs a `reason` attribute under events.attributes");
}

TEST(JourneyConfig, ReservedNamesAreRejected) {
  std::string department = Edited("to: operations", "to: paused");
  ExpectErrorAt(department, "paused", "name: accept", "slas[0].to", "must not be named \"paused\"");
  std::string owner = Edited("    target: 1d", "    owner: none\n    target: 1d");
  ExpectErrorAt(owner, "none", "", "slas[1].owner", "must not be named \"none\"");
  std::string stage = Edited("[accept]", "[accept, other]");
  ExpectErrorAt(stage, "other]", "", "slas[1].stages[1]", "must not be named \"other\"");
  std::string reason = Edited("customer_request]", "none]");
  ExpectErrorAt(reason, "none]", "", "slas[0].pause_reasons[1]", "must not be named \"none\"");
}

TEST(JourneyConfig, PauseReasonIsListedOnce) {
  std::string yaml = Edited("customer_request]", "credit_check]");
  ExpectErrorAt(yaml, "credit_check]", "", "slas[0].pause_reasons[1]", "listed twice");
}

}  // namespace
}  // namespace handoff
