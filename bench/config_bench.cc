// check-config's cost per key (issue 15: 40k unknown keys took 6.5 s, quadratic). Loads
// generated configs of 10k and 100k keys of three shapes and prints the best-of-3 time
// per key; the ratio 100k/10k is ~1 when loading is linear (10 when quadratic). Run:
//   config_bench [max_keys]   (default 100000; sizes are max/10 and max)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "config/config_loader.h"

namespace handoff {
namespace {

constexpr const char* kSla = R"(slas:
  - name: accept
    from: sales
    to: operations
    start: { type: handoff.requested }
    stop: { type: handoff.accepted }
    target: 2h
)";

// Unknown keys at the top level: each one is an error with a did-you-mean search.
std::string UnknownKeys(int n) {
  std::string yaml = "kafka: { topics: [orders] }\n" + std::string(kSla);
  for (int i = 0; i < n; ++i) yaml += "unknown_" + std::to_string(i) + ": 1\n";
  return yaml;
}

// librdkafka properties (a map whose keys are data), half of them `<name>_file`.
std::string Properties(int n) {
  std::string yaml = std::string(kSla) + "kafka:\n  topics: [orders]\n  properties:\n";
  for (int i = 0; i < n; ++i) {
    yaml += "    p" + std::to_string(i) + (i % 2 ? "_file: /nonexistent\n" : ": v\n");
  }
  return yaml;
}

// One topic list with n distinct topics.
std::string Topics(int n) {
  std::string yaml = std::string(kSla) + "kafka:\n  topics:\n";
  for (int i = 0; i < n; ++i) yaml += "    - t" + std::to_string(i) + "\n";
  return yaml;
}

double BestNsPerKey(const std::string& yaml, int keys) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  double best = 1e300;
  for (int run = 0; run < 3; ++run) {
    auto start = std::chrono::steady_clock::now();
    auto result = LoadConfigString(yaml, "bench.yaml", no_env);  // errors or not: both count
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
    best = std::min(best, ns.count() / keys);
  }
  return best;
}

}  // namespace
}  // namespace handoff

int main(int argc, char** argv) {
  using namespace handoff;
  const int large = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int small = large / 10;
  std::printf("%-14s %14s %14s %8s\n", "shape", "ns/key small", "ns/key large", "ratio");
  struct Shape {
    const char* name;
    std::function<std::string(int)> make;
  };
  for (const Shape& shape : {Shape{"unknown_keys", UnknownKeys}, Shape{"properties", Properties},
                             Shape{"topics", Topics}}) {
    double a = BestNsPerKey(shape.make(small), small);
    double b = BestNsPerKey(shape.make(large), large);
    std::printf("%-14s %14.0f %14.0f %8.2f\n", shape.name, a, b, b / a);
  }
  std::printf("(small = %d keys, large = %d keys; ratio ~1 is linear, ~10 quadratic)\n", small,
              large);
  return 0;
}
