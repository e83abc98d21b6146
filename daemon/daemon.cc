#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/daemon.h"

#include <algorithm>
#include <chrono>

#include <boost/asio.hpp>

#include "config/config_loader.h"
#include "daemon/api.h"
#include "daemon/engine_host.h"
#include "daemon/http_server.h"
#include "daemon/kafka_event_source.h"
#include "daemon/logger.h"
#include "daemon/metrics.h"
#include "daemon/timeline_store.h"

namespace handoff {

namespace asio = boost::asio;

struct Daemon::State {
  State(std::shared_ptr<const Config> config, const RuntimeFlags& flags, const Clock& clock)
      : config(config), flags(flags), clock(clock), host(config), signals(io, SIGINT, SIGTERM),
        tick_timer(io),
        metrics(host, clock.Now()),
        timeline(TimelineLimits{.retention = config->time.retention}),
        api(host, metrics, timeline,
            Api::Options{.enable_lifecycle = flags.enable_lifecycle,
                         .reload = [this] { return Reload(); }}),
        http(io, WebServerOptions(config->web, flags),
             [this](const HttpRequest& request) { return api.Handle(request); }) {
    host.AddSink(&metrics);
    host.AddSink(&timeline);
  }

  // POST /-/reload (with --web.enable-lifecycle). Answers 500 with this message until
  // the config reload lands (issue #7).
  Result<std::string> Reload() { return Error{"reload arrives with issue #7"}; }

  // Re-arms the one wall-clock timer at the next instant the host can decide something,
  // and at least every second so a partition that just went idle is noticed.
  void ArmTick() {
    TimeMs now = clock.Now();
    TimeMs wake = std::min(host.Tick(now), now + kSecond);
    tick_timer.expires_after(std::chrono::milliseconds(std::max<TimeMs>(wake - now, 1)));
    tick_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) ArmTick();
    });
  }

  // The shutdown order, step by step. Runs on the engine thread.
  void Shutdown() {
    LogInfo("shutting down");
    // 0. Leave the Kafka group: the source stops reading, the mailbox is applied here,
    //    the last offsets are committed (blocks until the consumer thread ends).
    if (kafka) kafka->Stop();
    // 1. Stop waking up for idle frontiers.
    tick_timer.cancel();
    signals.cancel();
    // 2. Stop serving HTTP: close the listener and every open connection.
    http.Stop();
    // 3. Nothing else holds the loop: it returns once pending handlers finish.
    io.stop();
  }

  std::shared_ptr<const Config> config;
  RuntimeFlags flags;
  const Clock& clock;
  asio::io_context io;
  EngineHost host;
  asio::signal_set signals;
  asio::steady_timer tick_timer;
  std::unique_ptr<KafkaEventSource> kafka;  // created by Run()
  // HTTP (issue #5): metrics and the order timeline are sinks of the host; the server
  // answers /metrics and the API on this loop.
  Metrics metrics;
  TimelineStore timeline;
  Api api;
  HttpServer http;
};

Daemon::Daemon(std::shared_ptr<const Config> config, const RuntimeFlags& flags,
               const Clock& clock)
    : state_(std::make_unique<State>(std::move(config), flags, clock)) {}

Daemon::~Daemon() = default;

int Daemon::Run() {
  State& s = *state_;
  s.signals.async_wait([&s](boost::system::error_code ec, int signal) {
    if (ec) return;
    LogInfo("signal received", {{"signal", std::to_string(signal)}});
    s.Shutdown();
  });
  s.ArmTick();
  // HTTP first, so /-/healthy answers while Kafka connects.
  Result<std::string> listening = s.http.Start();
  if (!listening) {
    LogError("cannot start the HTTP server", {{"error", listening.error().message}});
    return kExitRuntime;
  }
  LogInfo("listening", {{"address", *listening}});
  s.kafka = std::make_unique<KafkaEventSource>(
      s.config, s.host, s.clock,
      [&io = s.io](std::function<void()> task) { asio::post(io, std::move(task)); });
  if (auto error = s.kafka->Start()) {
    LogError("cannot start the Kafka consumer", {{"error", error->message}});
    return kExitRuntime;
  }
  LogInfo("running", {{"config", DescribeConfigOneLine(*s.config)}});
  s.io.run();
  return kExitOk;
}

void Daemon::AddSink(DecisionSink* sink) { state_->host.AddSink(sink); }

void Daemon::Post(std::function<void(const EngineHost&)> task) {
  asio::post(state_->io, [s = state_.get(), task = std::move(task)] {
    try {
      task(s->host);
    } catch (const std::exception& e) {  // nothing escapes into the io_context
      LogError("posted task failed", {{"error", e.what()}});
    }
  });
}

void Daemon::Stop() {
  asio::post(state_->io, [s = state_.get()] { s->Shutdown(); });
}

}  // namespace handoff
