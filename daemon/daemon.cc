#include <utility>  // Boost 1.74's Asio needs std::exchange declared first under C++20

#include "daemon/daemon.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <tuple>

#include <boost/asio.hpp>

#include "config/config_loader.h"
#include "daemon/api.h"
#include "daemon/checkpointer.h"
#include "daemon/durability/open_checkpoint_store.h"
#include "daemon/engine_host.h"
#include "daemon/http_server.h"
#include "daemon/kafka_decision_publisher.h"
#include "daemon/kafka_event_source.h"
#include "daemon/logger.h"
#include "daemon/metrics.h"
#include "daemon/partition_restore.h"
#include "daemon/systemd_notifier.h"
#include "daemon/timeline_store.h"

namespace handoff {

namespace asio = boost::asio;

namespace {

// A revoked partition's checkpoint waits at most this long for its decisions and disk.
constexpr DurationMs kRevokeSaveTimeout = 10 * kSecond;
// The whole shutdown (leave the group, checkpoint, flush decisions) takes at most this
// long; systemd's TimeoutStopSec (deploy/) leaves room above it.
constexpr DurationMs kShutdownBudget = 20 * kSecond;

// The sections a reload cannot change (docs/durability.md, reload rule 7).
bool SameKafka(const KafkaConfig& a, const KafkaConfig& b) {
  return std::tie(a.brokers, a.group_id, a.topics, a.properties, a.breach_topic,
                  a.dead_letter_topic) == std::tie(b.brokers, b.group_id, b.topics, b.properties,
                                                   b.breach_topic, b.dead_letter_topic);
}

bool SameEvents(const EventFormat& a, const EventFormat& b) {
  auto pointers = [](const EventFormat& f) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NamedPointer& p : f.attributes) out.emplace_back(p.name, p.pointer);
    return out;
  };
  return std::tie(a.format, a.id_pointer, a.type_pointer, a.time_pointer, a.key_pointer,
                  a.time_format) == std::tie(b.format, b.id_pointer, b.type_pointer,
                                             b.time_pointer, b.key_pointer, b.time_format) &&
         pointers(a) == pointers(b);
}

bool SameCheckpoint(const CheckpointConfig& a, const CheckpointConfig& b) {
  return a.dir == b.dir && a.interval == b.interval;
}

bool SameWeb(const WebConfig& a, const WebConfig& b) {
  return std::tie(a.listen_address, a.tls_cert_file, a.tls_key_file, a.basic_auth_users) ==
         std::tie(b.listen_address, b.tls_cert_file, b.tls_key_file, b.basic_auth_users);
}

}  // namespace

struct Daemon::State {
  State(std::shared_ptr<const Config> config, const RuntimeFlags& flags, const Clock& clock)
      : config(config), flags(flags), clock(clock), host(config), signals(io, SIGINT, SIGTERM),
        reload_signal(io, SIGHUP),
        tick_timer(io),
        checkpoint_timer(io),
        watchdog_timer(io),
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

  // ---- reload (SIGHUP, POST /-/reload): docs/durability.md "Reloads"

  // Loads the config file again and applies it, or keeps the old one. Engine thread.
  Result<std::string> Reload() {
    notifier.Reloading();
    notifier.Status("reloading the config");
    Result<std::string> result = ApplyReload();
    notifier.Ready();
    notifier.Status(result ? "running; config reloaded" : "running; config reload failed");
    return result;
  }

