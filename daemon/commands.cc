#include "daemon/commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include "config/config_loader.h"
#include "config/web_config.h"
#include "daemon/daemon.h"
#include "daemon/demo.h"
#include "daemon/host/build_info.h"
#include "daemon/host/engine_host.h"
#include "daemon/host/logger.h"
#include "daemon/serve/web_security.h"
#include "handlers/baseline_format.h"
#include "handlers/baseline_report.h"
#include "handlers/compare_report.h"
#include "handlers/json_writer.h"
#include "handlers/line_splitter.h"
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

SlaEngine::Slas SlasOf(const Config& config) {
  return std::make_shared<const std::vector<SlaDefinition>>(config.slas);
}

// A time flag (--as-of, --now): empty leaves *into as it is.
bool ParseTimeFlag(std::string_view flag, const std::string& text, TimeMs* into,
                   std::ostream& err) {
  if (text.empty()) return true;
  auto parsed = ParseRfc3339(text);
  if (!parsed) {
    err << flag << ": " << QuoteText(text)
        << " is not an RFC 3339 time of years 1970-9999 (e.g. 2026-11-27T18:00:00Z)\n";
    return false;
  }
  *into = *parsed;
  return true;
}

// Reads the input file, in chunks and so in bounded memory however long a line is, line
// by line into `add`; false, with a message, when it cannot.
bool FeedLines(const std::string& path, std::ostream& err, LineSplitter::Sink add) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    err << path << ": cannot read the input file\n";
    return false;
  }
  LineSplitter lines(std::move(add));
  std::vector<char> chunk(1 << 16);
  while (input.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || input.gcount() > 0) {
    lines.Add(std::string_view(chunk.data(), static_cast<std::size_t>(input.gcount())));
  }
  if (input.bad()) {
    err << path << ": read error\n";
    return false;
  }
  lines.Finish();
  return true;
}

// Prints the report, or writes it to `output` when one is given.
int WriteReport(const std::string& report, const std::string& output, std::ostream& out,
                std::ostream& err) {
  if (output.empty()) {
    out << report;
    return kExitOk;
  }
  std::ofstream file(output, std::ios::trunc);
  file << report;
  file.close();
  if (!file) {
    err << output << ": cannot write the report\n";
    return kExitRuntime;
  }
  return kExitOk;
}

// `replay --compare`: one pass over the input, each line to both configs' replays.
int CompareCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  if (args.instances) {
    err << "--instances: not with --compare, which lists the instances whose outcome differs\n";
    return kExitUsage;
  }
  auto base = LoadOrReport(args.config, err);
  auto candidate = LoadOrReport(args.compare, err);
  if (!base || !candidate) return kExitUsage;
  std::map<std::string, std::string> renames;
  for (const std::string& rename : args.renames) {
    auto equals = rename.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == rename.size()) {
      err << "--rename: \"" << rename << "\" is not OLD=NEW (base SLA = candidate SLA)\n";
      return kExitUsage;
    }
    renames[rename.substr(0, equals)] = rename.substr(equals + 1);
  }
  auto pairs = PairSlas(base->slas, candidate->slas, renames);
  if (!pairs) {
    err << pairs.error().message << '\n';
    return kExitUsage;
  }
  TimeMs as_of = kNoTime, now = kNoTime;
  if (!ParseTimeFlag("--as-of", args.as_of, &as_of, err) ||
      !ParseTimeFlag("--now", args.now, &now, err)) {
    return kExitUsage;
  }
  auto options = [as_of, now](const Config& config) {
    return ReplayOptions{.format = config.events,
                         .engine = EngineOptionsOf(config),
                         .as_of = as_of,
                         .now = now,
                         .max_future = config.time.max_future,
                         .instances = true};
  };
  CompareReport compare(SlasOf(*base), options(*base), SlasOf(*candidate), options(*candidate),
                        std::move(pairs).value());
  if (!FeedLines(args.input, err, [&](std::string_view line) { compare.AddLine(line); })) {
    return kExitUsage;
  }
  return WriteReport(compare.Finish(), args.output, out, err);
}

