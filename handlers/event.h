// An order or handoff event, decoded from one Kafka record or replay line. A plain
// value: the decoder makes it on the consumer thread and the engine takes it by move.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "handlers/time.h"

namespace handoff {

struct Event {
  std::string id;
  std::string type;
  TimeMs time = 0;
  std::string key;  // the order id
  // One slot per configured attribute, in config order (EventFormat::attributes);
  // nullopt when the event lacks the attribute or it is not a JSON string.
  std::vector<std::optional<std::string>> attributes;
};

}  // namespace handoff
