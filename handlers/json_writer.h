// A small streaming JSON writer for reports and API answers: objects, arrays, strings
// (escaped), integers, seconds and RFC 3339 times. Pretty output indents by two spaces.
// One writer per document; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/time.h"

namespace handoff {

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);  // inside an object, before each value

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Number(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Seconds(DurationMs value);  // 7200001 -> 7200.001
  JsonWriter& Time(TimeMs value);         // RFC 3339, or null for kNoTime
  // A value that is JSON already (a part of another document), copied as it is.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }
  // The document and a newline: a report for a file or a terminal.
  std::string TakeLine() {
    out_ += '\n';
    return std::move(out_);
  }

 private:
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);
  void Newline();

  bool pretty_;
  std::string out_;
  // Per open container: has it any element yet? Keys set after_key_ so the value that
  // follows needs no comma.
  std::vector<bool> has_elements_;
  bool after_key_ = false;
};

// Appends `value` with JSON string escaping, without quotes. The result is always valid
// UTF-8: a byte that does not belong to a well-formed sequence becomes U+FFFD.
void AppendJsonEscaped(std::string& out, std::string_view value);

// The number of code points in `text`, or nullopt when it is not well-formed UTF-8 (the
// rule the escaping above applies: no overlong forms, surrogates or > U+10FFFF).
std::optional<std::size_t> Utf8CodePoints(std::string_view text);

// `text` in double quotes, escaped as above: how error messages and logs quote text that
// came from outside (config values, keys, event fields), so a control byte or newline in
// it can never forge a line.
std::string QuoteText(std::string_view text);

// `text` with control bytes escaped (\n, \u001b, ...) and bad UTF-8 as U+FFFD, quotes and
// backslashes kept: for a whole message that already quotes what it embeds.
std::string EscapeControlBytes(std::string_view text);

}  // namespace handoff
