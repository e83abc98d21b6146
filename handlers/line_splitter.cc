#include "handlers/line_splitter.h"

#include <algorithm>

#include "handlers/decoder.h"

namespace handoff {

void LineSplitter::Add(std::string_view chunk) {
  constexpr std::size_t kKept = kMaxRecordBytes + 1;
  while (!chunk.empty()) {
    std::size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (newline != std::string_view::npos && partial_.empty()) {
      sink_(piece.substr(0, kKept));  // the whole line is in this chunk: no copy
    } else {
      partial_.append(piece.substr(0, kKept - std::min(kKept, partial_.size())));
      if (newline == std::string_view::npos) return;
      sink_(partial_);
      partial_.clear();
    }
    chunk.remove_prefix(newline + 1);
  }
}

void LineSplitter::Finish() {
  if (!partial_.empty()) sink_(partial_);
  partial_.clear();
}

}  // namespace handoff
