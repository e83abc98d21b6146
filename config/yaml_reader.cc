#include "config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "handlers/json_writer.h"

namespace handoff {

ConfigError LoadContext::Make(const Origin& at, std::string key, std::string message) const {
  // Keys and quoted values come from the file or the environment: a newline or an escape
  // sequence in them must not reach a terminal or a log line as it is.
  key = EscapeControlBytes(key);
  message = EscapeControlBytes(message);
  if (!at.env_var.empty()) {
    // The file position would mislead: the value came from the environment.
    return {"env", 0, 0, std::move(key), at.env_var + ": " + message};
  }
  return {file_, at.line, at.column, std::move(key), std::move(message)};
}

void LoadContext::Error(const Origin& at, std::string key, std::string message) {
  errors_.push_back(Make(at, std::move(key), std::move(message)));
}

void LoadContext::Warning(const Origin& at, std::string key, std::string message) {
  warnings_.push_back(Make(at, std::move(key), std::move(message)));
}

std::string LoadContext::EnvVarFor(std::string_view path) {
  std::string name = "HANDOFF_";
  for (char c : path) {
    name += std::isalnum(static_cast<unsigned char>(c))
                ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : '_';
  }
  return name;
}

std::optional<Scalar> LoadContext::FromEnv(std::string_view path) const {
  if (!env_) return std::nullopt;
  std::string name = EnvVarFor(path);
  std::optional<std::string> value = env_(name);
  if (!value) return std::nullopt;
  return Scalar{*value, Origin{0, 0, name}};
}

Origin LoadContext::OriginOf(const YAML::Node& node) {
  if (!node.IsDefined()) return Origin{};
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return Origin{};
  return Origin{mark.line + 1, mark.column + 1, ""};
}

std::string KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "nothing";
  }
}

MapReader::MapReader(LoadContext& ctx, const YAML::Node& node, std::string path, Origin fallback,
                     bool env_overrides, bool quiet)
    : ctx_(ctx),
      path_(std::move(path)),
      origin_(node.IsDefined() && !node.IsNull() ? LoadContext::OriginOf(node) : fallback),
      env_overrides_(env_overrides),
      quiet_(quiet) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    ctx_.Error(origin_, path_, "expected a map, got " + KindOf(node));
    quiet_ = true;
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair, and a reference into it dangles.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      ctx_.ErrorAt(key, path_, "a key must be a string, got " + KindOf(key));
      continue;
    }
    auto [first, added] = index_.try_emplace(key.Scalar(), entries_.size());
    if (!added) {
      ctx_.ErrorAt(key, PathOf(key.Scalar()),
                   "duplicate key (first at line " +
                       std::to_string(LoadContext::OriginOf(entries_[first->second].key_node).line) +
                       ")");
      continue;
    }
    entries_.push_back({key.Scalar(), key, value});
  }
}

std::optional<MapReader::Entry> MapReader::Get(std::string_view key) {
  known_.emplace_back(key);
  auto found = index_.find(std::string(key));
  if (found == index_.end() || entries_[found->second].value.IsNull()) return std::nullopt;
  return entries_[found->second];
}

std::optional<Scalar> MapReader::ScalarOf(const Entry& entry) {
  std::string path = PathOf(entry.key);
  if (env_overrides_) {
    if (auto value = ctx_.FromEnv(path)) return value;
  }
  if (entry.value.IsNull()) return std::nullopt;
  if (!entry.value.IsScalar()) {
    ctx_.ErrorAt(entry.value, path, "expected a string, got " + KindOf(entry.value));
    return std::nullopt;
  }
  return Scalar{entry.value.Scalar(), LoadContext::OriginOf(entry.value)};
}

std::optional<Scalar> MapReader::GetScalar(std::string_view key) {
  if (auto entry = Get(key)) return ScalarOf(*entry);
  if (env_overrides_) return ctx_.FromEnv(PathOf(key));
  return std::nullopt;
}

void MapReader::Require(std::string_view key, bool present) {
  if (!present && !quiet_) {
    ctx_.Error(origin_, PathOf(key), "required key `" + std::string(key) + "` is missing");
  }
}

MapReader MapReader::Child(std::string_view key) {
  auto entry = Get(key);
  return MapReader(ctx_, entry ? entry->value : YAML::Node(), PathOf(key),
                   entry ? LoadContext::OriginOf(entry->key_node) : origin_, env_overrides_,
                   quiet_);
}

const std::vector<MapReader::Entry>& MapReader::Entries() {
  all_known_ = true;
  return entries_;
}

void MapReader::RejectUnknownKeys() {
  if (all_known_) return;
  for (const Entry& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::string message = "unknown key `" + e.key + "`";
    std::string nearest = NearestWord(e.key, known_);
    if (!nearest.empty()) message += "; did you mean `" + nearest + "`?";
    ctx_.ErrorAt(e.key_node, PathOf(e.key), message);
  }
}

std::string MapReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, so the
// common typo "taregt" is one edit from "target".
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string NearestWord(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return "";  // no typo is that long; keeps the work bounded
  std::string best;
  std::size_t best_distance = word.size() <= 4 ? 1 : 2;  // a likely typo, not a guess
  for (const std::string& c : candidates) {
    // Each edit changes the length by at most one: most words need no table at all.
    std::size_t length_gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (length_gap > best_distance) continue;
    std::size_t distance = EditDistance(word, c);
    if (distance <= best_distance && (best.empty() || distance < best_distance)) {
      best = c;
      best_distance = distance;
    }
  }
  return best;
}

