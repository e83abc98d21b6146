// Plans synthetic orders for `handoffd demo`: each order moves sales -> operations ->
// fulfillment -> finance, with about 10 % of handoffs late, some orders put on hold and
// released, a few cancelled, and a gold tier with tighter targets (config/examples/
// demo.yaml). Pure and seeded, so tests can check the mix. One thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "handlers/time.h"

namespace handoff {

enum class DemoTopic { kOrders, kHandoffs };  // order.* and invoice.* vs handoff.* events

struct PlannedEvent {
  DurationMs at = 0;  // after the order starts; the generator stamps the wall clock
  DemoTopic topic = DemoTopic::kOrders;
  std::string type;
  std::string source;  // the department that emits it
  std::string from;    // handoffs only
  std::string to;
};

struct DemoOrder {
  std::string key;  // "order-000042"
  bool gold = false;
  bool paused = false;
  bool cancelled = false;
  int handoffs = 0;  // SLA instances this order opens
  int late = 0;      // of which are planned to miss their target
  std::vector<PlannedEvent> events;  // sorted by `at`
};

class DemoOrderPlanner {
 public:
  static constexpr double kLateShare = 0.10;
  static constexpr double kGoldShare = 0.20;
  static constexpr double kPauseShare = 0.10;
  static constexpr double kCancelShare = 0.03;

  explicit DemoOrderPlanner(std::uint64_t seed) : random_(seed) {}

  DemoOrder Plan(std::uint64_t number);

  // The order's `index`-th event as a structured-mode CloudEvent with the given time.
  static std::string CloudEvent(const DemoOrder& order, std::size_t index, TimeMs time);

 private:
  // How long a handoff with this target takes: late ones 110-160 % of it, the rest
  // 15-75 %. Counts the late ones into `order`.
  DurationMs HandoffTime(DurationMs target, DemoOrder& order);
  double Uniform(double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(random_);
  }

  std::mt19937_64 random_;
};

}  // namespace handoff
