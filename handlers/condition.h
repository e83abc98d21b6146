// A condition from the config (`start: { type: ..., where: { ... } }`): it matches an
// event whose type is one of `types` and whose attributes equal (or are in) the listed
// values. Immutable after config load; shared read-only by the engine thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "handlers/event.h"

namespace handoff {

struct AttributeMatch {
  std::size_t attribute = 0;        // index into Event::attributes
  std::vector<std::string> values;  // the event's value must equal one of these
};

struct Condition {
  std::vector<std::string> types;  // empty matches any type (used by `targets.when`)
  std::vector<AttributeMatch> where;

  // A missing attribute never matches.
  bool Matches(const Event& event) const;
  // Only the `where` part: for a caller that has matched the type already.
  bool MatchesAttributes(const Event& event) const;
};

}  // namespace handoff
