#include "handlers/condition.h"

#include <algorithm>

namespace handoff {

bool Condition::Matches(const Event& event) const {
  if (!types.empty() && std::find(types.begin(), types.end(), event.type) == types.end()) {
    return false;
  }
  return MatchesAttributes(event);
}

bool Condition::MatchesAttributes(const Event& event) const {
  return std::all_of(where.begin(), where.end(), [&](const AttributeMatch& m) {
    if (m.attribute >= event.attributes.size()) return false;
    const auto& value = event.attributes[m.attribute];
    return value && std::find(m.values.begin(), m.values.end(), *value) != m.values.end();
  });
}

}  // namespace handoff
