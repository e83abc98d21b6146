// Helpers shared by the config tests: a known-good minimal config, an empty
// environment, and assertions on the errors a load reports.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace handoff::testing {

// The smallest config that loads: one topic, three attributes, one SLA.
inline constexpr std::string_view kMinimalConfig = R"(kafka:
  topics: [orders]
events:
  attributes:
    from: /data/from
    to: /data/to
    tier: /data/tier
slas:
  - name: accept
    from: sales
    to: operations
    start: { type: handoff.requested, where: { from: sales } }
    stop: { type: handoff.accepted }
    target: 2h
)";

inline EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

inline EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline ConfigErrors ErrorsOf(std::string_view yaml, const EnvLookup& env = NoEnv()) {
  auto result = LoadConfigString(yaml, "test.yaml", env);
  if (result.ok()) return {};
  return result.error();
}

inline std::string Dump(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors) out += "  " + e.ToString() + "\n";
  return out;
}

// Asserts that loading `yaml` reports exactly one error, at line:column under `key`,
// whose message contains `text`.
inline void ExpectOnlyError(std::string_view yaml, int line, int column, const std::string& key,
                            const std::string& text, const EnvLookup& env = NoEnv()) {
  ConfigErrors errors = ErrorsOf(yaml, env);
  ASSERT_EQ(errors.size(), 1u) << Dump(errors);
  EXPECT_EQ(errors[0].file, "test.yaml");
  EXPECT_EQ(errors[0].line, line) << errors[0].ToString();
  EXPECT_EQ(errors[0].column, column) << errors[0].ToString();
  EXPECT_EQ(errors[0].key, key) << errors[0].ToString();
  EXPECT_NE(errors[0].message.find(text), std::string::npos) << errors[0].ToString();
}

// The minimal config with `from` replaced by `to` (exactly once).
inline std::string Edit(std::string_view from, std::string_view to,
                        std::string config = std::string(kMinimalConfig)) {
  auto at = config.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) config.replace(at, from.size(), to);
  return config;
}

// The minimal config with `lines` added to its SLA, after `target:` (line 14); the first
// added line is line 15.
inline std::string AddToSla(std::string_view lines) {
  return Edit("    target: 2h\n", "    target: 2h\n" + std::string(lines) + "\n");
}

}  // namespace handoff::testing
