// The config the HTTP, metrics and API tests share: two SLAs (one with warnings and a
// gold-tier target override), two topics, and helpers to read a scrape.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "config/config.h"
#include "tests/fakes/sla_builder.h"

namespace handoff::testing {

inline std::shared_ptr<Config> HttpTestConfig() {
  auto config = std::make_shared<Config>();
  SlaDefinition accept = AcceptSla(kHour, {0.5, 0.8});
  accept.targets = {TargetOverride{.when = Condition{.types = {}, .where = {{kTier, {"gold"}}}},
                                   .target = 30 * kMinute}};
  SlaDefinition ship = AcceptSla(2 * kHour);
  ship.name = "ops_to_fulfillment_ship";
  ship.from = "operations";
  ship.to = "fulfillment";
  ship.owner = "fulfillment";
  ship.start = Type("ship.requested");
  ship.stop = Type("ship.done");
  config->slas = {accept, ship};
  config->kafka.topics = {"orders", "handoffs"};
  config->time.lateness = 5 * kSecond;
  return config;
}

// The first sample line of `name` (exactly; "name{" or "name ") that holds every
// `label="value"` given; empty when there is none.
inline std::string SampleLine(const std::string& scrape, const std::string& name,
                              std::initializer_list<std::string> labels = {}) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const std::string& label : labels) all = all && line.find(label) != std::string::npos;
    if (all) return line;
  }
  return "";
}

// The value of that line, in either format (an OpenMetrics exemplar, " # {...} v t",
// is not the value); nullopt when there is no such line.
inline std::optional<double> SampleValue(const std::string& scrape, const std::string& name,
                                         std::initializer_list<std::string> labels = {}) {
  std::string line = SampleLine(scrape, name, labels);
  if (line.empty()) return std::nullopt;
  line = line.substr(0, line.find(" # "));
  return std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
}

}  // namespace handoff::testing