void ReadString(MapReader& map, std::string_view key, std::string* out, bool required) {
  auto value = map.GetScalar(key);
  map.Require(key, value.has_value() || !required);
  if (value) *out = value->text;
}

void ReadNonEmptyString(MapReader& map, std::string_view key, std::string* out, bool required) {
  auto value = map.GetScalar(key);
  map.Require(key, value.has_value() || !required);
  if (!value) return;
  if (value->text.empty()) {
    map.ctx().Error(value->origin, map.PathOf(key), "must not be empty");
    return;
  }
  *out = value->text;
}

void ReadBool(MapReader& map, std::string_view key, bool* out) {
  auto value = map.GetScalar(key);
  if (!value) return;
  if (value->text == "true" || value->text == "false") {
    *out = value->text == "true";
    return;
  }
  map.ctx().Error(value->origin, map.PathOf(key),
                  "expected true or false, got \"" + value->text + "\"");
}

std::optional<DurationMs> ParseDurationValue(LoadContext& ctx, const Scalar& value,
                                             const std::string& path, Bound bound) {
  std::optional<DurationMs> d = ParseDuration(value.text);
  if (!d) {
    ctx.Error(value.origin, path,
              "bad duration \"" + value.text + "\" (use e.g. 90s, 15m, 2h, 1h30m, 3d)");
    return std::nullopt;
  }
  if (bound == Bound::kPositive && *d == 0) {
    ctx.Error(value.origin, path, "must be greater than 0, got \"" + value.text + "\"");
    return std::nullopt;
  }
  if (*d > kMaxConfigDuration) {
    ctx.Error(value.origin, path,
              "must be at most 100 years (" + FormatDuration(kMaxConfigDuration) + "), got \"" +
                  value.text + "\"");
    return std::nullopt;
  }
  return d;
}

void ReadDuration(MapReader& map, std::string_view key, DurationMs* out, Bound bound,
                  bool required) {
  auto value = map.GetScalar(key);
  map.Require(key, value.has_value() || !required);
  if (!value) return;
  if (auto d = ParseDurationValue(map.ctx(), *value, map.PathOf(key), bound)) *out = *d;
}

bool IsValidJsonPointer(std::string_view pointer) {
  if (pointer.empty()) return true;  // the whole document
  if (pointer.front() != '/') return false;
  for (std::size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] != '~') continue;
    if (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
      return false;
    }
  }
  return true;
}

bool CheckPointer(LoadContext& ctx, const Scalar& value, const std::string& path) {
  if (IsValidJsonPointer(value.text)) return true;
  ctx.Error(value.origin, path,
            "invalid JSON pointer \"" + value.text +
                "\" (RFC 6901: empty or starting with '/', '~' only as ~0 or ~1)");
  return false;
}

void ReadPointer(MapReader& map, std::string_view key, std::string* out) {
  auto value = map.GetScalar(key);
  if (value && CheckPointer(map.ctx(), *value, map.PathOf(key))) *out = value->text;
}

std::optional<std::vector<Scalar>> ReadStringList(LoadContext& ctx, const YAML::Node& node,
                                                  const std::string& path, bool allow_single) {
  if (allow_single && node.IsScalar()) {
    return std::vector<Scalar>{{node.Scalar(), LoadContext::OriginOf(node)}};
  }
  if (!node.IsSequence()) {
    ctx.ErrorAt(node, path,
                std::string(allow_single ? "expected a string or a list of strings"
                                         : "expected a list of strings") +
                    ", got " + KindOf(node));
    return std::nullopt;
  }
  std::vector<Scalar> items;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    if (!item.IsScalar()) {
      ctx.ErrorAt(item, path + "[" + std::to_string(i) + "]",
                  "expected a string, got " + KindOf(item));
      continue;
    }
    items.push_back({item.Scalar(), LoadContext::OriginOf(item)});
  }
  return items;
}

// The whole file, or nullopt with a reason in *error.
std::optional<std::string> ReadFileText(const std::string& path, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "read failed";
    return std::nullopt;
  }
  return content;
}

ConfigErrors ReadYamlDocument(LoadContext& ctx, std::string_view yaml,
                              const std::function<void(const YAML::Node&)>& read) {
  try {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      ctx.Error(Origin{e.mark.line + 1, e.mark.column + 1, ""}, "", "YAML syntax error: " + e.msg);
    }
    if (ctx.errors().empty()) read(root);
  } catch (const std::exception& e) {
    // Not expected: every known failure is reported as a value. Still, no exception
    // may leave the loader (it runs on reload, on the engine's loop).
    ctx.Error(Origin{0, 0, ""}, "", std::string("internal error while loading: ") + e.what());
  } catch (...) {
    ctx.Error(Origin{0, 0, ""}, "", "internal error while loading");
  }
  ConfigErrors errors = std::move(ctx.errors());
  SortByPosition(errors);
  return errors;
}

void SortByPosition(ConfigErrors& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    auto rank = [](const ConfigError& e) { return std::tuple(e.line == 0, e.line, e.column); };
    return rank(a) < rank(b);
  });
}

}  // namespace handoff
