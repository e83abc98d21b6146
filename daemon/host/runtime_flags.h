// What every command shares with the wings: the process exit codes and the flags that
// `run` and `demo` take. Here, not in commands.h, so that a wing can name them without
// including the commands (which include the whole daemon).
#pragma once

#include <optional>
#include <string>

namespace handoff {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;    // bad config, bad flags, unreadable input
inline constexpr int kExitRuntime = 2;  // the process failed while running

// Flags shared by `run` and `demo`; unset ones fall back to env, config, default.
struct RuntimeFlags {
  std::optional<std::string> listen_address;
  std::optional<std::string> web_config_file;  // --web.config.file
  bool enable_lifecycle = false;
};

}  // namespace handoff
