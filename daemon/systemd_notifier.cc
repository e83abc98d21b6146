#include "daemon/systemd_notifier.h"

#include <algorithm>
#include <cstdlib>

#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/host/logger.h"

namespace handoff {

bool SystemdNotifier::enabled() const {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket && *socket;
}

void SystemdNotifier::Send(const std::string& state) {
  // unset_environment = 0: a reload or a watchdog ping later still needs the socket.
  int rc = sd_notify(0, state.c_str());
  if (rc > 0) {
    ++sent_;
  } else if (rc < 0) {
    LogWarn("sd_notify failed", {{"state", state}, {"errno", std::to_string(-rc)}});
  }
}

void SystemdNotifier::Ready() { Send("READY=1"); }

void SystemdNotifier::Status(std::string_view text) {
  std::string state = "STATUS=";
  for (char c : text) state += c == '\n' ? ' ' : c;  // one line per assignment
  Send(state);
}

void SystemdNotifier::Reloading() {
  // systemd 253+ (Type=notify-reload) wants the monotonic time the reload started at,
  // to tell this reload's READY=1 from an older one.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                       static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::Stopping() { Send("STOPPING=1"); }

void SystemdNotifier::Watchdog() { Send("WATCHDOG=1"); }

void SystemdNotifier::ExtendTimeout(DurationMs by) {
  Send("EXTEND_TIMEOUT_USEC=" + std::to_string(by * 1000));
}

std::optional<DurationMs> SystemdNotifier::WatchdogInterval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::max<DurationMs>(static_cast<DurationMs>(usec / 2000), 1);
}

}  // namespace handoff
