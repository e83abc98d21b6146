#include "handlers/decoder.h"

#include <cmath>
#include <optional>
#include <string>

#include <simdjson.h>

namespace handoff {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kNotJson: return "not_json";
    case RejectReason::kNotObject: return "not_object";
    case RejectReason::kMissingId: return "missing_id";
    case RejectReason::kMissingType: return "missing_type";
    case RejectReason::kMissingTime: return "missing_time";
    case RejectReason::kBadTime: return "bad_time";
    case RejectReason::kMissingKey: return "missing_key";
  }
  return "unknown";
}

// The DOM parser builds a tape once per record; every pointer lookup after that is a
// cheap walk, which beats re-scanning the text per field as the on-demand API would.
struct EventDecoder::Parser {
  simdjson::dom::parser parser;
  std::string padded;  // reused copy of the record with SIMDJSON_PADDING spare bytes

  simdjson::simdjson_result<simdjson::dom::element> Parse(std::string_view text) {
    padded.assign(text);
    padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
    return parser.parse(padded.data(), text.size(), false);
  }
};

namespace {

// A non-empty JSON string at `pointer`, else nullopt.
std::optional<std::string_view> NonEmptyString(simdjson::dom::element root,
                                               std::string_view pointer) {
  std::string_view value;
  if (root.at_pointer(pointer).get_string().get(value) != simdjson::SUCCESS || value.empty()) {
    return std::nullopt;
  }
  return value;
}

// Epoch numbers as text: digits, optional fraction; the fraction is truncated to ms.
std::optional<TimeMs> ParseEpochText(std::string_view text, bool seconds) {
  if (text.empty()) return std::nullopt;
  bool negative = text.front() == '-';
  size_t pos = negative ? 1 : 0;
  std::int64_t whole = 0;
  size_t digits = 0;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
    if (whole > 1'000'000'000'000'000) return std::nullopt;
    whole = whole * 10 + (text[pos] - '0');
  }
  if (digits == 0) return std::nullopt;
  std::int64_t millis = seconds ? whole * 1000 : whole;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t frac = 0, scale = seconds ? 100 : 0;
    size_t frac_digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++frac_digits) {
      frac += (text[pos] - '0') * scale;
      scale /= 10;
    }
    if (frac_digits == 0) return std::nullopt;
    millis += frac;
  }
  if (pos != text.size()) return std::nullopt;
  return negative ? -millis : millis;
}

std::optional<TimeMs> ParseTimeText(std::string_view text, TimeFormat format) {
  switch (format) {
    case TimeFormat::kRfc3339: return ParseRfc3339(text);
    case TimeFormat::kEpochMs: return ParseEpochText(text, false);
    case TimeFormat::kEpochS: return ParseEpochText(text, true);
  }
  return std::nullopt;
}

// The time field as a JSON value: a string in any format, or a number for epoch formats.
Result<TimeMs, RejectReason> ParseTimeElement(simdjson::dom::element element, TimeFormat format) {
  if (element.is_string()) {
    auto parsed = ParseTimeText(element.get_string().value_unsafe(), format);
    if (parsed) return *parsed;
    return RejectReason::kBadTime;
  }
  if (format == TimeFormat::kRfc3339 || !element.is_number()) return RejectReason::kBadTime;
  // Times beyond year 30000 or so are typos, and would overflow deadline arithmetic.
  constexpr double kMaxAbsMillis = 1e15;
  double scale = format == TimeFormat::kEpochS ? 1000.0 : 1.0;
  std::int64_t whole;
  if (element.get_int64().get(whole) == simdjson::SUCCESS) {
    if (std::abs(static_cast<double>(whole) * scale) > kMaxAbsMillis) return RejectReason::kBadTime;
    return static_cast<TimeMs>(whole * static_cast<std::int64_t>(scale));
  }
  double value = element.get_double().value_unsafe();
  double millis = std::floor(value * scale + 1e-6);
  if (!std::isfinite(millis) || std::abs(millis) > kMaxAbsMillis) return RejectReason::kBadTime;
  return static_cast<TimeMs>(millis);
}

std::optional<std::string_view> Header(const RecordView& record, std::string_view name) {
  for (const auto& [header, value] : record.headers) {
    if (header == name) return value;
  }
  return std::nullopt;
}

void ReadAttributes(simdjson::dom::element root, const EventFormat& format,
                    bool pointers_into_data, Event& event) {
  event.attributes.resize(format.attributes.size());
  for (size_t i = 0; i < format.attributes.size(); ++i) {
    std::string_view pointer = format.attributes[i].pointer;
    if (pointers_into_data) {
      // Binary mode: the value *is* the data, so "/data/from" is "/from" in it.
      if (!pointer.starts_with("/data")) continue;
      pointer.remove_prefix(5);
    }
    std::string_view value;
    if (root.at_pointer(pointer).get_string().get(value) == simdjson::SUCCESS) {
      event.attributes[i].emplace(value);
    }
  }
}

}  // namespace

EventDecoder::EventDecoder(EventFormat format)
    : format_(std::move(format)), parser_(std::make_unique<Parser>()) {}

EventDecoder::~EventDecoder() = default;

Result<Event, RejectReason> EventDecoder::Decode(const RecordView& record) {
  if (record.value.size() > kMaxRecordBytes) return RejectReason::kTooLarge;
  Event event;

  // CloudEvents binary mode (Kafka protocol binding): context attributes are ce_*
  // headers and the value holds only the data.
  if (format_.format == PayloadFormat::kCloudEvents && Header(record, "ce_specversion")) {
    auto id = Header(record, "ce_id");
    auto type = Header(record, "ce_type");
    auto time = Header(record, "ce_time");
    if (!id || id->empty()) return RejectReason::kMissingId;
    if (!type || type->empty()) return RejectReason::kMissingType;
    if (!time) return RejectReason::kMissingTime;
    auto parsed = ParseRfc3339(*time);
    if (!parsed) return RejectReason::kBadTime;
    auto subject = Header(record, "ce_subject");
    std::string_view key = subject && !subject->empty() ? *subject : record.key;
    if (key.empty()) return RejectReason::kMissingKey;
    event.id = *id;
    event.type = *type;
    event.time = *parsed;
    event.key = key;
    simdjson::dom::element data;
    if (parser_->Parse(record.value).get(data) == simdjson::SUCCESS) {
      ReadAttributes(data, format_, true, event);
    } else {
      event.attributes.resize(format_.attributes.size());  // data that is not JSON has none
    }
    return event;
  }

  simdjson::dom::element root;
  if (parser_->Parse(record.value).get(root) != simdjson::SUCCESS) return RejectReason::kNotJson;
  if (!root.is_object()) return RejectReason::kNotObject;

  auto id = NonEmptyString(root, format_.id_pointer);
  if (!id) return RejectReason::kMissingId;
  auto type = NonEmptyString(root, format_.type_pointer);
  if (!type) return RejectReason::kMissingType;
  simdjson::dom::element time_element;
  if (root.at_pointer(format_.time_pointer).get(time_element) != simdjson::SUCCESS ||
      time_element.is_null()) {
    return RejectReason::kMissingTime;
  }
  auto time = ParseTimeElement(time_element, format_.time_format);
  if (!time) return time.error();
  auto key = NonEmptyString(root, format_.key_pointer);
  if (!key && record.key.empty()) return RejectReason::kMissingKey;

  event.id = *id;
  event.type = *type;
  event.time = *time;
  event.key = key ? *key : record.key;
  ReadAttributes(root, format_, false, event);
  return event;
}

}  // namespace handoff
