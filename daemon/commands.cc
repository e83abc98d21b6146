#include "daemon/commands.h"

#include <fstream>
#include <functional>
#include <iostream>

#include "config/config_loader.h"
#include "config/web_config.h"
#include "daemon/daemon.h"
#include "daemon/demo.h"
#include "daemon/host/build_info.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "handlers/replay_report.h"

namespace handoff {
namespace {

// Loads a config, or prints every error (file:line:col: key: message) and returns nullopt.
std::optional<Config> LoadOrReport(const std::string& path, std::ostream& err) {
  auto config = LoadConfigFile(path, ProcessEnvironment());
  if (config) return std::move(config).value();
  for (const ConfigError& error : config.error()) err << error.ToString() << '\n';
  err << path << ": " << config.error().size() << " error"
      << (config.error().size() == 1 ? "" : "s") << '\n';
  return std::nullopt;
}

void LogDeprecation(const std::string& warning) { LogWarn("deprecated config key", {{"warning", warning}}); }

// The deprecated web: keys warn (or, next to a web config file, are refused), and the
// web config file must load. Errors go to `err`, warnings to `warn`.
bool CheckWeb(const Config& config, const std::optional<std::string>& web_config_file,
              std::ostream& err, const std::function<void(const std::string&)>& warn) {
  std::vector<std::string> deprecated = DeprecationWarnings(config);
  if (web_config_file && !deprecated.empty()) {
    err << config.path << ": web.tls_cert_file, web.tls_key_file and web.basic_auth_users "
        << "cannot be used with --web.config.file; move them into " << *web_config_file << '\n';
    return false;
  }
  for (const std::string& warning : deprecated) warn(warning);
  if (!web_config_file) return true;
  auto web = LoadWebConfigFile(*web_config_file);
  if (web) return true;
  for (const ConfigError& error : web.error()) err << error.ToString() << '\n';
  return false;
}

}  // namespace

std::string VersionString() {
  return std::string("handoffd ") + kVersion + " (revision " + kRevision + ")";
}

int CheckConfigCommand(const std::string& path, const std::optional<std::string>& web_config_file,
                       std::ostream& out, std::ostream& err) {
  auto config = LoadOrReport(path, err);
  auto warn = [&err](const std::string& warning) { err << "warning: " << warning << '\n'; };
  if (!config || !CheckWeb(*config, web_config_file, err, warn)) return kExitUsage;
  out << path << ": OK\n";
  if (web_config_file) out << *web_config_file << ": OK\n";
  out << DescribeConfig(*config);
  return kExitOk;
}

int ReplayCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  auto config = LoadOrReport(args.config, err);
  if (!config) return kExitUsage;
  ReplayOptions options{
      .format = config->events,
      .engine = EngineOptionsOf(*config),
      .as_of = kNoTime,
      .instances = args.instances,
  };
  if (!args.as_of.empty()) {
    auto as_of = ParseRfc3339(args.as_of);
    if (!as_of) {
      err << "--as-of: \"" << args.as_of
          << "\" is not an RFC 3339 time (e.g. 2026-11-27T18:00:00Z)\n";
      return kExitUsage;
    }
    options.as_of = *as_of;
  }
  std::ifstream input(args.input);
  if (!input) {
    err << args.input << ": cannot read the input file\n";
    return kExitUsage;
  }

  ReplayReport replay(std::make_shared<const std::vector<SlaDefinition>>(config->slas),
                      std::move(options));
  std::string line;
  while (std::getline(input, line)) replay.AddLine(line);
  if (input.bad()) {
    err << args.input << ": read error\n";
    return kExitUsage;
  }
  std::string report = replay.Finish();

  if (args.output.empty()) {
    out << report;
    return kExitOk;
  }
  std::ofstream file(args.output, std::ios::trunc);
  file << report;
  file.close();
  if (!file) {
    err << args.output << ": cannot write the report\n";
    return kExitRuntime;
  }
  return kExitOk;
}

int RunCommand(const std::string& config_path, const RuntimeFlags& flags) {
  auto config = LoadOrReport(config_path, std::cerr);
  if (!config || !CheckWeb(*config, flags.web_config_file, std::cerr, LogDeprecation)) {
    return kExitUsage;
  }
  LogInfo("starting", {{"version", VersionString()}, {"config", DescribeConfigOneLine(*config)}});
  SystemClock clock;
  Daemon daemon(std::make_shared<const Config>(std::move(config).value()), flags, clock);
  return daemon.Run();
}

int DemoCommand(std::uint32_t rate, const RuntimeFlags& flags) {
  if (flags.web_config_file && !CheckWeb(Config{}, flags.web_config_file, std::cerr, LogDeprecation)) {
    return kExitUsage;
  }
  return RunDemo(rate, flags);
}

}  // namespace handoff
