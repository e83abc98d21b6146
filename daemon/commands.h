// The subcommands of handoffd (`handoffd --help`, man handoffd). Each returns the process exit code; main
// only parses flags and calls one of them, so every command is testable in-process.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "daemon/host/runtime_flags.h"

namespace handoff {

std::string VersionString();  // "handoffd 0.1.0 (revision abc123)"

// Validates the config and, when given, the web config file (--web.config.file).
int CheckConfigCommand(const std::string& path, const std::optional<std::string>& web_config_file,
                       std::ostream& out, std::ostream& err);

struct ReplayArgs {
  std::string config;
  std::string input;
  std::string as_of;   // RFC 3339, or empty
  std::string output;  // empty: stdout
  bool instances = false;
};
int ReplayCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err);

int RunCommand(const std::string& config_path, const RuntimeFlags& flags);
int DemoCommand(std::uint32_t rate, const RuntimeFlags& flags);

}  // namespace handoff
