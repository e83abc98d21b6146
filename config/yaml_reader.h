// The schema walker the config loader is built from (internal to config/): a MapReader
// reads one YAML map, remembers which keys the schema asked for so it can reject the
// rest (suggesting the nearest known key), applies HANDOFF_<PATH> environment overrides
// to scalars, and reports every problem with its position and key path to one
// LoadContext. Single-threaded; one LoadContext per load. Never throws on bad input.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/config_error.h"
#include "handlers/time.h"

namespace handoff {

// Where a value came from: a 1-based position in the file, or an environment variable.
struct Origin {
  int line = 1;
  int column = 1;
  std::string env_var;  // non-empty when the value came from the environment
};

// A scalar value and where it came from.
struct Scalar {
  std::string text;
  Origin origin;
};

// Shared by every reader of one load: the file name, the environment and the errors.
class LoadContext {
 public:
  LoadContext(std::string file, const EnvLookup& env) : file_(std::move(file)), env_(env) {}

  void Error(const Origin& at, std::string key, std::string message);
  void ErrorAt(const YAML::Node& node, std::string key, std::string message) {
    Error(OriginOf(node), std::move(key), std::move(message));
  }
  // Something valid but probably not meant; the config still loads.
  void Warning(const Origin& at, std::string key, std::string message);

  // The environment variable that overrides `path`: "time.lateness" ->
  // "HANDOFF_TIME_LATENESS" (upper-cased; anything but letters and digits becomes '_').
  static std::string EnvVarFor(std::string_view path);
  // The environment's value for `path`, if set.
  std::optional<Scalar> FromEnv(std::string_view path) const;

  // A node's position; (1, 1) when it has none.
  static Origin OriginOf(const YAML::Node& node);

  const std::string& file() const { return file_; }
  ConfigErrors& errors() { return errors_; }
  ConfigErrors& warnings() { return warnings_; }

 private:
  // A ConfigError at `at`, with key and message escaped.
  ConfigError Make(const Origin& at, std::string key, std::string message) const;

  std::string file_;
  const EnvLookup& env_;
  ConfigErrors errors_;
  ConfigErrors warnings_;
};

// "a map", "a list", "a string", "null": for "expected X, got Y" messages.
std::string KindOf(const YAML::Node& node);

// Reads one YAML map. Keys are plain strings; a repeated key is an error.
class MapReader {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  // `node` may be undefined or null: an absent section, where every key is absent (its
  // errors point at `fallback`). Anything else but a map is reported once, read as empty.
  // `env_overrides`: scalars may come from HANDOFF_<PATH> (false inside lists).
  MapReader(LoadContext& ctx, const YAML::Node& node, std::string path, Origin fallback,
            bool env_overrides, bool quiet = false);

  // The value of `key`, or nullopt when absent or null. Marks `key` as known.
  std::optional<Entry> Get(std::string_view key);
  // A scalar value: the environment's override if set, else the file's; nullopt (and an
  // error for a non-scalar) otherwise. Marks `key` as known.
  std::optional<Scalar> GetScalar(std::string_view key);
  // The same for an entry of a map whose keys are data (kafka.properties, ...).
  std::optional<Scalar> ScalarOf(const Entry& entry);
  // Reports `key` as required when it is absent.
  void Require(std::string_view key, bool present);
  // A reader for the map under `key` (absent: an empty one). Marks `key` as known.
  MapReader Child(std::string_view key);
  // Every entry, in file order, for maps whose keys are data. Marks them all known.
  const std::vector<Entry>& Entries();
  // Whether the map has `key`, without marking it known.
  bool Contains(std::string_view key) const { return index_.contains(std::string(key)); }
  // Reports keys the schema never asked for, suggesting the nearest known one.
  void RejectUnknownKeys();

  // "kafka" + "brokers" -> "kafka.brokers".
  std::string PathOf(std::string_view key) const;
  const std::string& path() const { return path_; }
  const Origin& origin() const { return origin_; }
  // True when this map, or one it lies in, was of the wrong kind: what is missing from
  // it is then not reported again.
  bool quiet() const { return quiet_; }
  bool env_overrides() const { return env_overrides_; }
  LoadContext& ctx() { return ctx_; }

 private:
  LoadContext& ctx_;
  std::string path_;
  Origin origin_;
  bool env_overrides_;
  bool quiet_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> its entry
  std::vector<std::string> known_;
  bool all_known_ = false;
};

// --- typed reads built on MapReader; each reports its own errors and leaves `*out`
// unchanged (the default) when the key is absent or bad.

enum class Bound { kNonNegative, kPositive };

void ReadString(MapReader& map, std::string_view key, std::string* out, bool required = false);
void ReadNonEmptyString(MapReader& map, std::string_view key, std::string* out,
                        bool required = false);
void ReadDuration(MapReader& map, std::string_view key, DurationMs* out, Bound bound,
                  bool required = false);
// `true` or `false` (YAML 1.2 core schema: no yes/no/on/off).
void ReadBool(MapReader& map, std::string_view key, bool* out);
void ReadPointer(MapReader& map, std::string_view key, std::string* out);
// Checks a JSON pointer value, reporting a bad one.
bool CheckPointer(LoadContext& ctx, const Scalar& value, const std::string& path);

// One of `choices` (name, value); the error lists them.
template <typename E>
void ReadChoice(MapReader& map, std::string_view key,
                const std::vector<std::pair<std::string_view, E>>& choices, E* out);

// Checks and parses a value; each reports at `value.origin` under `path`.
std::optional<DurationMs> ParseDurationValue(LoadContext& ctx, const Scalar& value,
                                             const std::string& path, Bound bound);
bool IsValidJsonPointer(std::string_view pointer);

// A string or a list of strings (a single scalar counts as a one-item list when
// `allow_single`). Items that are not scalars are errors at `path[i]`. Returns nullopt
// when `node` is neither.
std::optional<std::vector<Scalar>> ReadStringList(LoadContext& ctx, const YAML::Node& node,
                                                  const std::string& path, bool allow_single);

// The whole file, or nullopt with a reason in *error.
std::optional<std::string> ReadFileText(const std::string& path, std::string* error);

// Parses `yaml` and hands its root to `read`. Returns every error of `ctx`: a YAML syntax
// error with its position (then `read` is not called), and anything `read` reported,
// sorted by position with the environment's last. No exception escapes.
ConfigErrors ReadYamlDocument(LoadContext& ctx, std::string_view yaml,
                              const std::function<void(const YAML::Node&)>& read);

// File errors (or warnings) in file order, then the environment's (line 0).
void SortByPosition(ConfigErrors& errors);

// The closest of `candidates` to `word` if it is a likely typo, else empty.
std::string NearestWord(std::string_view word, const std::vector<std::string>& candidates);

template <typename E>
void ReadChoice(MapReader& map, std::string_view key,
                const std::vector<std::pair<std::string_view, E>>& choices, E* out) {
  auto value = map.GetScalar(key);
  if (!value) return;
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (value->text == name) {
      *out = choice;
      return;
    }
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  map.ctx().Error(value->origin, map.PathOf(key),
                  "unknown value \"" + value->text + "\" (one of: " + names + ")");
}

}  // namespace handoff
