// Reloads (SIGHUP, POST /-/reload; docs/durability.md "Reloads"): loads the config file
// again and applies it to the EngineHost, or keeps the running one. The sections read
// once at start (kafka, events, checkpoint, web) keep their running values. Engine
// thread only. Owner: the Daemon.
#pragma once

#include <functional>
#include <memory>
#include <string>

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

  // Everything must outlive the reloader.
  ConfigReloader(std::shared_ptr<const Config> config, EngineHost& host, Metrics& metrics,
                 SystemdNotifier& notifier, const Clock& clock)
      : config_(std::move(config)),
        host_(host),
        metrics_(metrics),
        notifier_(notifier),
        clock_(clock) {}

  void set_on_applied(OnApplied on_applied) { on_applied_ = std::move(on_applied); }

  // What the API answers: "config reloaded", or why the old config keeps running.
  Result<std::string> Reload();

  // The running config.
  const std::shared_ptr<const Config>& config() const { return config_; }

 private:
  Result<std::string> Apply();

  std::shared_ptr<const Config> config_;
  EngineHost& host_;
  Metrics& metrics_;
  SystemdNotifier& notifier_;
  const Clock& clock_;
  OnApplied on_applied_;
};

}  // namespace handoff
