// Loads and validates the daemon's YAML config (docs/reference/config.md) into a Config: every error
// is collected with file, line, column and key path; HANDOFF_<PATH> environment variables
// override scalar keys; `*_file` secrets in kafka.properties are read in. Pure functions
// apart from reading the files named; no exception escapes them. Any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"
#include "handlers/result.h"

namespace handoff {

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
// "slas=3 calendars=1 topics=orders,handoffs departments=sales,operations,fulfillment".
std::string DescribeConfigOneLine(const Config& config);

}  // namespace handoff
