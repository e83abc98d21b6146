// Turns one record (a Kafka message or a replay line) into an Event, or into a rejection
// with a reason from a fixed list (docs/reference/events.md). Never throws. Not thread-safe: each
// consuming thread owns one decoder, which reuses its parser and padded buffer. The
// configured pointers are compiled once, at construction, and read in one walk a record.
#pragma once

#include <array>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "handlers/event.h"
#include "handlers/event_format.h"
#include "handlers/result.h"

namespace handoff {

// Label values of handoff_events_rejected_total{reason}; the order is the export order.
enum class RejectReason {
  kTooLarge,     // over kMaxRecordBytes: rejected unread
  kNotJson,      // not parseable JSON
  kNotObject,    // JSON, but not an object
  kMissingId,    // no non-empty string id
  kMissingType,  // no non-empty string type
  kMissingTime,  // no time field
  kBadTime,      // a time that does not parse (see ParseRfc3339) or is out of range
  kMissingKey,   // no non-empty key and no Kafka message key
};
inline constexpr std::array kAllRejectReasons{
    RejectReason::kTooLarge,    RejectReason::kNotJson,     RejectReason::kNotObject,
    RejectReason::kMissingId,   RejectReason::kMissingType, RejectReason::kMissingTime,
    RejectReason::kBadTime,     RejectReason::kMissingKey};
std::string_view RejectReasonName(RejectReason reason);  // "too_large", "not_json", ...

inline constexpr std::size_t kMaxRecordBytes = 1 << 20;

// A record as it arrives. Headers are only read for binary-mode CloudEvents.
struct RecordView {
  std::string_view value;
  std::string_view key;  // the Kafka message key; empty in replay
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

class EventDecoder {
 public:
  explicit EventDecoder(EventFormat format);
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  Result<Event, RejectReason> Decode(const RecordView& record);

  const EventFormat& format() const { return format_; }

 private:
  struct Parser;  // simdjson parser, record buffer, compiled pointers: kept out of here
  EventFormat format_;
  std::unique_ptr<Parser> parser_;
};

}  // namespace handoff