  Result<std::string> ApplyReload() {
    const std::string& path = config->path;
    auto loaded = LoadConfigFile(path, ProcessEnvironment());
    if (!loaded) {
      for (const ConfigError& error : loaded.error()) {
        LogError("config reload: invalid config", {{"error", error.ToString()}});
      }
      metrics.RecordReload(false, clock.Now());
      return Error{path + ": " + std::to_string(loaded.error().size()) +
                   " error(s); the old config keeps running"};
    }
    Config next = std::move(loaded).value();
    // Rule 7: these sections are read once, at start.
    auto keep = [](const char* section, bool same, auto& field, const auto& running) {
      if (same) return;
      LogWarn("config reload: this section needs a restart; keeping the running values",
              {{"section", section}});
      field = running;
    };
    keep("kafka", SameKafka(next.kafka, config->kafka), next.kafka, config->kafka);
    keep("events", SameEvents(next.events, config->events), next.events, config->events);
    keep("checkpoint", SameCheckpoint(next.checkpoint, config->checkpoint), next.checkpoint,
         config->checkpoint);
    keep("web", SameWeb(next.web, config->web), next.web, config->web);
    auto shared = std::make_shared<const Config>(std::move(next));
    Result<std::size_t> dropped = host.Reconfigure(shared);
    if (!dropped) {
      LogError("config reload: cannot apply the config; the old one keeps running",
               {{"error", dropped.error().message}});
      metrics.RecordReload(false, clock.Now());
      return dropped.error();
    }
    config = shared;
    {
      std::lock_guard lock(pending_mutex);
      restore_basis = host.basis();  // partitions restored from now on use the new SLAs
    }
    metrics.OnReconfigured();
    metrics.RecordReload(true, clock.Now());
    LogInfo("config reloaded", {{"config", DescribeConfigOneLine(*config)},
                                {"dropped_open_instances", std::to_string(*dropped)}});
    return std::string("config reloaded");
  }

