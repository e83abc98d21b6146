#include "daemon/serve/api.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <map>
#include <queue>
#include <tuple>
#include <vector>

#include "daemon/serve/exposition_format.h"
#include "handlers/instance_json.h"
#include "handlers/journey_stretches.h"
#include "handlers/journey_tracker.h"
#include "handlers/json_writer.h"

namespace handoff {
namespace {

constexpr std::string_view kJson = "application/json";

constexpr std::string_view kIndexPage = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>handoffd</title></head>
<body>
<h1>handoffd</h1>
<p>SLA timers for handoffs between departments.</p>
<ul>
<li><a href="metrics">/metrics</a> &mdash; Prometheus metrics</li>
<li><a href="api/v1/instances">/api/v1/instances</a> &mdash; open SLA instances, most overdue first
(<a href="api/v1/instances?state=overdue">overdue only</a>)</li>
<li>/api/v1/orders/{key} &mdash; one order's SLA timeline</li>
<li><a href="-/healthy">/-/healthy</a> and <a href="-/ready">/-/ready</a></li>
</ul>
</body>
</html>
)";

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::string(kJson);
  response.body = std::move(body);
  response.compressible = true;
  return response;
}

HttpResponse JsonError(int status, std::string_view message) {
  JsonWriter json;
  json.BeginObject().Key("error").String(message).EndObject();
  return Json(status, json.Take());
}

// Whether `method` is one of `methods` ("GET, HEAD").
bool AllowsMethod(std::string_view methods, std::string_view method) {
  while (!methods.empty()) {
    std::size_t comma = methods.find(", ");
    if (methods.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    methods.remove_prefix(comma + 2);
  }
  return false;
}

HttpResponse MethodNotAllowed(std::string_view allow) {
  HttpResponse response = Text(405, "Method not allowed\n");
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

// Query parameters, decoded; the last of a repeated name wins. nullopt on a bad escape.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = UrlDecode(pair.substr(0, eq), true);
    auto value = UrlDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    params[*name] = *value;
  }
  return params;
}

// Ranking of /api/v1/instances: instances with a deadline first, the furthest past it
// (measured against their partition's frontier) first; then by start, key, SLA, cycle
// so equal ranks come out in a stable order.
struct Candidate {
  bool has_deadline;
  DurationMs overdue_by;  // frontier - deadline; negative: time left
  InstanceSnapshot snapshot;
};

bool RanksBefore(bool a_has, DurationMs a_over, const InstanceSnapshot& a, bool b_has,
                 DurationMs b_over, const InstanceSnapshot& b) {
  if (a_has != b_has) return a_has;
  if (a_over != b_over) return a_over > b_over;
  return std::tie(a.started_at, a.key, a.sla, a.cycle) <
         std::tie(b.started_at, b.key, b.sla, b.cycle);
}

struct RanksBeforeCmp {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return RanksBefore(a.has_deadline, a.overdue_by, a.snapshot, b.has_deadline, b.overdue_by,
                       b.snapshot);
  }
};

// local=1 (or true): this member's part of a group answer.
bool LocalOnly(const std::map<std::string, std::string>& params) {
  auto it = params.find("local");
  return it != params.end() && (it->second == "1" || it->second == "true");
}

}  // namespace

std::optional<std::string> UrlDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      unsigned value = 0;
      if (i + 2 >= text.size()) return std::nullopt;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
      out.push_back(static_cast<char>(value));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

HttpServerOptions WebServerOptions(const WebConfig& web, const RuntimeFlags& flags) {
  HttpServerOptions options;
  options.listen_address = flags.listen_address.value_or(web.listen_address);
  options.security = WebSecurityOf(web);
  options.web_config_file = flags.web_config_file.value_or("");
  return options;
}

Api::Api(const EngineHost& host, Metrics& metrics, const TimelineStore& timeline, Options options)
    : host_(host), metrics_(metrics), timeline_(timeline), options_(std::move(options)) {}

void Api::set_members(AskMembers ask, std::string self_url) {
  ask_members_ = std::move(ask);
  self_url_ = std::move(self_url);
}

