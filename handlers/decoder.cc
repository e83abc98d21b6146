#include "handlers/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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
    case RejectReason::kFutureTime: return "future_time";
    case RejectReason::kMissingKey: return "missing_key";
  }
  return "unknown";
}

namespace {

// Where Decode finds each configured field: attribute i is slot kFirstAttributeSlot + i.
enum Slot : std::size_t { kIdSlot, kTypeSlot, kTimeSlot, kKeySlot, kFirstAttributeSlot };

// The configured JSON Pointers (RFC 6901) compiled into a trie of unescaped path segments,
// so that one walk over a parsed document finds every field: the root object's members
// are read once, and a nested object or array only where some pointer goes through it.
// Resolves exactly as simdjson's at_pointer, which Decode used per field before: the first
// of duplicate keys wins; a segment of digits (no leading zero) also indexes an array; a
// pointer through a string, number, bool or null resolves to nothing.
class PointerTrie {
 public:
  explicit PointerTrie(std::size_t slot_count) : nodes_(1), found_(slot_count) {}

  // Adds `pointer` for `slot` (< slot_count). A pointer that at_pointer can never resolve
  // (neither empty nor starting with '/', or a '~' not followed by 0 or 1) is left out, so
  // its slot is never found.
  void Add(std::string_view pointer, std::size_t slot) {
    if (!pointer.empty() && pointer.front() != '/') return;
    std::vector<std::string> keys;
    while (!pointer.empty()) {
      pointer.remove_prefix(1);  // the '/'
      std::size_t end = std::min(pointer.find('/'), pointer.size());
      auto key = Unescape(pointer.substr(0, end));
      if (!key) return;
      keys.push_back(std::move(*key));
      pointer.remove_prefix(end);
    }
    std::uint32_t node = 0;
    for (std::string& key : keys) node = Child(node, std::move(key));
    nodes_[node].slots.push_back(slot);
  }

  // Finds every added pointer in `root`, forgetting what the previous walk found.
  void Resolve(simdjson::dom::element root) {
    Forget();
    Walk(root, nodes_[0]);
  }

  // Forgets what the previous walk found: every slot is absent.
  void Forget() { ++walk_; }

  // The element `slot`'s pointer resolved to in the last walk, or nullopt.
  std::optional<simdjson::dom::element> Find(std::size_t slot) const {
    if (found_[slot].walk != walk_) return std::nullopt;
    return found_[slot].element;
  }

 private:
  // Walks are numbered so that nothing needs clearing between records: an edge or a slot
  // stamped with an older walk is untouched in this one.
  struct Edge {
    std::string key;                   // the unescaped segment
    std::optional<std::size_t> index;  // the segment as an array index, when it is one
    std::uint32_t node;
    std::uint64_t walk = 0;  // the last walk that followed this edge
  };
  struct Node {
    std::vector<Edge> edges;         // distinct keys
    std::size_t index_edges = 0;     // how many edges have an index
    std::vector<std::size_t> slots;  // pointers that end here
  };
  struct Found {
    simdjson::dom::element element;
    std::uint64_t walk = 0;
  };

  // "~1" is '/' and "~0" is '~'; any other '~' makes the pointer invalid.
  static std::optional<std::string> Unescape(std::string_view segment) {
    std::string key;
    for (std::size_t i = 0; i < segment.size(); ++i) {
      if (segment[i] != '~') {
        key += segment[i];
      } else if (i + 1 < segment.size() && (segment[i + 1] == '0' || segment[i + 1] == '1')) {
        key += segment[++i] == '0' ? '~' : '/';
      } else {
        return std::nullopt;
      }
    }
    return key;
  }

