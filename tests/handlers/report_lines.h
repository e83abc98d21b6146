// Test helpers for the reports built on a replay: event lines in the shape the
// sla_builder.h SLAs react to, and the event format that reads them (attributes from,
// to, tier).
#pragma once

#include <string>

#include "handlers/event_format.h"

namespace handoff::testing {

inline EventFormat ReportFormat() {
  EventFormat format;
  format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/tier"}};
  return format;
}

// A CloudEvents line; `tier` empty leaves the attribute out.
inline std::string Line(const std::string& id, const std::string& type, const std::string& time,
                        const std::string& key, const std::string& tier = "") {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","time":")" + time +
         R"(","subject":")" + key + R"(","data":{"from":"sales","to":"operations")" +
         (tier.empty() ? "" : R"(,"tier":")" + tier + "\"") + "}}";
}

// sales -> operations requested at `start`, accepted at `stop` (times "HH:MM:SS" on
// 2026-11-27, UTC); ids are the key with -r and -a.
inline std::string RequestedLine(const std::string& key, const std::string& start,
                             const std::string& tier = "") {
  return Line(key + "-r", "handoff.requested", "2026-11-27T" + start + "Z", key, tier);
}
inline std::string AcceptedLine(const std::string& key, const std::string& stop) {
  return Line(key + "-a", "handoff.accepted", "2026-11-27T" + stop + "Z", key);
}

}  // namespace handoff::testing
