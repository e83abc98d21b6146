// Cuts a file read in chunks of any size into its lines, for the commands that read an
// events file (replay, baseline, compare). Memory stays bounded however long a line is
// (/dev/zero has none): a line over kMaxRecordBytes is passed on cut to kMaxRecordBytes + 1
// bytes, so the decoder rejects it as too_large, and the rest of it is skipped unkept.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace handoff {

class LineSplitter {
 public:
  using Sink = std::function<void(std::string_view line)>;
  explicit LineSplitter(Sink sink) : sink_(std::move(sink)) {}

  // The next bytes of the file; a line may span chunks.
  void Add(std::string_view chunk);
  // Passes on the last line, when the file does not end with a newline.
  void Finish();

 private:
  Sink sink_;
  std::string partial_;  // the line so far, at most kMaxRecordBytes + 1 bytes
};

}  // namespace handoff