  // As at_pointer reads an array index: digits, no leading zero, wrapping as size_t does.
  static std::optional<std::size_t> ArrayIndex(std::string_view segment) {
    if (segment.empty() || (segment.size() > 1 && segment.front() == '0')) return std::nullopt;
    std::size_t index = 0;
    for (char c : segment) {
      if (c < '0' || c > '9') return std::nullopt;
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    return index;
  }

  std::uint32_t Child(std::uint32_t parent, std::string key) {
    for (const Edge& edge : nodes_[parent].edges) {
      if (edge.key == key) return edge.node;
    }
    auto child = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    // An unescaped key of digits only was all digits before unescaping too, so reading
    // the index from the key reads it from the raw segment, as at_pointer does.
    auto index = ArrayIndex(key);
    if (index) ++nodes_[parent].index_edges;
    nodes_[parent].edges.push_back({.key = std::move(key), .index = index, .node = child});
    return child;
  }

  // Object keys are short: compare them with a few fixed-size loads instead of a call.
  static bool SameKey(const char* a, const char* b, std::size_t size) {
    auto load = [](const char* p, auto word) {
      std::memcpy(&word, p, sizeof word);
      return word;
    };
    if (size >= 8) {
      if (size > 16) return std::memcmp(a, b, size) == 0;
      std::uint64_t w = 0;
      return load(a, w) == load(b, w) && load(a + size - 8, w) == load(b + size - 8, w);
    }
    if (size >= 4) {
      std::uint32_t w = 0;
      return load(a, w) == load(b, w) && load(a + size - 4, w) == load(b + size - 4, w);
    }
    for (std::size_t i = 0; i < size; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  void Walk(simdjson::dom::element element, Node& node) {
    for (std::size_t slot : node.slots) found_[slot] = {.element = element, .walk = walk_};
    if (node.edges.empty()) return;
    switch (element.type()) {
      case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object object = element.get_object().value_unsafe();
        std::size_t left = node.edges.size();
        for (auto field = object.begin(), end = object.end(); field != end && left > 0; ++field) {
          std::size_t size = field.key_length();
          for (Edge& edge : node.edges) {
            if (edge.key.size() != size || !SameKey(edge.key.data(), field.key_c_str(), size)) {
              continue;
            }
            if (edge.walk != walk_) {  // else a duplicate key: the first one counts
              edge.walk = walk_;
              --left;
              Walk(field.value(), nodes_[edge.node]);
            }
            break;
          }
        }
        break;
      }
      case simdjson::dom::element_type::ARRAY: {
        simdjson::dom::array array = element.get_array().value_unsafe();
        std::size_t left = node.index_edges, position = 0;
        for (simdjson::dom::element item : array) {
          if (left == 0) break;
          // Two edges share an index only through wrap-around; follow both.
          for (const Edge& edge : node.edges) {
            if (edge.index == position) {
              --left;
              Walk(item, nodes_[edge.node]);
            }
          }
          ++position;
        }
        break;
      }
      default: break;  // a pointer cannot go through a scalar
    }
  }

  std::vector<Node> nodes_;   // nodes_[0] is the root, where the empty pointer ends
  std::vector<Found> found_;  // per slot
  std::uint64_t walk_ = 0;
};

}  // namespace

// The DOM parser validates the whole record and builds its tape once; the compiled pointers
// then read every field off the tape in one walk.
struct EventDecoder::Parser {
  explicit Parser(std::size_t slot_count) : fields(slot_count), data_fields(slot_count) {}

  simdjson::dom::parser parser;
  // A reused copy of the record: simdjson reads up to SIMDJSON_PADDING bytes past the end.
  // The padding is zeroed once when the buffer grows; its contents do not matter.
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  PointerTrie fields;       // structured mode: every field, from the record's root
  PointerTrie data_fields;  // binary mode: the "/data..." attributes, from the value's root

