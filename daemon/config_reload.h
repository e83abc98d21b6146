// Reloads (SIGHUP, POST /-/reload; docs/durability.md "Reloads"): loads the config file
// again and applies it to the EngineHost, or keeps the running one. The sections read
// once at start (kafka, events, checkpoint, web) keep their running values. The file is
// read, parsed and validated on a thread of the reloader's own, so a large config never
// stalls the engine; only the swap runs on the engine thread. Reload is called on the
// engine thread, and `done` is called there. Owner: the Daemon.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "daemon/host/clock.h"
#include "daemon/host/engine_host.h"
#include "daemon/serve/metrics.h"
#include "daemon/systemd_notifier.h"
#include "handlers/result.h"

namespace handoff {

class ConfigReloader {
 public:
  // Called after a reload was applied, with the host's new basis.
  using OnApplied = std::function<void(const EngineHost::Basis&)>;
  // Runs a task on the engine thread.
  using Poster = std::function<void(std::function<void()>)>;
  // What the API answers: "config reloaded", or why the old config keeps running.
  using Done = std::function<void(const Result<std::string>&)>;

  // Everything must outlive the reloader.
  ConfigReloader(std::shared_ptr<const Config> config, EngineHost& host, Metrics& metrics,
                 SystemdNotifier& notifier, const Clock& clock, Poster post_to_engine)
      : config_(std::move(config)),
        host_(host),
        metrics_(metrics),
        notifier_(notifier),
        clock_(clock),
        post_to_engine_(std::move(post_to_engine)) {}
  ~ConfigReloader();

  void set_on_applied(OnApplied on_applied) { on_applied_ = std::move(on_applied); }

  // Starts a reload. One asked for while another loads runs after it (the file may have
  // changed since that one read it); every `done` gets the result of a load that began
  // after it was asked for.
  void Reload(Done done);

  // The running config.
  const std::shared_ptr<const Config>& config() const { return config_; }

 private:
  void StartLoad();
  Result<std::string> Apply(Result<Config, ConfigErrors> loaded);

  std::shared_ptr<const Config> config_;
  EngineHost& host_;
  Metrics& metrics_;
  SystemdNotifier& notifier_;
  const Clock& clock_;
  Poster post_to_engine_;
  OnApplied on_applied_;
  std::thread loader_;
  bool loading_ = false;
  std::vector<Done> waiting_;  // for the load under way
  std::vector<Done> next_;     // asked for during it: the next load's
};

}  // namespace handoff
