// Tells the service manager how the daemon is doing (sd_notify(3)): READY=1 once every
// assigned partition is restored, STATUS= lines, RELOADING=1/READY=1 around a reload,
// STOPPING=1, and WATCHDOG=1 pings. Every call is a no-op when NOTIFY_SOCKET is unset
// (not under systemd, or Type= is not notify). Owner: the Daemon; engine thread (the
// watchdog pings come from the io_context, so a stuck loop stops them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/time.h"

namespace handoff {

class SystemdNotifier {
 public:
  bool enabled() const;  // NOTIFY_SOCKET is set

  void Ready();                        // READY=1
  void Status(std::string_view text);  // STATUS=<text>
  void Reloading();                    // RELOADING=1 and MONOTONIC_USEC=<now>
  void Stopping();                     // STOPPING=1
  void Watchdog();                     // WATCHDOG=1
  // EXTEND_TIMEOUT_USEC=<usec>: more time for a long start-up restore or a slow stop.
  void ExtendTimeout(DurationMs by);

  // How often to ping: half of WATCHDOG_USEC when the watchdog is enabled for this
  // process (sd_watchdog_enabled), else nullopt.
  std::optional<DurationMs> WatchdogInterval() const;

  std::uint64_t sent() const { return sent_; }  // messages the manager accepted

 private:
  void Send(const std::string& state);
  std::uint64_t sent_ = 0;
};

}  // namespace handoff
