// The subcommands of handoffd (`handoffd --help`, man handoffd). Each returns the process exit code; main
// only parses flags and calls one of them, so every command is testable in-process.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

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
  std::string now;     // RFC 3339, or empty: no future_time check
  std::string output;  // empty: stdout
  bool instances = false;
  // `replay --compare CANDIDATE.yaml`: the same input through both configs, reported as
  // the change (docs/reference/baseline-and-compare.md). `renames` pairs a base SLA with
  // a candidate SLA of another name: "OLD=NEW".
  std::string compare;
  std::vector<std::string> renames;
};
int ReplayCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err);

// `handoffd baseline`: what the history says each SLA can promise.
struct BaselineArgs {
  std::string config;
  std::string input;
  std::string as_of;     // RFC 3339, or empty
  std::string by;        // an attribute of events.attributes, or empty
  std::string format = "table";  // table | json
  std::string output;    // empty: stdout
};
int BaselineCommand(const BaselineArgs& args, std::ostream& out, std::ostream& err);

int RunCommand(const std::string& config_path, const RuntimeFlags& flags);
int DemoCommand(std::uint32_t rate, const RuntimeFlags& flags);

}  // namespace handoff