  simdjson::simdjson_result<simdjson::dom::element> Parse(std::string_view text) {
    if (text.size() > capacity) {
      capacity = std::max(text.size(), 2 * capacity);
      buffer = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buffer.get(), text.data(), text.size());
    return parser.parse(buffer.get(), text.size(), false);
  }
};

namespace {

// The field at `slot` if it is a non-empty JSON string, else nullopt.
std::optional<std::string_view> NonEmptyString(const PointerTrie& found, std::size_t slot) {
  auto element = found.Find(slot);
  std::string_view value;
  if (!element || element->get_string().get(value) != simdjson::SUCCESS || value.empty()) {
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
    if (whole > kMaxEventTime) return std::nullopt;
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
  if ((negative && millis != 0) || millis > kMaxEventTime) return std::nullopt;  // 1970-9999
  return millis;
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
  // Outside years 1970-9999 a time is a typo (docs/reference/events.md).
  auto in_range = [](double millis) {
    return millis >= static_cast<double>(kMinEventTime) &&
           millis <= static_cast<double>(kMaxEventTime);
  };
  double scale = format == TimeFormat::kEpochS ? 1000.0 : 1.0;
  std::int64_t whole;
  if (element.get_int64().get(whole) == simdjson::SUCCESS) {
    if (!in_range(static_cast<double>(whole) * scale)) return RejectReason::kBadTime;
    return static_cast<TimeMs>(whole * static_cast<std::int64_t>(scale));
  }
  double value = element.get_double().value_unsafe();
  double millis = std::floor(value * scale + 1e-6);
  if (!std::isfinite(millis) || !in_range(millis)) return RejectReason::kBadTime;
  return static_cast<TimeMs>(millis);
}

std::optional<std::string_view> Header(const RecordView& record, std::string_view name) {
  for (const auto& [header, value] : record.headers) {
    if (header == name) return value;
  }
  return std::nullopt;
}

// Attribute slots as the last walk found them: a string, or nullopt for anything else.
void ReadAttributes(const PointerTrie& found, std::size_t count, Event& event) {
  event.attributes.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto element = found.Find(kFirstAttributeSlot + i);
    std::string_view value;
    if (element && element->get_string().get(value) == simdjson::SUCCESS) {
      event.attributes[i].emplace(value);
    }
  }
}

}  // namespace

EventDecoder::EventDecoder(EventFormat format)
    : format_(std::move(format)),
      parser_(std::make_unique<Parser>(kFirstAttributeSlot + format_.attributes.size())) {
  parser_->fields.Add(format_.id_pointer, kIdSlot);
  parser_->fields.Add(format_.type_pointer, kTypeSlot);
  parser_->fields.Add(format_.time_pointer, kTimeSlot);
  parser_->fields.Add(format_.key_pointer, kKeySlot);
  for (std::size_t i = 0; i < format_.attributes.size(); ++i) {
    std::string_view pointer = format_.attributes[i].pointer;
    parser_->fields.Add(pointer, kFirstAttributeSlot + i);
    // Binary mode: the value *is* the data, so "/data/from" is "/from" in it.
    if (pointer.starts_with("/data")) {
      parser_->data_fields.Add(pointer.substr(5), kFirstAttributeSlot + i);
    }
  }
}

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
      parser_->data_fields.Resolve(data);
    } else {
      parser_->data_fields.Forget();  // data that is not JSON has no attributes
    }
    ReadAttributes(parser_->data_fields, format_.attributes.size(), event);
    return event;
  }

  simdjson::dom::element root;
  if (parser_->Parse(record.value).get(root) != simdjson::SUCCESS) return RejectReason::kNotJson;
  if (!root.is_object()) return RejectReason::kNotObject;

  PointerTrie& found = parser_->fields;
  found.Resolve(root);

  auto id = NonEmptyString(found, kIdSlot);
  if (!id) return RejectReason::kMissingId;
  auto type = NonEmptyString(found, kTypeSlot);
  if (!type) return RejectReason::kMissingType;
  auto time_element = found.Find(kTimeSlot);
  if (!time_element || time_element->is_null()) return RejectReason::kMissingTime;
  auto time = ParseTimeElement(*time_element, format_.time_format);
  if (!time) return time.error();
  auto key = NonEmptyString(found, kKeySlot);
  if (!key && record.key.empty()) return RejectReason::kMissingKey;

  event.id = *id;
  event.type = *type;
  event.time = *time;
  event.key = key ? *key : record.key;
  ReadAttributes(found, format_.attributes.size(), event);
  return event;
}

}  // namespace handoff