HttpResponse Api::WholeGroup(const HttpRequest& request,
                             const std::map<std::string, std::string>& params, HttpResponse local,
                             std::function<HttpResponse(std::vector<MemberAnswer>)> merge) const {
  if (!ask_members_ || LocalOnly(params)) return local;
  std::string target = request.target + (request.target.find('?') == std::string::npos ? "?" : "&") +
                       "local=1";
  MemberAnswer own{self_url_, std::nullopt, local.status, std::move(local.body)};
  HttpResponse response;
  response.defer = [ask = ask_members_, target = std::move(target),
                    authorization = request.authorization, own = std::move(own),
                    merge = std::move(merge)](HttpResponse::Reply reply) mutable {
    ask(std::move(target), std::move(authorization),
        [own = std::move(own), merge = std::move(merge),
         reply = std::move(reply)](std::vector<MemberAnswer> answers) mutable {
          answers.insert(answers.begin(), std::move(own));
          reply(merge(std::move(answers)));
        });
  };
  return response;
}

HttpResponse Api::Handle(const HttpRequest& request) {
  try {
    std::string_view target = request.target;
    std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    // Every route, once: the path (a prefix with something after it, when `prefix`),
    // the methods it answers (also the Allow header of a 405) and what answers it.
    struct Route {
      std::string_view path;
      bool prefix;
      std::string_view methods;
      HttpResponse (*answer)(Api& api, const HttpRequest& request, std::string_view rest,
                             std::string_view query);
    };
    static constexpr Route kRoutes[] = {
        {"/", false, "GET, HEAD",
         [](Api&, const HttpRequest&, std::string_view, std::string_view) {
           HttpResponse response = Text(200, std::string(kIndexPage));
           response.content_type = "text/html; charset=utf-8";
           return response;
         }},
        {"/metrics", false, "GET, HEAD",
         [](Api& api, const HttpRequest& request, std::string_view, std::string_view) {
           // The snapshot is taken here, on the engine thread; the server turns it into
           // text (and gzip) on its worker thread. The format follows Accept.
           ExpositionFormat format = NegotiateExpositionFormat(request.accept);
           HttpResponse response = Text(200, "");
           response.render = api.metrics_.ScrapeLater(format);
           response.content_type = std::string(ContentTypeOf(format));
           response.headers.emplace_back("Vary", "Accept");
           response.compressible = true;
           return response;
         }},
        {"/-/healthy", false, "GET, HEAD",
         [](Api&, const HttpRequest&, std::string_view, std::string_view) {
           return Text(200, "handoffd is Healthy.\n");
         }},
        {"/-/ready", false, "GET, HEAD",
         [](Api& api, const HttpRequest&, std::string_view, std::string_view) {
           return api.host_.ready()
                      ? Text(200, "handoffd is Ready.\n")
                      : Text(503, "handoffd is not ready: partitions are being restored.\n");
         }},
        {"/-/reload", false, "POST, PUT",
         [](Api& api, const HttpRequest&, std::string_view, std::string_view) {
           return api.Reload();
         }},
        {"/api/v1/instances", false, "GET, HEAD",
         [](Api& api, const HttpRequest& request, std::string_view, std::string_view query) {
           return api.Instances(request, query);
         }},
        {"/api/v1/orders/", true, "GET, HEAD",
         [](Api& api, const HttpRequest& request, std::string_view key, std::string_view query) {
           return api.Order(request, key, query);
         }},
    };
    for (const Route& route : kRoutes) {
      std::string_view rest;
      if (route.prefix) {
        if (!path.starts_with(route.path) || path.size() == route.path.size()) continue;
        rest = path.substr(route.path.size());
      } else if (path != route.path) {
        continue;
      }
      if (!AllowsMethod(route.methods, request.method)) {
        return MethodNotAllowed(route.methods);
      }
      return route.answer(*this, request, rest, query);
    }
    return Text(404, "Not found\n");
  } catch (const std::exception& e) {
    return Text(500, std::string("Internal server error: ") + e.what() + "\n");
  }
}

HttpResponse Api::Reload() {
  if (!options_.enable_lifecycle) return Text(403, "Lifecycle API is not enabled.\n");
  if (!options_.reload) return Text(500, "reload is not wired\n");
  HttpResponse response;
  response.defer = [reload = options_.reload](HttpResponse::Reply reply) {
    reload([reply = std::move(reply)](const Result<std::string>& result) {
      reply(result ? Text(200, *result + "\n") : Text(500, result.error().message + "\n"));
    });
  };
  return response;
}

