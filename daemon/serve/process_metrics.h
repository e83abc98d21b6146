// The process_* self-metrics, named as Prometheus' client libraries name them
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc/self.
// Pure reads of the kernel's view of this process; any thread.
#pragma once

#include <optional>

namespace handoff {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;              // the soft RLIMIT_NOFILE
  double start_time_seconds = 0;   // since the Unix epoch
};

// nullopt when /proc is not mounted (the metrics are then left out of the scrape).
std::optional<ProcessStats> ReadProcessStats();

}  // namespace handoff
