#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/daemon.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>

#include <boost/asio.hpp>

#include "config/config_loader.h"
#include "daemon/config_reload.h"
#include "daemon/durability/checkpointer.h"
#include "daemon/durability/kafka_checkpoint_store.h"
#include "daemon/durability/open_checkpoint_store.h"
#include "daemon/durability/kafka_decision_publisher.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "daemon/ingest/kafka_event_source.h"
#include "daemon/partition_handover.h"
#include "daemon/serve/group_fanout.h"
#include "daemon/serve/http_stack.h"
#include "daemon/systemd_notifier.h"

namespace handoff {

namespace asio = boost::asio;

namespace {

// The whole shutdown (leave the group, checkpoint, flush decisions) takes at most this
// long; systemd's TimeoutStopSec (deploy/) leaves room above it.
constexpr DurationMs kShutdownBudget = 20 * kSecond;

// Logs why the daemon cannot start and passes the error on.
Status Failed(std::string_view what, const Error& error) {
  LogError(what, {{"error", error.message}});
  return error;
}

}  // namespace

// The wiring: what the daemon is made of, in construction order, and the engine-thread
// timers and signals that drive it. Reloads are the ConfigReloader's, the checkpoint
// glue of the Kafka source the PartitionHandover's, HTTP the HttpStack's.
struct Daemon::State {
  State(std::shared_ptr<const Config> config, const RuntimeFlags& flags, const Clock& clock)
      : flags(flags),
        clock(clock),
        host(config),
        signals(io, SIGINT, SIGTERM),
        reload_signal(io, SIGHUP),
        tick_timer(io),
        checkpoint_timer(io),
        watchdog_timer(io),
        http(io, host, clock.Now(), WebServerOptions(config->web, flags),
             Api::Options{.enable_lifecycle = flags.enable_lifecycle,
                          .reload = [this](ConfigReloader::Done done) {
                            reloader.Reload(std::move(done));
                          }}),
        reloader(config, host, http.metrics, notifier, clock,
                 [this](std::function<void()> task) { asio::post(io, std::move(task)); }) {
    reloader.set_on_applied([this](const EngineHost::Basis& basis) {
      if (handover) handover->set_basis(basis);
    });
  }

  const Config& config() const { return *reloader.config(); }

  // Brings everything up; an error (already logged) means the process cannot run.
  Status Start();

  // ---- signals and timers (engine thread)

  void WaitForReloadSignal() {
    reload_signal.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      LogInfo("signal received", {{"signal", "SIGHUP"}});
      reloader.Reload([](const Result<std::string>&) {});  // it logs the outcome
      WaitForReloadSignal();
    });
  }

  // Re-arms the one wall-clock timer at the next instant the host can decide something,
  // and at least every second so a partition that just went idle is noticed.
  void ArmTick() {
    TimeMs now = clock.Now();
    TimeMs wake = std::min(host.Tick(now), now + kSecond);
    MaybeReady();
    tick_timer.expires_after(std::chrono::milliseconds(std::max<TimeMs>(wake - now, 1)));
    tick_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) ArmTick();
    });
  }

  // Every checkpoint.interval: a round (one partition per loop turn, written by the
  // checkpointer's thread). The next round is armed when this one reports.
  void ArmCheckpoint() {
    checkpoint_timer.expires_after(std::chrono::milliseconds(config().checkpoint.interval));
    checkpoint_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopping) return;
      checkpointer->StartRound([this](const Checkpointer::Report& report) {
        OnCheckpointed(report);
        if (!stopping) ArmCheckpoint();
      });
    });
  }

  void OnCheckpointed(const Checkpointer::Report& report) {
    // A round that failed nothing leaves everything this member owns durable, also when
    // it owns no partition (a spare member of the group): its checkpoint age stays low
    // and HandoffCheckpointStale quiet.
    if (report.failed == 0) http.metrics.RecordCheckpoint(report.duration, report.finished_at);
    if (report.decisions_lost && !stopping) {
      LogError("a decision was not delivered to the decisions topic; exiting so that a restart "
               "sends it again from the last checkpoint",
               {{"error", report.first_error ? report.first_error->message : ""}});
      asio::post(io, [this] { RequestShutdown(kExitRuntime); });
    }
  }

  // WATCHDOG=1 from this loop: a stuck engine thread stops the pings and systemd
  // restarts the process.
  void ArmWatchdog(DurationMs interval) {
    notifier.Watchdog();
    watchdog_timer.expires_after(std::chrono::milliseconds(interval));
    watchdog_timer.async_wait([this, interval](boost::system::error_code ec) {
      if (!ec) ArmWatchdog(interval);
    });
  }

  // READY=1 once the HTTP server listens (Run starts it first) and the source has an
  // assignment whose every partition is restored from its checkpoint.
  void MaybeReady() {
    if (ready_sent || stopping || !host.ready()) return;
    if (handover && handover->restores_pending()) return;
    ready_sent = true;
    notifier.Ready();
    notifier.Status("running; " + std::to_string(host.partitions().size()) +
                    " partition(s) restored");
    LogInfo("ready", {{"partitions", std::to_string(host.partitions().size())}});
  }

  // Shutdown from a handler: nothing may escape into the io_context, and the loop must
  // end even if a step threw.
  void RequestShutdown(int code) {
    try {
      Shutdown(code);
    } catch (const std::exception& e) {
      LogError("shutdown failed", {{"error", e.what()}});
      exit_code = kExitRuntime;
      io.stop();
    }
  }

  void Shutdown(int code);

  RuntimeFlags flags;
  const Clock& clock;
  asio::io_context io;
  EngineHost host;
  asio::signal_set signals;
  asio::signal_set reload_signal;
  asio::steady_timer tick_timer;
  asio::steady_timer checkpoint_timer;
  asio::steady_timer watchdog_timer;
  SystemdNotifier notifier;
  // HTTP (issue #5): metrics and the order timeline are sinks of the host; the server
  // answers /metrics and the API on this loop.
  HttpStack http;
  ConfigReloader reloader;
  // Durability (issue #7), created by Start(): the decisions topic (a sink of the host
  // when kafka.breach_topic is set), the checkpoint store, the checkpointer and its glue
  // to the source.
  std::unique_ptr<KafkaDecisionPublisher> publisher;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<PartitionHandover> handover;
  std::unique_ptr<KafkaEventSource> kafka;  // created by Start()
  // Several members: asks the others for their part of the API's answers (reads the
  // store's claims, so it goes before the store).
  std::unique_ptr<GroupFanout> fanout;
  bool ready_sent = false;
  bool stopping = false;
  TimeMs shutdown_deadline = kNoTime;
  int exit_code = kExitOk;
};

