// How to find an Event's fields in a record (docs/reference/config.md `events`): JSON Pointers
// (RFC 6901) per field and per named attribute. Immutable after config load.
#pragma once

#include <string>
#include <vector>

namespace handoff {

enum class PayloadFormat { kCloudEvents, kJson };
enum class TimeFormat { kRfc3339, kEpochMs, kEpochS };

struct NamedPointer {
  std::string name;     // attribute name usable in conditions, e.g. "tier"
  std::string pointer;  // e.g. "/data/customer_tier"
};

struct EventFormat {
  PayloadFormat format = PayloadFormat::kCloudEvents;
  std::string id_pointer = "/id";
  std::string type_pointer = "/type";
  std::string time_pointer = "/time";
  std::string key_pointer = "/subject";
  TimeFormat time_format = TimeFormat::kRfc3339;
  std::vector<NamedPointer> attributes;  // Event::attributes follow this order
};

}  // namespace handoff
