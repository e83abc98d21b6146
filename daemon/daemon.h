// The running process (`handoffd run`): the engine thread's io_context, the EngineHost,
// the wall-clock adapter that moves idle frontiers, the sources and sinks, and the
// lifecycle (signals, shutdown order). Asio stays in daemon.cc.
// Construct, then Run() on the thread that becomes the engine thread; Stop() may be
// called from any thread.
#pragma once

#include <functional>
#include <memory>

#include "config/config.h"
#include "daemon/host/clock.h"
#include "daemon/host/runtime_flags.h"

namespace handoff {

class DecisionSink;
class EngineHost;

class Daemon {
 public:
  Daemon(std::shared_ptr<const Config> config, const RuntimeFlags& flags, const Clock& clock);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM or SIGINT (or Stop()), then shuts down in order (checkpoints
  // written, decisions delivered). Returns the process exit code: 0, or 2 when it could
  // not start or a decision could not be delivered (a restart re-sends it). SIGHUP
  // reloads the config file.
  int Run();
  void Stop();

  // Adds a sink for the engine's decisions (the demo's summary); call before Run().
  void AddSink(DecisionSink* sink);
  // Runs `task` on the engine thread, where it may read the engine state; any thread.
  // A task posted after Run() returned never runs.
  void Post(std::function<void(const EngineHost&)> task);

 private:
  struct State;  // Asio objects and everything wired to them
  std::unique_ptr<State> state_;
};

}  // namespace handoff