Status Daemon::State::Start() {
  notifier.Status("starting");
  signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    LogInfo("signal received", {{"signal", std::to_string(signal)}});
    RequestShutdown(kExitOk);
  });
  WaitForReloadSignal();
  ArmTick();
  if (auto interval = notifier.WatchdogInterval()) ArmWatchdog(*interval);
  // HTTP first, so /-/healthy answers while Kafka connects.
  Result<std::string> listening = http.server.Start();
  if (!listening) return Failed("cannot start the HTTP server", listening.error());
  LogInfo("listening", {{"address", *listening}});

  // Files, or the state topic that several members of the group share (checked here:
  // it exists and has the input topics' partitions).
  const bool shared_state = config().checkpoint.store == CheckpointStoreKind::kKafka;
  const std::string self_url =
      AdvertiseUrl(config().web.advertise_url, *listening, http.server.tls());
  auto opened = OpenCheckpointStore(config(), self_url);
  if (!opened) {
    return Failed(shared_state ? "cannot use the checkpoint topic"
                               : "cannot open the checkpoint directory",
                  opened.error());
  }
  store = std::move(opened).value();
  if (!config().kafka.breach_topic.empty()) {
    auto created = KafkaDecisionPublisher::Create(host);
    if (!created) return Failed("cannot start the decisions producer", created.error());
    publisher = std::move(created).value();
    host.AddSink(publisher.get());
  }
  auto post = [this](std::function<void()> task) { asio::post(io, std::move(task)); };
  checkpointer = std::make_unique<Checkpointer>(host, *store, publisher.get(), clock, post);
  ArmCheckpoint();
  // After the batch's readiness is applied, a restored partition may make the daemon ready.
  handover = std::make_unique<PartitionHandover>(
      host, *store, *checkpointer, http.metrics, clock,
      [this] { asio::post(io, [this] { MaybeReady(); }); });
  if (shared_state) {
    // The engine thread ticks at least every second, so 5 s between ticks is a stall. The
    // hold covers two heartbeats after it (librdkafka's default interval is 3 s): the
    // first one answered after a lost session revokes the partitions.
    DurationMs heartbeat = 3 * kSecond;
    auto configured = config().kafka.properties.find("heartbeat.interval.ms");
    if (configured != config().kafka.properties.end()) {
      std::from_chars(configured->second.data(),
                      configured->second.data() + configured->second.size(), heartbeat);
    }
    host.GuardWallClockAfterStalls(5 * kSecond, 2 * heartbeat + kSecond);
    Checkpointer::Offsets from_start;
    for (const std::string& topic : config().kafka.topics) {
      from_start[topic] = KafkaEventSource::kFromBeginning;
    }
    handover->set_start_without_checkpoint(std::move(from_start));
    // Every member answers the API for the whole group: the others are found by their
    // claims in the state topic (the store is the Kafka one: shared_state).
    auto* shared = static_cast<KafkaCheckpointStore*>(store.get());
    fanout = std::make_unique<GroupFanout>(io, [shared] { return shared->OwnerUrls(3 * kSecond); },
                                           GroupFanout::Options{.self_url = self_url});
    http.api.set_members(
        [this](std::string target, std::string authorization,
               std::function<void(std::vector<MemberAnswer>)> done) {
          fanout->Ask(std::move(target), std::move(authorization), std::move(done));
        },
        self_url);
    LogInfo("answering the API for the whole group", {{"advertise_url", self_url}});
  }

  KafkaEventSource::Options options;
  options.hooks = handover->Hooks();
  kafka = std::make_unique<KafkaEventSource>(reloader.config(), host, clock, post, options);
  if (Status started = kafka->Start(); !started) {
    return Failed("cannot start the Kafka consumer", started.error());
  }
  notifier.Status("restoring partitions");
  LogInfo("running", {{"config", DescribeConfigOneLine(config())}});
  return {};
}