HttpResponse Api::Instances(const HttpRequest& request, std::string_view query) const {
  auto params = ParseQuery(query);
  if (!params) return JsonError(400, "malformed query string");
  const std::vector<SlaDefinition>& slas = host_.config().slas;

  std::optional<std::size_t> sla;
  if (auto it = params->find("sla"); it != params->end() && !it->second.empty()) {
    auto found = std::find_if(slas.begin(), slas.end(),
                              [&](const SlaDefinition& d) { return d.name == it->second; });
    if (found == slas.end()) return JsonError(400, "unknown sla \"" + it->second + "\"");
    sla = static_cast<std::size_t>(found - slas.begin());
  }
  std::optional<InstanceState> state;
  if (auto it = params->find("state"); it != params->end() && !it->second.empty()) {
    if (it->second == "running") {
      state = InstanceState::kRunning;
    } else if (it->second == "paused") {
      state = InstanceState::kPaused;
    } else if (it->second == "overdue") {
      state = InstanceState::kOverdue;
    } else {
      return JsonError(400, "state must be running, paused or overdue");
    }
  }
  std::size_t limit = options_.default_limit;
  if (auto it = params->find("limit"); it != params->end()) {
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || limit == 0 ||
        limit > options_.max_limit) {
      return JsonError(400, "limit must be an integer from 1 to " +
                                std::to_string(options_.max_limit));
    }
  }

  // One pass over the open instances keeping the best `limit` in a heap whose top is the
  // worst kept: O(open × log limit) time, O(limit) memory, no copy of the rest.
  std::priority_queue<Candidate, std::vector<Candidate>, RanksBeforeCmp> best;
  std::size_t matched = 0;
  std::int32_t cached_partition = -1;
  TimeMs frontier = kNoTime;
  host_.VisitOpenInstances([&](std::int32_t partition, const InstanceSnapshot& snapshot) {
    if (sla && snapshot.sla != *sla) return;
    if (state && snapshot.state != *state) return;
    ++matched;
    if (partition != cached_partition) {
      cached_partition = partition;
      frontier = host_.partitions().at(partition).engine.frontier();
    }
    bool has_deadline = snapshot.deadline != kNoTime;
    DurationMs overdue_by = has_deadline ? frontier - snapshot.deadline : 0;
    if (best.size() == limit) {
      const Candidate& worst = best.top();
      if (!RanksBefore(has_deadline, overdue_by, snapshot, worst.has_deadline, worst.overdue_by,
                       worst.snapshot)) {
        return;
      }
      best.pop();
    }
    best.push(Candidate{has_deadline, overdue_by, snapshot});
  });

  std::vector<Candidate> ranked;
  ranked.reserve(best.size());
  while (!best.empty()) {
    ranked.push_back(std::move(const_cast<Candidate&>(best.top())));
    best.pop();
  }
  std::reverse(ranked.begin(), ranked.end());

  // An answer for the group's merge ranks by a field of its own; others keep the contract's.
  const bool for_merge = ask_members_ != nullptr || LocalOnly(*params);
  JsonWriter json;
  json.BeginObject().Key("instances").BeginArray();
  for (const Candidate& c : ranked) {
    const InstanceSnapshot& s = c.snapshot;
    json.BeginObject();
    WriteInstanceFields(json, s, slas[s.sla].name, EndedAt::kOmit);  // docs/reference/http-api.md's fields
    if (for_merge) {  // what ranks it, last, for MergeInstances (group_answers.h)
      json.Key("overdue_seconds");
      if (c.has_deadline) {
        json.Seconds(c.overdue_by);
      } else {
        json.Null();
      }
    }
    json.EndObject();
  }
  json.EndArray();
  json.Key("matched").Int(static_cast<std::int64_t>(matched));
  json.Key("limit").Int(static_cast<std::int64_t>(limit));
  json.EndObject();
  // Always 200: the merge (parsing the others' instances) runs on the server's worker.
  return WholeGroup(request, *params, Json(200, json.Take()),
                    [limit](std::vector<MemberAnswer> answers) {
                      HttpResponse merged = Json(200, "");
                      merged.render = [answers = std::move(answers), limit] {
                        return MergeInstances(answers, limit);
                      };
                      return merged;
                    });
}

namespace {

// A journey instance's held time (as of its last decision), baton and first late stage,
// and the stretches behind the held time: who held the order from when to when.
void WriteJourney(JsonWriter& json, const std::vector<SlaDefinition>& slas,
                  const InstanceSnapshot& journey, std::span<const OrderDecision> decisions) {
  JourneyPlan plan = JourneyPlan::Of(slas, journey.sla);
  WriteJourneyFields(json, journey, slas[journey.sla], plan);
  json.Key("stretches").BeginArray();
  for (const HeldStretch& stretch : RebuildStretches(slas, journey, decisions)) {
    json.BeginObject()
        .Key("from").Time(stretch.from)
        .Key("to").Time(stretch.to)
        .Key("held_by").String(plan.buckets[stretch.holder])
        .EndObject();
  }
  json.EndArray();
}

}  // namespace

