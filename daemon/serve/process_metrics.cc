#include "daemon/serve/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace handoff {
namespace {

// Boot time in seconds since the epoch: /proc/stat's btime line.
std::optional<double> BootTime() {
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

std::optional<ProcessStats> ReadOrThrow() {
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so
  // fields are counted from the last ')'. After it come fields 3.. of proc(5).
  std::ifstream file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
  for (int index = 3; fields >> field && index <= 24; ++index) {
    switch (index) {
      case 14: utime = std::stod(field); break;
      case 15: stime = std::stod(field); break;
      case 22: starttime = std::stod(field); break;
      case 23: vsize = std::stod(field); break;
      case 24: rss = std::stod(field); break;
      default: break;
    }
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto boot = BootTime();
  if (ticks <= 0 || !boot) return std::nullopt;

  ProcessStats stats;
  stats.cpu_seconds = (utime + stime) / ticks;
  stats.virtual_memory_bytes = vsize;
  stats.resident_memory_bytes = rss * static_cast<double>(sysconf(_SC_PAGESIZE));
  stats.start_time_seconds = *boot + starttime / ticks;
  stats.open_fds = CountOpenFds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats.max_fds =
        limit.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : static_cast<double>(limit.rlim_cur);
  }
  return stats;
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  try {
    return ReadOrThrow();
  } catch (const std::exception&) {  // a /proc format we do not know: leave them out
    return std::nullopt;
  }
}

}  // namespace handoff