// The shutdown order, step by step. Runs on the engine thread, once.
void Daemon::State::Shutdown(int code) {
  if (stopping) return;
  stopping = true;
  exit_code = std::max(exit_code, code);
  shutdown_deadline = clock.Now() + kShutdownBudget;
  if (handover) handover->set_deadline(shutdown_deadline);
  LogInfo("shutting down");
  // 0. Tell systemd the stop has begun (sd_notify(3): STOPPING=1 is sent at its start),
  //    and stop every timer: no new checkpoint round, no more idle-frontier moves, no
  //    reloads. The watchdog pings stop too; the stop itself is bounded below.
  notifier.Stopping();
  notifier.Status("stopping: checkpointing and leaving the consumer group");
  tick_timer.cancel();
  checkpoint_timer.cancel();
  watchdog_timer.cancel();
  signals.cancel();
  reload_signal.cancel();
  // 1. Stop consuming and drain: the source stops reading, the engine applies what is
  //    in its mailbox, and leaving the group revokes every partition, which (hook
  //    `revoke`, PartitionHandover) checkpoints it with the offsets of everything
  //    applied, after its decisions were acknowledged, within the shutdown budget. Then
  //    the final offsets are committed to Kafka (for lag dashboards) and the consumer
  //    thread is joined.
  if (kafka) kafka->Stop();
  if (handover && handover->decisions_lost()) exit_code = kExitRuntime;
  // 2. Checkpoint what is still assigned (a partition the source could not revoke, or
  //    all of them when the source never started).
  if (checkpointer) {
    std::vector<std::int32_t> left;
    for (const auto& [partition, _] : host.partitions()) left.push_back(partition);
    if (!left.empty()) {
      DurationMs budget = std::max<DurationMs>(shutdown_deadline - clock.Now(), 0);
      Checkpointer::Report report = checkpointer->SaveNow(left, budget);
      if (report.first_error) {
        LogError("checkpoint at shutdown incomplete", {{"error", report.first_error->message}});
      }
      if (report.decisions_lost) exit_code = kExitRuntime;
    }
    if (checkpointer->decisions_lost()) exit_code = kExitRuntime;
  }
  // 3. Wait for every decision to be delivered to the decisions topic (the checkpoints
  //    waited for the ones they cover; this is the rest).
  if (publisher) {
    DurationMs budget = std::max<DurationMs>(shutdown_deadline - clock.Now(), 0);
    Result<bool> delivered = publisher->WaitDelivered(publisher->Mark(), budget);
    if (!delivered.ok() || !*delivered) {
      LogError("decisions not delivered at shutdown; a restart sends them again",
               {{"error", delivered.ok() ? "timed out" : delivered.error().message}});
      if (!delivered.ok()) exit_code = kExitRuntime;
    }
  }
  // 4. Stop serving HTTP: close the listener and every open connection.
  http.server.Stop();
  // 5. Nothing else holds the loop: it returns once pending handlers finish, and Run
  //    returns the exit code (0, or 2 when a decision was lost).
  io.stop();
  LogInfo("stopped", {{"exit_code", std::to_string(exit_code)}});
}

Daemon::Daemon(std::shared_ptr<const Config> config, const RuntimeFlags& flags,
               const Clock& clock)
    : state_(std::make_unique<State>(std::move(config), flags, clock)) {}

Daemon::~Daemon() {
  // The checkpointer posts to the loop and reads the publisher: it goes first.
  state_->kafka.reset();
  state_->handover.reset();
  state_->checkpointer.reset();
}

int Daemon::Run() {
  if (!state_->Start()) return kExitRuntime;
  state_->io.run();
  return state_->exit_code;
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
  asio::post(state_->io, [s = state_.get()] { s->RequestShutdown(kExitOk); });
}

}  // namespace handoff
