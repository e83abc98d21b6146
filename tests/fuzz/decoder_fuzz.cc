// libFuzzer target: the event decoder must turn any bytes into an Event or a rejection,
// never crash, hang or throw. The first input byte picks the format and whether the
// record carries binary-mode CloudEvents headers; the rest is the record value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "handlers/decoder.h"

namespace {

handoff::EventFormat FormatFor(std::uint8_t selector) {
  handoff::EventFormat format;
  format.attributes = {{"from", "/data/from"}, {"to", "/data/to"}, {"tier", "/data/a~1b/0"}};
  if (selector & 1) {
    format.format = handoff::PayloadFormat::kJson;
    format.key_pointer = "/key";
  }
  format.time_format = static_cast<handoff::TimeFormat>((selector >> 1) % 3);
  return format;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t selector = data[0];
  std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  handoff::EventDecoder decoder(FormatFor(selector));
  handoff::RecordView record{.value = value, .key = (selector & 8) ? "fallback" : "", .headers = {}};
  if (selector & 16) {
    // Binary mode: the headers come from the value's first bytes too.
    std::string_view time = value.substr(0, std::min<std::size_t>(value.size(), 30));
    record.headers = {{"ce_specversion", "1.0"}, {"ce_id", "x"}, {"ce_type", "t"}, {"ce_time", time}};
  }
  auto event = decoder.Decode(record);
  if (event) {
    // Invariants of an accepted event.
    if (event->id.empty() || event->type.empty() || event->key.empty()) __builtin_trap();
    if (event->attributes.size() != 3) __builtin_trap();
    if (event->time < handoff::kMinEventTime || event->time > handoff::kMaxEventTime) {
      __builtin_trap();  // years 1970-9999 only (docs/reference/events.md)
    }
  }
  return 0;
}
