#include "handlers/compare_report.h"

#include <array>
#include <tuple>

#include "handlers/json_writer.h"

namespace handoff {
namespace {

using Figure = std::optional<std::int64_t>;  // nullopt: the SLA is absent, or no percentile
enum class Unit { kCount, kSeconds };

constexpr std::array<std::string_view, 4> kCountNames = {"started", "met", "breached",
                                                          "cancelled"};
constexpr std::array<std::string_view, 3> kOpenNames = {"running", "paused", "overdue"};
constexpr std::array<int, 5> kPercentiles = {50, 75, 90, 95, 99};

// started, met, breached, cancelled, then open running, paused, overdue.
std::array<Figure, 7> Counts(const SlaSummary* s) {
  if (s == nullptr) return {};
  auto n = [](std::uint64_t v) { return Figure(static_cast<std::int64_t>(v)); };
  return {n(s->started),      n(s->met),         n(s->breached),    n(s->cancelled),
          n(s->open.running), n(s->open.paused), n(s->open.overdue)};
}

std::array<Figure, kPercentiles.size()> Percentiles(const SlaSummary* s) {
  std::array<Figure, kPercentiles.size()> out{};
  if (s == nullptr || s->stopped_elapsed.empty()) return out;
  for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
    out[i] = NearestRank(s->stopped_elapsed, kPercentiles[i]);
  }
  return out;
}

void WriteFigure(JsonWriter& json, Figure value, Unit unit) {
  if (!value) {
    json.Null();
  } else if (unit == Unit::kSeconds) {
    json.Seconds(*value);
  } else {
    json.Int(*value);
  }
}

// {"base": b, "candidate": c, "change": c - b}; the change is null when either is.
void WriteChange(JsonWriter& json, std::string_view key, Figure base, Figure candidate, Unit unit) {
  json.Key(key).BeginObject();
  WriteFigure(json.Key("base"), base, unit);
  WriteFigure(json.Key("candidate"), candidate, unit);
  Figure change = base && candidate ? Figure(*candidate - *base) : std::nullopt;
  WriteFigure(json.Key("change"), change, unit);
  json.EndObject();
}

void WriteOutcome(JsonWriter& json, const InstanceSnapshot* s) {
  if (s == nullptr) {
    json.Null();
    return;
  }
  json.BeginObject();
  json.Key("state").String(InstanceStateName(s->state));
  json.Key("deadline").Time(s->deadline);
  json.Key("breached_at").Time(s->breached_at);
  json.Key("ended_at").Time(s->ended_at);
  json.Key("elapsed_seconds").Seconds(s->elapsed);
  json.EndObject();
}

// An instance of a paired SLA, as each side saw it (nullptr: that side never opened it).
struct InstanceDiff {
  std::size_t pair = 0;  // index into the pairs
  const InstanceSnapshot* base = nullptr;
  const InstanceSnapshot* candidate = nullptr;
  bool differs() const {
    return base == nullptr || candidate == nullptr || base->state != candidate->state;
  }
};

}  // namespace

Result<std::vector<SlaPair>> PairSlas(const std::vector<SlaDefinition>& base,
                                      const std::vector<SlaDefinition>& candidate,
                                      const std::map<std::string, std::string>& renames) {
  auto find = [](const std::vector<SlaDefinition>& slas, std::string_view name) {
    for (std::size_t i = 0; i < slas.size(); ++i) {
      if (slas[i].name == name) return std::optional<std::size_t>(i);
    }
    return std::optional<std::size_t>();
  };
  for (const auto& [from, to] : renames) {
    std::string rename = "--rename " + from + "=" + to + ": ";
    if (!find(base, from)) return Error{rename + "the base config has no SLA `" + from + "`"};
    if (!find(candidate, to)) return Error{rename + "the candidate has no SLA `" + to + "`"};
    if (find(candidate, from)) {
      return Error{rename + "the candidate still has an SLA `" + from + "`, which would pair with it"};
    }
    if (find(base, to)) {
      return Error{rename + "the base config already has an SLA `" + to + "`, which would pair with it"};
    }
  }
  std::vector<SlaPair> pairs;
  std::vector<bool> paired(candidate.size(), false);
  for (std::size_t i = 0; i < base.size(); ++i) {
    auto renamed = renames.find(base[i].name);
    auto other = find(candidate, renamed == renames.end() ? base[i].name : renamed->second);
    if (other) paired[*other] = true;
    pairs.push_back(SlaPair{.base = i, .candidate = other});
  }
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    if (!paired[i]) pairs.push_back(SlaPair{.base = std::nullopt, .candidate = i});
  }
  return pairs;
}

namespace {

ReplayOptions WithInstances(ReplayOptions options) {
  options.instances = true;
  return options;
}

}  // namespace

CompareReport::CompareReport(SlaEngine::Slas base, ReplayOptions base_options,
                             SlaEngine::Slas candidate, ReplayOptions candidate_options,
                             std::vector<SlaPair> pairs)
    : base_slas_(base),
      candidate_slas_(candidate),
      pairs_(std::move(pairs)),
      base_(base, WithInstances(std::move(base_options))),
      candidate_(candidate, WithInstances(std::move(candidate_options))) {}