// A --web.config.file must load, and cannot stand beside the deprecated web: keys (the
// daemon could not tell which to trust). Then the TLS files either names must load as
// the server would load them: a certificate that does not match its key fails here, not
// at the first scrape. Errors go to `err`.
bool CheckWeb(const Config& config, const std::optional<std::string>& web_config_file,
              std::ostream& err) {
  if (web_config_file) {
    if (!config.web.tls_cert_file.empty() || !config.web.basic_auth_users.empty()) {
      err << config.path << ": web.tls_cert_file, web.tls_key_file and web.basic_auth_users "
          << "cannot be used with --web.config.file; move them into " << *web_config_file
          << '\n';
      return false;
    }
    auto web = LoadWebConfigFile(*web_config_file);
    if (!web) {
      for (const ConfigError& error : web.error()) err << error.ToString() << '\n';
      return false;
    }
  }
  auto security = WebSecurity::Create(web_config_file.value_or(""), WebSecurityOf(config.web));
  if (security) return true;
  err << web_config_file.value_or(config.path) << ": " << security.error().message << '\n';
  return false;
}

}  // namespace

std::string VersionString() {
  return std::string("handoffd ") + kVersion + " (revision " + kRevision + ")";
}

int CheckConfigCommand(const std::string& path, const std::optional<std::string>& web_config_file,
                       std::ostream& out, std::ostream& err) {
  auto config = LoadOrReport(path, err);
  if (!config || !CheckWeb(*config, web_config_file, err)) return kExitUsage;
  out << path << ": OK\n";
  if (web_config_file) out << *web_config_file << ": OK\n";
  out << DescribeConfig(*config);
  return kExitOk;
}

int ReplayCommand(const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  if (!args.compare.empty()) return CompareCommand(args, out, err);
  auto config = LoadOrReport(args.config, err);
  if (!config) return kExitUsage;
  ReplayOptions options{.format = config->events,
                        .engine = EngineOptionsOf(*config),
                        .as_of = kNoTime,
                        .now = kNoTime,
                        .max_future = config->time.max_future,
                        .instances = args.instances};
  if (!ParseTimeFlag("--as-of", args.as_of, &options.as_of, err) ||
      !ParseTimeFlag("--now", args.now, &options.now, err)) {
    return kExitUsage;
  }
  ReplayReport replay(SlasOf(*config), std::move(options));
  if (!FeedLines(args.input, err, [&](std::string_view line) { replay.AddLine(line); })) {
    return kExitUsage;
  }
  return WriteReport(replay.Finish(), args.output, out, err);
}

int BaselineCommand(const BaselineArgs& args, std::ostream& out, std::ostream& err) {
  if (args.format != "table" && args.format != "json") {
    err << "--format: \"" << args.format << "\" is not one of table, json\n";
    return kExitUsage;
  }
  auto config = LoadOrReport(args.config, err);
  if (!config) return kExitUsage;
  BaselineOptions options{.format = config->events,
                          .engine = EngineOptionsOf(*config),
                          .as_of = kNoTime,
                          .by = std::nullopt};
  if (!ParseTimeFlag("--as-of", args.as_of, &options.as_of, err)) return kExitUsage;
  if (!args.by.empty()) {
    const auto& attributes = config->events.attributes;
    auto it = std::find_if(attributes.begin(), attributes.end(),
                           [&](const NamedPointer& a) { return a.name == args.by; });
    if (it == attributes.end()) {
      err << "--by: \"" << args.by << "\" is not an attribute of " << args.config
          << " (events.attributes:";
      for (const NamedPointer& a : attributes) err << ' ' << a.name;
      err << ")\n";
      return kExitUsage;
    }
    options.by = static_cast<std::size_t>(it - attributes.begin());
  }
  SlaEngine::Slas slas = SlasOf(*config);
  BaselineReport baseline(slas, std::move(options));
  if (!FeedLines(args.input, err, [&](std::string_view line) { baseline.AddLine(line); })) {
    return kExitUsage;
  }
  Baseline result = baseline.Finish();
  return WriteReport(args.format == "json" ? BaselineJson(result, *slas, args.by)
                                           : BaselineTable(result, *slas, args.by),
                     args.output, out, err);
}

int RunCommand(const std::string& config_path, const RuntimeFlags& flags) {
  auto config = LoadOrReport(config_path, std::cerr);
  if (!config || !CheckWeb(*config, flags.web_config_file, std::cerr)) {
    return kExitUsage;
  }
  LogInfo("starting", {{"version", VersionString()}, {"config", DescribeConfigOneLine(*config)}});
  SystemClock clock;
  Daemon daemon(std::make_shared<const Config>(std::move(config).value()), flags, clock);
  return daemon.Run();
}

int DemoCommand(std::uint32_t rate, const RuntimeFlags& flags) {
  if (!CheckWeb(Config{}, flags.web_config_file, std::cerr)) return kExitUsage;
  return RunDemo(rate, flags);
}

}  // namespace handoff
