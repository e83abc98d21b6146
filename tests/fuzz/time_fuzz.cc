// libFuzzer target: the RFC 3339 and duration parsers take text from events and configs.
// Any bytes must parse or be refused, never crash; what parses must lie in the documented
// range and print back to a value that parses to the same thing. The first byte picks the
// parser; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "handlers/time.h"

namespace {

void CheckRfc3339(std::string_view text) {
  auto t = handoff::ParseRfc3339(text);
  if (!t) return;
  if (*t < handoff::kMinEventTime || *t > handoff::kMaxEventTime) __builtin_trap();
  std::string printed = handoff::FormatRfc3339(*t);
  if (printed.size() < 20 || printed[4] != '-') __builtin_trap();  // a four-digit year
  if (handoff::ParseRfc3339(printed) != t) __builtin_trap();
}

void CheckDuration(std::string_view text) {
  auto d = handoff::ParseDuration(text);
  if (!d) return;
  if (*d < 0) __builtin_trap();
  if (handoff::ParseDuration(handoff::FormatDuration(*d)) != d) __builtin_trap();
  // Deadline arithmetic with any duration saturates instead of wrapping.
  if (handoff::SaturatingAdd(handoff::kMaxEventTime, *d) < handoff::kMaxEventTime) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    CheckDuration(text);
  } else {
    CheckRfc3339(text);
  }
  return 0;
}
