// What config loading reports and reads: ConfigError (file, line, column, key path and
// message) and the injectable environment lookup. Apart from the loader so that the
// readers (yaml_reader.h) need not include it. Any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

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

}  // namespace handoff