HttpResponse Api::Order(const HttpRequest& request, std::string_view encoded_key,
                        std::string_view query) const {
  auto key = UrlDecode(encoded_key, false);
  auto params = ParseQuery(query);
  if (!key) return JsonError(400, "malformed order key");
  if (!params) return JsonError(400, "malformed query string");
  auto merge = [key = *key](std::vector<MemberAnswer> answers) {  // small: merged here
    MergedAnswer merged = MergeOrder(key, answers);
    return Json(merged.status, std::move(merged.body));
  };
  const TimelineStore::Order* order = timeline_.Find(*key);
  if (order == nullptr) {
    return WholeGroup(request, *params, JsonError(404, "no timeline for order \"" + *key + "\""),
                      merge);
  }
  const std::vector<SlaDefinition>& slas = host_.config().slas;

  // Group the decisions by instance, in the order the instances first appear.
  using InstanceId = std::tuple<std::uint16_t, std::uint32_t, TimeMs>;  // sla, cycle, start
  std::vector<InstanceId> ids;
  std::map<InstanceId, std::vector<const TimelineStore::Entry*>> by_instance;
  for (const TimelineStore::Entry& entry : order->entries) {
    InstanceId id{entry.instance.sla, entry.instance.cycle, entry.instance.started_at};
    auto [it, inserted] = by_instance.try_emplace(id);
    if (inserted) ids.push_back(id);
    it->second.push_back(&entry);
  }

  std::vector<OrderDecision> decisions;
  for (const TimelineStore::Entry& entry : order->entries) {
    decisions.push_back({entry.kind, entry.at, &entry.instance});
  }

  JsonWriter json;
  json.BeginObject().Key("key").String(*key).Key("truncated").Bool(order->truncated);
  json.Key("instances").BeginArray();
  for (const InstanceId& id : ids) {
    const auto& entries = by_instance[id];
    const TimelineStore::Entry& last = *entries.back();  // the instance as of its last decision
    const InstanceSnapshot& instance = last.instance;
    json.BeginObject()
        .Key("sla").String(instance.sla < slas.size() ? slas[instance.sla].name : "")
        .Key("cycle").Int(instance.cycle)
        .Key("partition").Int(last.partition)
        .Key("state").String(InstanceStateName(instance.state))
        .Key("started_at").Time(instance.started_at)
        .Key("deadline").Time(instance.deadline)
        .Key("breached_at").Time(instance.breached_at)
        .Key("ended_at").Time(instance.ended_at)
        .Key("elapsed_seconds").Seconds(instance.elapsed)
        .Key("target_seconds").Seconds(instance.target)
        .Key("as_of").Time(last.at);
    if (instance.sla < slas.size() && slas[instance.sla].is_journey()) {
      WriteJourney(json, slas, instance, decisions);
    }
    json.Key("events").BeginArray();
    for (const auto* e : entries) {
      if (!e->event_id.empty()) json.String(e->event_id);
    }
    json.EndArray();
    json.Key("pauses").BeginArray();
    bool open_pause = false;
    for (const auto* e : entries) {
      if (e->kind == DecisionKind::kPaused) {
        if (open_pause) json.Key("resumed_at").Null().EndObject();
        json.BeginObject().Key("paused_at").Time(e->at);
        open_pause = true;
      } else if (e->kind == DecisionKind::kResumed && open_pause) {
        json.Key("resumed_at").Time(e->at).EndObject();
        open_pause = false;
      }
    }
    if (open_pause) json.Key("resumed_at").Null().EndObject();
    json.EndArray();
    json.Key("decisions").BeginArray();
    for (const auto* e : entries) {
      json.BeginObject().Key("kind").String(DecisionKindName(e->kind)).Key("at").Time(e->at);
      if (e->kind == DecisionKind::kWarning) json.Key("threshold").Number(e->threshold);
      if (!e->event_id.empty()) json.Key("event_id").String(e->event_id);
      json.Key("state").String(InstanceStateName(e->instance.state));
      json.Key("elapsed_seconds").Seconds(e->instance.elapsed);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.EndArray().EndObject();
  return WholeGroup(request, *params, Json(200, json.Take()), merge);
}

}  // namespace handoff