  void WaitForReloadSignal() {
    reload_signal.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      LogInfo("signal received", {{"signal", "SIGHUP"}});
      try {
        (void)Reload();
      } catch (const std::exception& e) {  // nothing escapes into the io_context
        LogError("config reload failed", {{"error", e.what()}});
      }
      WaitForReloadSignal();
    });
  }

  // ---- timers

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
    checkpoint_timer.expires_after(std::chrono::milliseconds(config->checkpoint.interval));
    checkpoint_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopping) return;
      checkpointer->StartRound([this](const Checkpointer::Report& report) {
        OnCheckpointed(report);
        if (!stopping) ArmCheckpoint();
      });
    });
  }

  void OnCheckpointed(const Checkpointer::Report& report) {
    if (report.failed == 0 && report.saved > 0) {
      metrics.RecordCheckpoint(report.duration, report.finished_at);
    }
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
    {
      std::lock_guard lock(pending_mutex);
      if (!pending_restores.empty()) return;
    }
    ready_sent = true;
    notifier.Ready();
    notifier.Status("running; " + std::to_string(host.partitions().size()) +
                    " partition(s) restored");
    LogInfo("ready", {{"partitions", std::to_string(host.partitions().size())}});
  }

  // ---- checkpoints <-> the Kafka source (KafkaEventSource::Hooks)

  KafkaEventSource::Hooks SourceHooks() {
    KafkaEventSource::Hooks hooks;
    // Consumer thread, once per assignment: read and restore every new partition's
    // checkpoint on worker threads, keep the engines for the engine thread, and seek to
    // the checkpoints' offsets. The engine thread keeps serving meanwhile.
    // (Copied here: a reload replaces `config` on the engine thread, and these two need
    // a restart to change anyway.)
    const bool shared_state = config->checkpoint.store == CheckpointStoreKind::kKafka;
    hooks.start_offsets = [this, shared_state, topics = config->kafka.topics](
                              const std::vector<std::int32_t>& partitions) {
      EngineHost::Basis basis;
      {
        std::lock_guard lock(pending_mutex);
        basis = restore_basis;
      }
      std::vector<RestoredPartition> restored =
          RestoreFromStore(*store, partitions, basis, RestoreThreads());
      std::map<std::int32_t, Checkpointer::Offsets> offsets;
      std::lock_guard lock(pending_mutex);
      for (RestoredPartition& partition : restored) {
        if (partition.offsets) {
          offsets.emplace(partition.partition, *partition.offsets);
        } else if (shared_state && !partition.error) {
          // No member ever checkpointed this partition. The committed offset may still
          // be ahead (auto-commit follows the engine, checkpoints follow the byte budget
          // and the interval): starting there would skip records whose decisions a
          // member killed meanwhile never sent. Read the partition from its start.
          Checkpointer::Offsets from_start;
          for (const std::string& topic : topics) {
            from_start[topic] = KafkaEventSource::kFromBeginning;
          }
          offsets.emplace(partition.partition, std::move(from_start));
        }
        pending_restores.insert_or_assign(partition.partition, std::move(partition));
      }
      return offsets;
    };
    // Engine thread, before the partition's first event: moves the restored engine in (a
    // reload since it was restored makes the host re-home it under the new SLAs).
    hooks.assign = [this](std::int32_t partition) {
      std::optional<RestoredPartition> restored;
      {
        std::lock_guard lock(pending_mutex);
        auto node = pending_restores.extract(partition);
        if (node) restored = std::move(node.mapped());
      }
      if (restored) {
        checkpointer->RestorePartition(std::move(*restored));
      } else {
        checkpointer->RestorePartition(partition);
      }
      asio::post(io, [this] { MaybeReady(); });  // after the batch's readiness is applied
    };
    // Engine thread, after the partition's last event: the next owner restores this.
    hooks.revoke = [this](std::int32_t partition) {
      DurationMs timeout = kRevokeSaveTimeout;
      if (stopping) timeout = std::max<DurationMs>(shutdown_deadline - clock.Now(), 0);
      Checkpointer::Report report = checkpointer->SaveNow({partition}, timeout);
      if (report.first_error) {
        LogError("checkpoint of a revoked partition not written",
                 {{"partition", std::to_string(partition)},
                  {"error", report.first_error->message}});
      } else {
        metrics.RecordCheckpoint(report.duration, report.finished_at);
      }
      if (report.decisions_lost) exit_code = kExitRuntime;
      checkpointer->Forget(partition);
      host.Revoke(partition);
    };
    hooks.applied = [this](std::int32_t partition, const std::string& topic,
                           std::int64_t next_offset) {
      checkpointer->RecordApplied(partition, topic, next_offset);
    };
    return hooks;
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

  // ---- the shutdown order, step by step. Runs on the engine thread, once.
  void Shutdown(int code) {
    if (stopping) return;
    stopping = true;
    exit_code = std::max(exit_code, code);
    shutdown_deadline = clock.Now() + kShutdownBudget;
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
    //    `revoke`) checkpoints it with the offsets of everything applied, after its
    //    decisions were acknowledged, within the shutdown budget. Then the final offsets
    //    are committed to Kafka (for lag dashboards) and the consumer thread is joined.
    if (kafka) kafka->Stop();
    // 2. Checkpoint what is still assigned (a partition the source could not revoke, or
    //    all of them when the source never started).
    if (checkpointer) {
      std::vector<std::int32_t> left;
      for (const auto& [partition, _] : host.partitions()) left.push_back(partition);
      if (!left.empty()) {
        DurationMs budget = std::max<DurationMs>(shutdown_deadline - clock.Now(), 0);
        Checkpointer::Report report = checkpointer->SaveNow(left, budget);
        if (report.first_error) {
          LogError("checkpoint at shutdown incomplete",
                   {{"error", report.first_error->message}});
        }
        if (report.decisions_lost) exit_code = kExitRuntime;
      }
      if (checkpointer->decisions_lost()) exit_code = kExitRuntime;
    }
    // 3. Wait for every decision to be delivered to the decisions topic (the
    //    checkpoints waited for the ones they cover; this is the rest).
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
    http.Stop();
    // 5. Nothing else holds the loop: it returns once pending handlers finish, and Run
    //    returns the exit code (0, or 2 when a decision was lost).
    io.stop();
    LogInfo("stopped", {{"exit_code", std::to_string(exit_code)}});
  }

  std::shared_ptr<const Config> config;
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
  // Durability (issue #7), created by Run(): the decisions topic (a sink of the host when
  // kafka.breach_topic is set), the checkpoint store and the checkpointer.
  std::unique_ptr<KafkaDecisionPublisher> publisher;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Checkpointer> checkpointer;
  // Partitions the consumer thread restored when they were assigned, waiting for the
  // engine thread to install them, and the host's basis they are restored under (the
  // engine thread updates it on reload).
  std::mutex pending_mutex;
  std::map<std::int32_t, RestoredPartition> pending_restores;
  EngineHost::Basis restore_basis = host.basis();
  std::unique_ptr<KafkaEventSource> kafka;  // created by Run()
  // HTTP (issue #5): metrics and the order timeline are sinks of the host; the server
  // answers /metrics and the API on this loop.
  Metrics metrics;
  TimelineStore timeline;
  Api api;
  HttpServer http;
  bool ready_sent = false;
  bool stopping = false;
  TimeMs shutdown_deadline = kNoTime;
  int exit_code = kExitOk;
};

