#include "daemon/serve/group_answers.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>

#include <simdjson.h>

#include "handlers/json_writer.h"
#include "handlers/time.h"

namespace handoff {
namespace {

namespace od = simdjson::ondemand;

struct Unreachable {
  std::string url;
  std::string reason;
};

// What an answer other than the one expected says: "answered 401: Unauthorized".
std::string Unexpected(const MemberAnswer& answer) {
  std::string text = answer.body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return "answered " + std::to_string(answer.status) + (text.empty() ? "" : ": " + text);
}

// By address: the same list whichever member gathered it.
void WriteUnreachable(JsonWriter& json, std::vector<Unreachable> unreachable) {
  std::sort(unreachable.begin(), unreachable.end(),
            [](const Unreachable& a, const Unreachable& b) { return a.url < b.url; });
  json.Key("unreachable").BeginArray();
  for (const Unreachable& u : unreachable) {
    json.BeginObject().Key("member").String(u.url).Key("error").String(u.reason).EndObject();
  }
  json.EndArray();
}

// The fields of one instance object that order it, and its JSON text as sent.
struct InstanceFields {
  std::string sla;
  std::string key;
  std::int64_t cycle = 0;
  TimeMs started_at = kNoTime;
  TimeMs as_of = kNoTime;          // orders only
  bool has_deadline = false;       // instances only
  double overdue_seconds = 0;      // instances only
  std::string raw;
};

bool IsNull(od::value value) {
  od::json_type type;
  return !value.type().get(type) && type == od::json_type::null;
}

std::optional<std::string> StringField(od::object& object, std::string_view name) {
  std::string_view text;
  if (object.find_field_unordered(name).get_string().get(text)) return std::nullopt;
  return std::string(text);
}

std::optional<TimeMs> TimeField(od::object& object, std::string_view name) {
  auto text = StringField(object, name);
  if (!text) return std::nullopt;
  return ParseRfc3339(*text);
}

// A local=1 answer: its instances, and `matched` or `truncated` when it has them.
struct ParsedAnswer {
  std::vector<InstanceFields> instances;
  std::int64_t matched = 0;
  bool truncated = false;
};

// nullopt: not the shape of an instance list or an order timeline.
std::optional<ParsedAnswer> Parse(const std::string& body) {
  od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  od::array instances;
  if (parser.iterate(padded).get(doc) || doc["instances"].get_array().get(instances)) {
    return std::nullopt;
  }
  ParsedAnswer parsed;
  for (auto element : instances) {
    od::object object;
    if (element.get_object().get(object)) return std::nullopt;
    InstanceFields fields;
    auto sla = StringField(object, "sla");
    auto started = TimeField(object, "started_at");
    if (!sla || !started || object.find_field_unordered("cycle").get_int64().get(fields.cycle)) {
      return std::nullopt;
    }
    fields.sla = std::move(*sla);
    fields.started_at = *started;
    fields.key = StringField(object, "key").value_or("");
    if (auto as_of = TimeField(object, "as_of")) fields.as_of = *as_of;
    od::value overdue;
    if (!object.find_field_unordered("overdue_seconds").get(overdue) && !IsNull(overdue)) {
      fields.has_deadline = !overdue.get_double().get(fields.overdue_seconds);
    }
    std::string_view raw;
    if (object.reset().error() || object.raw_json().get(raw)) return std::nullopt;
    // overdue_seconds is the merge's, written last: the answer keeps the contract's fields.
    if (std::size_t at = raw.rfind(",\"overdue_seconds\":"); at != std::string_view::npos) {
      fields.raw = std::string(raw.substr(0, at)) + "}";
    } else {
      fields.raw = std::string(raw);
    }
    parsed.instances.push_back(std::move(fields));
  }
  // Each shape has one of them; the other stays at its default.
  if (doc["matched"].get_int64().get(parsed.matched)) parsed.matched = 0;
  if (doc["truncated"].get_bool().get(parsed.truncated)) parsed.truncated = false;
  return parsed;
}

// The answers that parse as `shape`; the others go to `unreachable` with why. With
// `not_found_is_empty`, a 404 is an answer with nothing in it (an order the member does
// not know).
std::vector<ParsedAnswer> ParseAnswers(const std::vector<MemberAnswer>& answers,
                                       std::string_view shape, bool not_found_is_empty,
                                       std::vector<Unreachable>& unreachable) {
  std::vector<ParsedAnswer> out;
  for (const MemberAnswer& answer : answers) {
    if (answer.error) {
      unreachable.push_back({answer.url, *answer.error});
    } else if (answer.status == 404 && not_found_is_empty) {
      continue;
    } else if (answer.status != 200) {
      unreachable.push_back({answer.url, Unexpected(answer)});
    } else if (auto parsed = Parse(answer.body)) {
      out.push_back(std::move(*parsed));
    } else {
      unreachable.push_back({answer.url, "answered something other than " + std::string(shape)});
    }
  }
  return out;
}

}  // namespace

std::string MergeInstances(const std::vector<MemberAnswer>& answers, std::size_t limit) {
  std::vector<InstanceFields> all;
  std::vector<Unreachable> unreachable;
  std::int64_t matched = 0;
  for (ParsedAnswer& parsed : ParseAnswers(answers, "an instance list", false, unreachable)) {
    matched += parsed.matched;
    std::move(parsed.instances.begin(), parsed.instances.end(), std::back_inserter(all));
  }
  auto rank = [](const InstanceFields& f) {
    return std::make_tuple(!f.has_deadline, -f.overdue_seconds, f.started_at, std::cref(f.key),
                           std::cref(f.sla), f.cycle);
  };
  std::sort(all.begin(), all.end(),
            [&](const InstanceFields& a, const InstanceFields& b) { return rank(a) < rank(b); });
  if (all.size() > limit) all.resize(limit);

  JsonWriter json;
  json.BeginObject().Key("instances").BeginArray();
  for (const InstanceFields& f : all) json.Raw(f.raw);
  json.EndArray();
  json.Key("matched").Int(matched);
  json.Key("limit").Int(static_cast<std::int64_t>(limit));
  WriteUnreachable(json, unreachable);
  json.EndObject();
  return json.Take();
}

MergedAnswer MergeOrder(std::string_view key, const std::vector<MemberAnswer>& answers) {
  using Id = std::tuple<TimeMs, std::string, std::int64_t>;  // start, sla, cycle: the order out
  std::map<Id, InstanceFields> newest;
  std::vector<Unreachable> unreachable;
  bool known = false;
  bool truncated = false;
  for (ParsedAnswer& parsed : ParseAnswers(answers, "an order timeline", true, unreachable)) {
    known = true;
    truncated = truncated || parsed.truncated;
    for (InstanceFields& f : parsed.instances) {
      Id id{f.started_at, f.sla, f.cycle};
      auto [it, inserted] = newest.try_emplace(id);
      if (inserted || f.as_of > it->second.as_of) it->second = std::move(f);
    }
  }
  JsonWriter json;
  json.BeginObject();
  if (!known) {
    json.Key("error").String("no timeline for order \"" + std::string(key) + "\"");
    WriteUnreachable(json, unreachable);
    json.EndObject();
    return {404, json.Take()};
  }
  json.Key("key").String(key).Key("truncated").Bool(truncated);
  json.Key("instances").BeginArray();
  for (const auto& [_, f] : newest) json.Raw(f.raw);
  json.EndArray();
  WriteUnreachable(json, unreachable);
  json.EndObject();
  return {200, json.Take()};
}

}  // namespace handoff
