// The input format of state_records_fuzz, shared with the generator of its seeds
// (state_records_seeds.cc): one flags byte, then the values of consecutive records of one
// state-topic partition, separated by kSeparator. An empty value is a record compaction
// removed (a hole in the offsets), as the store's reader skips tombstones.
// Flags: bit 0, the window starts at the log's start; bits 1-4, the first record's
// offset; bits 5-6, how far before it the window starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace handoff::testing {

inline constexpr std::string_view kStateLogSeparator = "\n~~\n";

struct StateLogInput {
  bool window_at_log_start = false;
  std::int64_t first_offset = 0;
  std::int64_t window_start = 0;
  std::vector<std::string_view> values;  // views into the input
};

inline StateLogInput ParseStateLogInput(std::string_view bytes) {
  StateLogInput in;
  if (bytes.empty()) return in;
  const auto flags = static_cast<std::uint8_t>(bytes[0]);
  bytes.remove_prefix(1);
  in.window_at_log_start = (flags & 1) != 0;
  in.first_offset = (flags >> 1) & 15;
  in.window_start = in.first_offset - ((flags >> 5) & 3);
  while (!bytes.empty()) {
    std::size_t end = bytes.find(kStateLogSeparator);
    in.values.push_back(bytes.substr(0, end));
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + kStateLogSeparator.size());
  }
  return in;
}

// The inverse of ParseStateLogInput for a window that starts at the first record.
inline std::string StateLogBytes(bool window_at_log_start, std::int64_t first_offset,
                                 const std::vector<std::string>& values) {
  std::string out(1, static_cast<char>((window_at_log_start ? 1 : 0) | ((first_offset & 15) << 1)));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += kStateLogSeparator;
    out += values[i];
  }
  return out;
}

}  // namespace handoff::testing
