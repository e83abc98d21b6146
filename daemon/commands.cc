#include "daemon/commands.h"

#include <fstream>
#include <iostream>
#include <tuple>
#include <vector>

#include "config/config_loader.h"
#include "daemon/daemon.h"
#include "daemon/demo.h"
#include "daemon/host/build_info.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "handlers/json_writer.h"
#include "handlers/replay_report.h"

namespace handoff {
namespace {

// Loads a config, or prints every error (file:line:col: key: message) and returns nullopt.
std::optional<Config> LoadOrReport(const std::string& path, std::ostream& err) {
  auto config = LoadConfigFile(path, ProcessEnvironment());
  if (config) {
    for (const ConfigError& warning : config->warnings) err << "warning: " << warning.ToString() << '\n';
    return std::move(config).value();
  }
  for (const ConfigError& error : config.error()) err << error.ToString() << '\n';
  err << path << ": " << config.error().size() << " error"
      << (config.error().size() == 1 ? "" : "s") << '\n';
  return std::nullopt;
}

}  // namespace

std::string VersionString() {
  return std::string("handoffd ") + kVersion + " (revision " + kRevision + ")";
}

int CheckConfigCommand(const std::string& path, std::ostream& out, std::ostream& err) {
  auto config = LoadOrReport(path, err);
  if (!config) return kExitUsage;
  out << path << ": OK\n" << DescribeConfig(*config);
  return kExitOk;
}

int ReplayCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  auto config = LoadOrReport(args.config, err);
  if (!config) return kExitUsage;
  ReplayOptions options{
      .format = config->events,
      .engine = EngineOptionsOf(*config),
      .as_of = kNoTime,
      .now = kNoTime,
      .max_future = config->time.max_future,
      .instances = args.instances,
  };
  for (auto [flag, text, into] : {std::tuple{"--as-of", &args.as_of, &options.as_of},
                                   std::tuple{"--now", &args.now, &options.now}}) {
    if (text->empty()) continue;
    auto parsed = ParseRfc3339(*text);
    if (!parsed) {
      err << flag << ": " << QuoteText(*text)
          << " is not an RFC 3339 time of years 1970-9999 (e.g. 2026-11-27T18:00:00Z)\n";
      return kExitUsage;
    }
    *into = *parsed;
  }
  std::ifstream input(args.input, std::ios::binary);
  if (!input) {
    err << args.input << ": cannot read the input file\n";
    return kExitUsage;
  }

  ReplayReport replay(std::make_shared<const std::vector<SlaDefinition>>(config->slas),
                      std::move(options));
  // In chunks, not lines: memory stays bounded however long a line is (/dev/zero has none).
  std::vector<char> chunk(1 << 16);
  while (input.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || input.gcount() > 0) {
    replay.AddBytes(std::string_view(chunk.data(), static_cast<std::size_t>(input.gcount())));
  }
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
  if (!config) return kExitUsage;
  LogInfo("starting", {{"version", VersionString()}, {"config", DescribeConfigOneLine(*config)}});
  SystemClock clock;
  Daemon daemon(std::make_shared<const Config>(std::move(config).value()), flags, clock);
  return daemon.Run();
}

int DemoCommand(std::uint32_t rate, const RuntimeFlags& flags) { return RunDemo(rate, flags); }

}  // namespace handoff
