// handoffd's entry point: parses the command line (`handoffd --help`) and calls one command.
// Everything else lives in the daemon library, where it is tested.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "daemon/commands.h"
#include "daemon/completion.h"
#include "daemon/host/logger.h"

namespace {

constexpr const char* kDescription =
    "handoffd keeps an SLA timer for every handoff of every order between departments,\n"
    "decides met or breached when each deadline passes, and exports the result to\n"
    "Prometheus. See man handoffd, and docs/reference/ for the config, the metrics and\n"
    "the HTTP API.";

constexpr const char* kFooter =
    "Examples:\n"
    "  handoffd demo                                  try it: in-process Kafka + orders\n"
    "  handoffd check-config /etc/handoffd/handoffd.yaml\n"
    "  handoffd run --config /etc/handoffd/handoffd.yaml\n"
    "  handoffd replay --config orders.yaml --input events.jsonl --instances\n"
    "  handoffd baseline --config orders.yaml --input events.jsonl --by tier\n"
    "  handoffd replay --config orders.yaml --input events.jsonl --compare candidate.yaml\n"
    "  source <(handoffd completion bash)             tab completion for this shell\n"
    "Exit codes: 0 clean stop, 1 config or usage error, 2 runtime failure.\n";

struct LogFlags {
  std::string level = "info";
  std::string format = "logfmt";
};

// --web.* and --log.* apply to `run` and `demo` (Prometheus exporter habits).
void AddRuntimeFlags(CLI::App& app, handoff::RuntimeFlags& flags, LogFlags& log) {
  app.add_option("--web.listen-address", flags.listen_address,
                 "Address for /metrics and the API (default :9464; port 0 picks a free port)");
  app.add_option("--web.config.file", flags.web_config_file,
                 "Web config file (exporter-toolkit format): TLS, client certificates, basic "
                 "auth; re-read when it changes")
      ->type_name("FILE");
  app.add_flag("--web.enable-lifecycle", flags.enable_lifecycle,
               "Enable POST /-/reload");
  app.add_option("--log.level", log.level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log.format", log.format, "logfmt or json")
      ->check(CLI::IsMember({"logfmt", "json"}));
}

// The command line as `handoffd completion` needs it, read from the CLI definition itself:
// options typed FILE complete paths, and options checked by IsMember their choices (which
// CLI11 shows as "TYPE:{a,b,c}").
std::vector<handoff::CompletionOption> CompletionOptionsOf(const CLI::App& app) {
  std::vector<handoff::CompletionOption> options;
  for (const CLI::Option* option : app.get_options()) {
    std::string type = option->get_type_name();
    handoff::CompletionOption base{.name = "",
                                   .takes_value = option->get_items_expected_max() > 0,
                                   .file = type == "FILE",
                                   .values = {}};
    if (auto open = type.find(":{"); open != std::string::npos && type.back() == '}') {
      std::string choices = type.substr(open + 2, type.size() - open - 3);
      for (std::size_t at = 0; at <= choices.size();) {
        std::size_t comma = std::min(choices.find(',', at), choices.size());
        base.values.push_back(choices.substr(at, comma - at));
        at = comma + 1;
      }
    }
    if (option->get_positional()) options.push_back(base);
    for (const std::string& name : option->get_lnames()) {
      handoff::CompletionOption named = base;
      named.name = "--" + name;
      options.push_back(std::move(named));
    }
  }
  return options;
}

std::vector<handoff::CompletionCommand> CompletionCommandsOf(CLI::App& app) {
  std::vector<handoff::CompletionCommand> commands{{"", CompletionOptionsOf(app)}};
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    commands.push_back({sub->get_name(), CompletionOptionsOf(*sub)});
  }
  return commands;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace handoff;
  CLI::App app(kDescription, "handoffd");
  app.footer(kFooter);
  app.set_version_flag("--version", VersionString());
  app.require_subcommand(0, 1);

  RuntimeFlags runtime;
  LogFlags log;
  std::string config_path;

  auto* run = app.add_subcommand("run", "Run the daemon (the default when only --config is given)");
  run->add_option("--config", config_path, "Config file (YAML)")->required()->type_name("FILE");
  AddRuntimeFlags(*run, runtime, log);

  // `handoffd --config FILE` is `handoffd run --config FILE`.
  app.add_option("--config", config_path, "Config file; runs the daemon")->type_name("FILE");

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a config file and print a summary");
  check->add_option("file", check_path, "Config file (YAML)")->required()->type_name("FILE");
  check->add_option("--web.config.file", runtime.web_config_file, "Also validate this web config file")
      ->type_name("FILE");

  ReplayArgs replay;
  auto* replay_cmd = app.add_subcommand(
      "replay", "Replay an events file (JSON lines) through the rules and print a JSON report");
  replay_cmd->add_option("--config", replay.config, "Config file (YAML)")->required()->type_name("FILE");
  replay_cmd->add_option("--input", replay.input, "Events, one JSON object per line")
      ->required()
      ->type_name("FILE");
  replay_cmd->add_option("--as-of", replay.as_of,
                         "RFC 3339 time to stop at (default: the last event's time)");
  replay_cmd->add_option("--now", replay.now,
                         "RFC 3339 wall clock to check event times against: events more than "
                         "time.max_future after it are rejected (default: no check)");
  replay_cmd->add_flag("--instances", replay.instances, "List every SLA instance");
  replay_cmd->add_option("--output", replay.output, "Write the report here instead of stdout")
      ->type_name("FILE");
  replay_cmd->add_option("--compare", replay.compare,
                         "Candidate config: report what it would change against --config")
      ->type_name("FILE");
  replay_cmd->add_option("--rename", replay.renames,
                         "With --compare: OLD=NEW pairs a base SLA with a renamed candidate SLA");

  BaselineArgs baseline;
  auto* baseline_cmd = app.add_subcommand(
      "baseline", "Per SLA, what the history says you can promise: percentiles and targets");
  baseline_cmd->add_option("--config", baseline.config, "Config file (YAML)")
      ->required()
      ->type_name("FILE");
  baseline_cmd->add_option("--input", baseline.input, "Events, one JSON object per line")
      ->required()
      ->type_name("FILE");
  baseline_cmd->add_option("--by", baseline.by,
                           "Group by this attribute of the start event (events.attributes)");
  baseline_cmd->add_option("--as-of", baseline.as_of,
                           "RFC 3339 time to stop at (default: the last event's time)");
  baseline_cmd->add_option("--format", baseline.format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  baseline_cmd->add_option("--output", baseline.output, "Write the report here instead of stdout")
      ->type_name("FILE");

  std::uint32_t rate = 50;
  auto* demo = app.add_subcommand(
      "demo", "In-process Kafka, synthetic orders and the daemon: breaches within a minute");
  demo->add_option("--rate", rate, "Orders per second")->check(CLI::Range(1u, 100000u));
  AddRuntimeFlags(*demo, runtime, log);

  auto* version = app.add_subcommand("version", "Print the version");

  std::string shell;
  auto* completion = app.add_subcommand(
      "completion", "Print a shell completion script (bash: source <(handoffd completion bash))");
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "handoffd: " << e.what() << "\n\n" << app.help();
    return kExitUsage;
  }

  Logger::Get().Configure(*ParseLogLevel(log.level), *ParseLogFormat(log.format), nullptr);
  if (*version) {
    std::cout << VersionString() << '\n';
    return kExitOk;
  }
  if (*completion) {
    std::cout << CompletionScript(shell, CompletionCommandsOf(app));
    return kExitOk;
  }
  if (*check) return CheckConfigCommand(check_path, runtime.web_config_file, std::cout, std::cerr);
  if (*replay_cmd) return ReplayCommand(replay, std::cout, std::cerr);
  if (*baseline_cmd) return BaselineCommand(baseline, std::cout, std::cerr);
  if (*demo) return DemoCommand(rate, runtime);
  if (*run || !config_path.empty()) return RunCommand(config_path, runtime);
  std::cerr << app.help();
  return kExitUsage;
}
