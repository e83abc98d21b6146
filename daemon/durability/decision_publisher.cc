#include "daemon/durability/decision_publisher.h"

#include <charconv>

#include "handlers/instance_json.h"
#include "handlers/json_writer.h"

namespace handoff {

std::string_view DecisionEventType(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kWarning:
      return "handoff.sla.warning";
    case DecisionKind::kBreached:
      return "handoff.sla.breached";
    case DecisionKind::kMet:
      return "handoff.sla.met";
    case DecisionKind::kCancelled:
      return "handoff.sla.cancelled";
    case DecisionKind::kResolved:
      return "handoff.sla.resolved";
    case DecisionKind::kStarted:
    case DecisionKind::kPaused:
    case DecisionKind::kResumed:
      return {};
  }
  return {};
}

std::optional<std::string> DecisionEventId(const Decision& decision, const SlaDefinition& sla) {
  if (DecisionEventType(decision.kind).empty()) return std::nullopt;
  std::string id = sla.name;
  id += '/';
  id += decision.instance.key;
  id += '/';
  id += std::to_string(decision.instance.cycle);
  id += '/';
  id += DecisionKindName(decision.kind);
  if (decision.kind == DecisionKind::kWarning) {
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, decision.threshold).ptr;  // "0.5", "0.8"
    id += '-';
    id.append(buf, end);
  }
  return id;
}

std::optional<std::string> DecisionCloudEvent(const Decision& decision, const SlaDefinition& sla) {
  std::optional<std::string> id = DecisionEventId(decision, sla);
  if (!id) return std::nullopt;
  const InstanceSnapshot& i = decision.instance;
  JsonWriter json;
  json.BeginObject();
  json.Key("specversion").String("1.0");
  json.Key("id").String(*id);
  json.Key("source").String(kDecisionEventSource);
  json.Key("type").String(DecisionEventType(decision.kind));
  json.Key("subject").String(i.key);
  json.Key("time").Time(decision.at);
  json.Key("datacontenttype").String("application/json");
  json.Key("data").BeginObject();
  WriteInstanceFields(json, i, sla.name, EndedAt::kInclude);
  json.Key("from").String(sla.from);
  json.Key("to").String(sla.to);
  json.Key("owner").String(sla.owner);
  json.Key("at").Time(decision.at);
  json.Key("target_seconds").Seconds(i.target);
  if (decision.kind == DecisionKind::kWarning) json.Key("threshold").Number(decision.threshold);
  json.EndObject();
  json.EndObject();
  return json.Take();
}

}  // namespace handoff