std::string CompareReport::Finish(bool pretty) {
  const ReplaySummary b = base_.Summarize();
  const ReplaySummary c = candidate_.Summarize();
  auto name_of = [&](const SlaPair& pair) -> const std::string& {
    return pair.base ? (*base_slas_)[*pair.base].name : (*candidate_slas_)[*pair.candidate].name;
  };

  // Instances of SLAs on both sides, by (SLA, key, cycle), in report order. An added or
  // removed SLA's instances all differ by definition: its counts say enough.
  std::vector<std::optional<std::size_t>> base_pair(base_slas_->size());
  std::vector<std::optional<std::size_t>> candidate_pair(candidate_slas_->size());
  for (std::size_t p = 0; p < pairs_.size(); ++p) {
    if (!pairs_[p].base || !pairs_[p].candidate) continue;
    base_pair[*pairs_[p].base] = p;
    candidate_pair[*pairs_[p].candidate] = p;
  }
  using InstanceKey = std::tuple<std::string_view, std::string_view, std::uint32_t>;
  std::map<InstanceKey, InstanceDiff> instances;
  std::vector<std::size_t> differing(pairs_.size(), 0);
  for (const InstanceSnapshot& s : b.instances) {
    if (auto p = base_pair[s.sla]) {
      InstanceDiff& diff = instances[{name_of(pairs_[*p]), s.key, s.cycle}];
      diff.pair = *p;
      diff.base = &s;
    }
  }
  for (const InstanceSnapshot& s : c.instances) {
    if (auto p = candidate_pair[s.sla]) {
      InstanceDiff& diff = instances[{name_of(pairs_[*p]), s.key, s.cycle}];
      diff.pair = *p;
      diff.candidate = &s;
    }
  }
  for (const auto& [_, diff] : instances) differing[diff.pair] += diff.differs() ? 1 : 0;

  JsonWriter json(pretty);
  json.BeginObject();
  json.Key("as_of").BeginObject();
  json.Key("base").Time(b.as_of);
  json.Key("candidate").Time(c.as_of);
  json.EndObject();

  json.Key("events").BeginObject();
  auto n = [](std::uint64_t v) { return Figure(static_cast<std::int64_t>(v)); };
  WriteChange(json, "read", n(b.read), n(c.read), Unit::kCount);
  WriteChange(json, "applied", n(b.stats.applied), n(c.stats.applied), Unit::kCount);
  WriteChange(json, "rejected", n(b.rejected), n(c.rejected), Unit::kCount);
  WriteChange(json, "duplicate", n(b.stats.duplicate), n(c.stats.duplicate), Unit::kCount);
  WriteChange(json, "late", n(b.stats.late), n(c.stats.late), Unit::kCount);
  WriteChange(json, "ignored", n(b.stats.ignored), n(c.stats.ignored), Unit::kCount);
  WriteChange(json, "pending", n(b.pending), n(c.pending), Unit::kCount);
  json.EndObject();

  std::vector<std::string_view> added, removed;

  json.Key("slas").BeginObject();
  for (std::size_t p = 0; p < pairs_.size(); ++p) {
    const SlaPair& pair = pairs_[p];
    const SlaSummary* bs = pair.base ? &b.slas[*pair.base] : nullptr;
    const SlaSummary* cs = pair.candidate ? &c.slas[*pair.candidate] : nullptr;
    auto bc = Counts(bs), cc = Counts(cs);
    auto bp = Percentiles(bs), cp = Percentiles(cs);
    const char* status = !bs ? "added" : !cs ? "removed"
                         : bc == cc && bp == cp && differing[p] == 0 ? "unchanged"
                                                                     : "changed";
    if (!bs) added.push_back(name_of(pair));
    if (!cs) removed.push_back(name_of(pair));
    json.Key(name_of(pair)).BeginObject();
    json.Key("status").String(status);
    json.Key("candidate_name");
    cs ? json.String((*candidate_slas_)[*pair.candidate].name) : json.Null();
    for (std::size_t i = 0; i < kCountNames.size(); ++i) {
      WriteChange(json, kCountNames[i], bc[i], cc[i], Unit::kCount);
    }
    json.Key("open").BeginObject();
    for (std::size_t i = 0; i < kOpenNames.size(); ++i) {
      WriteChange(json, kOpenNames[i], bc[4 + i], cc[4 + i], Unit::kCount);
    }
    json.EndObject();
    json.Key("elapsed_seconds").BeginObject();
    for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
      WriteChange(json, "p" + std::to_string(kPercentiles[i]), bp[i], cp[i], Unit::kSeconds);
    }
    json.EndObject();
    json.Key("instances_differing").Int(static_cast<std::int64_t>(differing[p]));
    json.EndObject();
  }
  json.EndObject();

  json.Key("slas_added").BeginArray();
  for (std::string_view name : added) json.String(name);
  json.EndArray();
  json.Key("slas_removed").BeginArray();
  for (std::string_view name : removed) json.String(name);
  json.EndArray();

  json.Key("instances").BeginArray();
  for (const auto& [key, diff] : instances) {
    if (!diff.differs()) continue;
    json.BeginObject();
    json.Key("sla").String(std::get<0>(key));
    json.Key("key").String(std::get<1>(key));
    json.Key("cycle").Int(std::get<2>(key));
    WriteOutcome(json.Key("base"), diff.base);
    WriteOutcome(json.Key("candidate"), diff.candidate);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.TakeLine();
}

}  // namespace handoff
