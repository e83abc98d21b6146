#include "daemon/demo.h"

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "config/config_loader.h"
#include "daemon/daemon.h"
#include "daemon/demo/demo_cluster.h"
#include "daemon/demo/demo_config.h"
#include "daemon/demo/demo_generator.h"
#include "daemon/host/decision_sink.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "daemon/host/thread_name.h"

namespace handoff {
namespace {

constexpr int kPartitions = 4;
constexpr auto kSummaryInterval = std::chrono::seconds(5);

// Counts closing decisions for the summary line. Engine thread only.
class SummarySink final : public DecisionSink {
 public:
  void OnDecisions(std::int32_t, std::span<const Decision> decisions) override {
    for (const Decision& decision : decisions) {
      if (decision.kind == DecisionKind::kMet) ++met;
      if (decision.kind == DecisionKind::kBreached) ++breached;
    }
  }
  std::uint64_t met = 0;
  std::uint64_t breached = 0;
};

// ":9464" -> "http://localhost:9464"; "0.0.0.0:80" -> "http://localhost:80".
std::string BaseUrl(const std::string& listen_address) {
  std::string port = listen_address.substr(listen_address.rfind(':') + 1);
  return "http://localhost:" + port;
}

}  // namespace

int RunDemo(std::uint32_t rate, const RuntimeFlags& flags) {
  auto cluster = DemoCluster::Create(
      1, {{"orders", kPartitions}, {"handoffs", kPartitions}, {"handoff.decisions", kPartitions}});
  if (!cluster) {
    LogError("demo: cannot start the in-process Kafka", {{"error", cluster.error().message}});
    return kExitRuntime;
  }
  const std::string bootstrap = (*cluster)->bootstrap_servers();

  auto loaded = LoadConfigString(DemoConfigYaml(), "demo.yaml (embedded)", ProcessEnvironment());
  if (!loaded) {
    for (const ConfigError& error : loaded.error()) std::cerr << error.ToString() << '\n';
    return kExitUsage;
  }
  Config config = std::move(loaded).value();
  config.kafka.brokers = bootstrap;
  char checkpoint_dir[] = "/tmp/handoffd-demo-XXXXXX";
  if (mkdtemp(checkpoint_dir) == nullptr) {
    LogError("demo: cannot create a temporary checkpoint dir");
    return kExitRuntime;
  }
  config.checkpoint.dir = checkpoint_dir;
  const std::string url = BaseUrl(flags.listen_address.value_or(config.web.listen_address));
  auto shared = std::make_shared<const Config>(std::move(config));

  SystemClock clock;
  Daemon daemon(shared, flags, clock);
  SummarySink summary;
  daemon.AddSink(&summary);

  DemoGenerator generator({.bootstrap_servers = bootstrap,
                           .rate = rate,
                           .partitions = kPartitions,
                           .seed = static_cast<std::uint64_t>(clock.Now())});
  if (Status started = generator.Start(); !started) {
    LogError("demo: cannot start the order generator", {{"error", started.error().message}});
    return kExitRuntime;
  }

  std::cout << "handoffd demo: in-process Kafka at " << bootstrap << ", " << rate
            << " orders/s through sales -> operations -> fulfillment -> finance.\n"
            << "  metrics:   " << url << "/metrics   (watch handoff_sla_breached_total)\n"
            << "  instances: " << url << "/api/v1/instances?state=overdue\n"
            << (url.ends_with(":0") ? "  (port 0: the real port is in the \"listening\" log line)\n"
                                    : "")
            << "  Breaches show up within a minute. Ctrl-C stops.\n"
            << std::flush;

  // The summary is read on the engine thread (a posted call), printed every few seconds.
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::thread reporter([&] {
    NameThisThread("handoff-summary");
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, kSummaryInterval, [&] { return done; })) {
      std::uint64_t orders = generator.orders_started();
      daemon.Post([orders, &summary](const EngineHost& host) {
        std::uint64_t consumed = 0;
        for (const auto& [_, n] : host.consumed()) consumed += n;
        std::uint64_t open = 0;
        for (std::size_t sla = 0; sla < host.config().slas.size(); ++sla) {
          OpenCounts counts = host.open_counts(sla);
          open += counts.running + counts.paused + counts.overdue;
        }
        std::cout << "demo: orders=" << orders << " consumed=" << consumed << " open=" << open
                  << " met=" << summary.met << " breached=" << summary.breached << std::endl;
      });
    }
  });

  int code = daemon.Run();

  {
    std::lock_guard lock(mutex);
    done = true;
  }
  wake.notify_all();
  reporter.join();
  generator.Stop();
  std::error_code ignored;
  std::filesystem::remove_all(checkpoint_dir, ignored);
  return code;
}

}  // namespace handoff
