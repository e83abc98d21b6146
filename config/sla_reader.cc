// `slas:` (docs/reference/config.md): each SLA's names, departments, conditions, targets, warn
// thresholds and calendar, with attribute names resolved to indices and the calendar to
// its shared object.
#include <algorithm>
#include <charconv>
#include <type_traits>

#include "config/config_sections.h"

namespace handoff {
namespace {

bool IsSlaName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Prometheus label values are any non-empty UTF-8 here (empty means "no label").
bool IsLabelValue(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xe  ? 3
                         : (c >> 3) == 0x1e ? 4
                                            : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// "unknown calendar `x`: declare it under calendars (declared: a, b); did you mean `a`?"
template <typename Names>
std::string UnknownName(std::string_view what, const std::string& name, const Names& names,
                        std::string_view section) {
  std::vector<std::string> known;
  for (const auto& n : names) {
    if constexpr (std::is_same_v<std::decay_t<decltype(n)>, std::string>) {
      known.push_back(n);
    } else {
      known.push_back(n.first);
    }
  }
  std::string nearest = NearestWord(name, known);
  return "unknown " + std::string(what) + " `" + name + "`: declare it under " +
         std::string(section) +
         (known.empty() ? std::string(" (none declared)") : " (declared: " + Join(known) + ")") +
         (nearest.empty() ? "" : "; did you mean `" + nearest + "`?");
}

class SlaReader {
 public:
  SlaReader(LoadContext& ctx, const Declared& declared, Config* config)
      : ctx_(ctx), declared_(declared), config_(config) {}

  void Read(const YAML::Node& node, const std::string& path);

 private:
  void ReadName(MapReader& sla, SlaDefinition* def);
  void ReadDepartment(MapReader& sla, std::string_view key, std::string* out, bool required);
  std::optional<Condition> ReadCondition(MapReader& sla, std::string_view key, bool required);
  // `where:` and `when:`: attribute name -> a value or a list of values.
  std::vector<AttributeMatch> ReadMatches(MapReader& matches);
  void ReadTargets(MapReader& sla, SlaDefinition* def);
  void ReadWarnAt(MapReader& sla, SlaDefinition* def);
  void ReadCalendar(MapReader& sla, SlaDefinition* def);

  LoadContext& ctx_;
  const Declared& declared_;
  Config* config_;
  std::map<std::string, int> name_lines_;  // SLA name -> the line it was first given on
};

void SlaReader::Read(const YAML::Node& node, const std::string& path) {
  MapReader sla(ctx_, node, path, LoadContext::OriginOf(node), /*env_overrides=*/false);
  SlaDefinition def;
  ReadName(sla, &def);
  ReadString(sla, "description", &def.description);
  ReadDepartment(sla, "from", &def.from, true);
  ReadDepartment(sla, "to", &def.to, true);
  def.owner = def.to;
  ReadDepartment(sla, "owner", &def.owner, false);
  if (auto start = ReadCondition(sla, "start", true)) def.start = *start;
  if (auto stop = ReadCondition(sla, "stop", true)) def.stop = *stop;
  def.pause = ReadCondition(sla, "pause", false);
  def.resume = ReadCondition(sla, "resume", false);
  def.cancel = ReadCondition(sla, "cancel", false);
  // A pause without a resume would stop the clock for good; a resume alone never acts.
  if (def.pause.has_value() != def.resume.has_value()) {
    std::string given = def.pause ? "pause" : "resume";
    std::string missing = def.pause ? "resume" : "pause";
    ctx_.ErrorAt(sla.Get(given)->key_node, sla.PathOf(given),
                 "`" + given + "` needs `" + missing + "` in the same SLA");
  }
  ReadDuration(sla, "target", &def.target, Bound::kPositive, /*required=*/true);
  ReadTargets(sla, &def);
  ReadWarnAt(sla, &def);
  ReadCalendar(sla, &def);
  sla.RejectUnknownKeys();
  config_->slas.push_back(std::move(def));
}

void SlaReader::ReadName(MapReader& sla, SlaDefinition* def) {
  auto name = sla.GetScalar("name");
  sla.Require("name", name.has_value());
  if (!name) return;
  if (!IsSlaName(name->text)) {
    ctx_.Error(name->origin, sla.PathOf("name"),
               "bad SLA name \"" + name->text +
                   "\" (lower-case letters, digits and '_', starting with a letter)");
    return;
  }
  auto [first, inserted] = name_lines_.emplace(name->text, name->origin.line);
  if (!inserted) {
    ctx_.Error(name->origin, sla.PathOf("name"),
               "duplicate SLA name \"" + name->text + "\" (first at line " +
                   std::to_string(first->second) + ")");
  }
  def->name = name->text;
}

void SlaReader::ReadDepartment(MapReader& sla, std::string_view key, std::string* out,
                               bool required) {
  auto value = sla.GetScalar(key);
  sla.Require(key, value.has_value() || !required);
  if (!value) return;
  if (!IsLabelValue(value->text)) {
    ctx_.Error(value->origin, sla.PathOf(key),
               "a department must be a non-empty UTF-8 string (it is a metric label value)");
    return;
  }
  *out = value->text;
}

std::optional<Condition> SlaReader::ReadCondition(MapReader& sla, std::string_view key,
                                                  bool required) {
  bool present = sla.Get(key).has_value();
  sla.Require(key, present || !required);
  if (!present) return std::nullopt;
  MapReader reader = sla.Child(key);
  Condition condition;
  auto type = reader.Get("type");
  reader.Require("type", type.has_value());
  if (type) {
    std::string path = reader.PathOf("type");
    auto types = ReadStringList(ctx_, type->value, path, /*allow_single=*/true);
    if (types && types->empty()) ctx_.ErrorAt(type->value, path, "needs at least one event type");
    for (const Scalar& t : types.value_or(std::vector<Scalar>{})) {
      if (t.text.empty()) {
        ctx_.Error(t.origin, path, "an event type must not be empty");
        continue;
      }
      condition.types.push_back(t.text);
    }
  }
  MapReader where = reader.Child("where");
  condition.where = ReadMatches(where);
  reader.RejectUnknownKeys();
  return condition;
}

std::vector<AttributeMatch> SlaReader::ReadMatches(MapReader& matches) {
  std::vector<AttributeMatch> out;
  for (const MapReader::Entry& entry : matches.Entries()) {
    std::string path = matches.PathOf(entry.key);
    auto index = declared_.attributes.find(entry.key);
    if (index == declared_.attributes.end()) {
      ctx_.ErrorAt(entry.key_node, path,
                   UnknownName("attribute", entry.key, declared_.attributes, "events.attributes"));
      continue;
    }
    auto values = ReadStringList(ctx_, entry.value, path, /*allow_single=*/true);
    if (!values) continue;
    if (values->empty()) {
      ctx_.ErrorAt(entry.value, path, "needs at least one value");
      continue;
    }
    AttributeMatch match{index->second, {}};
    for (const Scalar& v : *values) match.values.push_back(v.text);
    out.push_back(std::move(match));
  }
  return out;
}

void SlaReader::ReadTargets(MapReader& sla, SlaDefinition* def) {
  auto targets = sla.Get("targets");
  if (!targets) return;
  std::string path = sla.PathOf("targets");
  if (!targets->value.IsSequence()) {
    ctx_.ErrorAt(targets->value, path, "expected a list, got " + KindOf(targets->value));
    return;
  }
  const YAML::Node& list = targets->value;
  for (std::size_t i = 0; i < list.size(); ++i) {
    MapReader item(ctx_, list[i], path + "[" + std::to_string(i) + "]",
                   LoadContext::OriginOf(list[i]), false);
    TargetOverride target;
    bool has_when = item.Get("when").has_value();
    item.Require("when", has_when);
    MapReader when = item.Child("when");
    target.when.where = ReadMatches(when);
    if (has_when && when.Entries().empty()) {
      ctx_.Error(when.origin(), when.path(), "needs at least one attribute to match");
    }
    ReadDuration(item, "target", &target.target, Bound::kPositive, /*required=*/true);
    item.RejectUnknownKeys();
    def->targets.push_back(std::move(target));
  }
}

void SlaReader::ReadWarnAt(MapReader& sla, SlaDefinition* def) {
  auto warn_at = sla.Get("warn_at");
  if (!warn_at) return;
  std::string path = sla.PathOf("warn_at");
  auto items = ReadStringList(ctx_, warn_at->value, path, /*allow_single=*/false);
  if (items && items->size() > kMaxWarnAt) {
    ctx_.Error((*items)[kMaxWarnAt].origin, path + "[" + std::to_string(kMaxWarnAt) + "]",
               std::to_string(items->size()) + " warn_at thresholds: at most " +
                   std::to_string(kMaxWarnAt) + " are allowed");
    return;
  }
  for (std::size_t i = 0; items && i < items->size(); ++i) {
    const Scalar& item = (*items)[i];
    std::string item_path = path + "[" + std::to_string(i) + "]";
    double fraction = 0;
    const char* end = item.text.data() + item.text.size();
    auto [stop, ec] = std::from_chars(item.text.data(), end, fraction);
    if (ec != std::errc{} || stop != end || !(fraction > 0 && fraction < 1)) {
      ctx_.Error(item.origin, item_path,
                 "bad warn_at \"" + item.text +
                     "\": a fraction of the target between 0 and 1 (exclusive), e.g. 0.8");
      continue;
    }
    if (std::find(def->warn_at.begin(), def->warn_at.end(), fraction) != def->warn_at.end()) {
      ctx_.Error(item.origin, item_path, "duplicate warn_at " + item.text);
      continue;
    }
    def->warn_at.push_back(fraction);
  }
  std::sort(def->warn_at.begin(), def->warn_at.end());
}

void SlaReader::ReadCalendar(MapReader& sla, SlaDefinition* def) {
  auto name = sla.GetScalar("calendar");
  if (!name) return;
  def->calendar_name = name->text;
  if (auto it = config_->calendars.find(name->text); it != config_->calendars.end()) {
    def->calendar = it->second;
    return;
  }
  if (declared_.calendars.count(name->text) != 0) return;  // declared, already reported
  ctx_.Error(name->origin, sla.PathOf("calendar"),
             UnknownName("calendar", name->text, declared_.calendars, "calendars"));
}

}  // namespace

void ReadSlas(MapReader& root, const Declared& declared, Config* config) {
  auto slas = root.Get("slas");
  root.Require("slas", slas.has_value());
  if (!slas) return;
  LoadContext& ctx = root.ctx();
  if (!slas->value.IsSequence()) {
    ctx.ErrorAt(slas->value, "slas", "expected a list of SLAs, got " + KindOf(slas->value));
    return;
  }
  if (slas->value.size() == 0) ctx.ErrorAt(slas->value, "slas", "needs at least one SLA");
  SlaReader reader(ctx, declared, config);
  const YAML::Node& list = slas->value;
  for (std::size_t i = 0; i < list.size(); ++i) {
    reader.Read(list[i], "slas[" + std::to_string(i) + "]");
  }
}

}  // namespace handoff
