// Loads and validates the daemon's YAML config (DESIGN.md §3) into a Config: every error
// is collected with file, line, column and key path; HANDOFF_<PATH> environment variables
// override scalar keys; `*_file` secrets in kafka.properties are read in. Pure functions
// apart from reading the files named; no exception escapes them. Any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "handlers/result.h"

namespace handoff {

// One problem found in a config. `line` and `column` are 1-based; an error about an
// environment variable has file "env", line 0 and column 0 and names the variable in
// its message; an error about the file as a whole (unreadable) has line 0 too.
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key;  // the key path: "slas[1].stop.where.to", "time.lateness"; may be empty
  std::string message;

  // "orders.yaml:12:5: slas[0].target: bad duration \"2x\" (use e.g. 90s, 15m, 2h, 1h30m,
  // 3d)"; without ":line:col" when line is 0 and without "key: " when key is empty.
  std::string ToString() const;
};
using ConfigErrors = std::vector<ConfigError>;

// Environment lookup, injectable for tests: returns nullopt if unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment (getenv).
EnvLookup ProcessEnvironment();

// Reads and loads `path`; errors carry `path` as their file name.
Result<Config, ConfigErrors> LoadConfigFile(const std::string& path, const EnvLookup& env);

// Loads YAML text; `name` is the file name used in errors and in Config::path.
// Precedence: environment over file over default. Errors come back sorted by position,
// environment errors last.
Result<Config, ConfigErrors> LoadConfigString(std::string_view yaml, const std::string& name,
                                              const EnvLookup& env);

// A multi-line summary for `check-config` and the start-up log: SLAs (name, from -> to,
// owner, target, calendar), calendars, topics, departments. Never shows secret values.
std::string DescribeConfig(const Config& config);

// The same in one logfmt-friendly line:
// "slas=3 calendars=1 topics=orders,handoffs departments=sales,operations,fulfillment",
// then " shadow=<names>" when some SLAs are shadow.
std::string DescribeConfigOneLine(const Config& config);

}  // namespace handoff