Daemon::Daemon(std::shared_ptr<const Config> config, const RuntimeFlags& flags,
               const Clock& clock)
    : state_(std::make_unique<State>(std::move(config), flags, clock)) {}

Daemon::~Daemon() {
  // The checkpointer posts to the loop and reads the publisher: it goes first.
  state_->kafka.reset();
  state_->checkpointer.reset();
}

int Daemon::Run() {
  State& s = *state_;
  s.notifier.Status("starting");
  s.signals.async_wait([&s](boost::system::error_code ec, int signal) {
    if (ec) return;
    LogInfo("signal received", {{"signal", std::to_string(signal)}});
    s.RequestShutdown(kExitOk);
  });
  s.WaitForReloadSignal();
  s.ArmTick();
  if (auto interval = s.notifier.WatchdogInterval()) s.ArmWatchdog(*interval);
  // HTTP first, so /-/healthy answers while Kafka connects.
  Result<std::string> listening = s.http.Start();
  if (!listening) {
    LogError("cannot start the HTTP server", {{"error", listening.error().message}});
    return kExitRuntime;
  }
  LogInfo("listening", {{"address", *listening}});

  // Files, or the state topic that several members of the group share (checked here:
  // it exists and has the input topics' partitions).
  auto store = OpenCheckpointStore(*s.config, "http://" + *listening);
  if (!store) {
    LogError(s.config->checkpoint.store == CheckpointStoreKind::kFile
                 ? "cannot open the checkpoint directory"
                 : "cannot use the checkpoint topic",
             {{"error", store.error().message}});
    return kExitRuntime;
  }
  s.store = std::move(store).value();
  if (!s.config->kafka.breach_topic.empty()) {
    auto publisher = KafkaDecisionPublisher::Create(s.host);
    if (!publisher) {
      LogError("cannot start the decisions producer", {{"error", publisher.error().message}});
      return kExitRuntime;
    }
    s.publisher = std::move(publisher).value();
    s.host.AddSink(s.publisher.get());
  }
  auto post = [&io = s.io](std::function<void()> task) { asio::post(io, std::move(task)); };
  s.checkpointer = std::make_unique<Checkpointer>(s.host, *s.store, s.publisher.get(), s.clock, post);
  s.ArmCheckpoint();

  KafkaEventSource::Options options;
  options.hooks = s.SourceHooks();
  s.kafka = std::make_unique<KafkaEventSource>(s.config, s.host, s.clock, post, options);
  if (auto error = s.kafka->Start()) {
    LogError("cannot start the Kafka consumer", {{"error", error->message}});
    return kExitRuntime;
  }
  s.notifier.Status("restoring partitions");
  LogInfo("running", {{"config", DescribeConfigOneLine(*s.config)}});
  s.io.run();
  return s.exit_code;
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
