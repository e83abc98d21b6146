#include "handlers/json_writer.h"

#include <charconv>
#include <cstdio>

namespace handoff {

namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0
// when it is not one (Unicode table 3-7: no overlong forms, surrogates or > U+10FFFF).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  unsigned lead = byte(i), second = byte(i + 1);
  if (in(lead, 0xC2, 0xDF)) return in(second, 0x80, 0xBF) ? 2 : 0;
  bool second_ok = lead == 0xE0   ? in(second, 0xA0, 0xBF)
                   : lead == 0xED ? in(second, 0x80, 0x9F)
                   : lead == 0xF0 ? in(second, 0x90, 0xBF)
                   : lead == 0xF4 ? in(second, 0x80, 0x8F)
                                  : in(second, 0x80, 0xBF);
  if (!second_ok) return 0;
  if (in(lead, 0xE0, 0xEF)) return in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
  if (in(lead, 0xF0, 0xF4)) {
    return in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// JSON string escaping; `quotes` false leaves '"' and '\\' as they are.
void AppendEscaped(std::string& out, std::string_view value, bool quotes) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (!quotes && (c == '"' || c == '\\')) {
      out += c;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (static_cast<unsigned char>(c) < 0x80) {
          out += c;
        } else if (std::size_t n = Utf8SequenceLength(value, i); n > 0) {
          out.append(value.substr(i, n));
          i += n - 1;
        } else {
          out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, for one bad byte
        }
    }
  }
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view value) { AppendEscaped(out, value, true); }

std::string EscapeControlBytes(std::string_view text) {
  std::string out;
  AppendEscaped(out, text, false);
  return out;
}

std::optional<std::size_t> Utf8CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (std::size_t n = Utf8SequenceLength(text, i); n > 0) {
      i += n;
    } else {
      return std::nullopt;
    }
  }
  return count;
}

std::string QuoteText(std::string_view text) {
  std::string out = "\"";
  AppendJsonEscaped(out, text);
  out += '"';
  return out;
}

void JsonWriter::Newline() {
  if (!pretty_) return;
  out_ += '\n';
  out_.append(2 * has_elements_.size(), ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_elements_.empty()) return;
  if (has_elements_.back()) out_ += ',';
  has_elements_.back() = true;
  Newline();
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_ += bracket;
  has_elements_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  bool had_elements = has_elements_.back();
  has_elements_.pop_back();
  if (had_elements) Newline();
  out_ += bracket;
}

JsonWriter& JsonWriter::BeginObject() { return Open('{'), *this; }
JsonWriter& JsonWriter::EndObject() { return Close('}'), *this; }
JsonWriter& JsonWriter::BeginArray() { return Open('['), *this; }
JsonWriter& JsonWriter::EndArray() { return Close(']'), *this; }

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_ += '"';
  AppendJsonEscaped(out_, key);
  out_ += pretty_ ? "\": " : "\":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  out_ += '"';
  AppendJsonEscaped(out_, value);
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t value) {
  BeforeValue();
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::Number(double value) {
  BeforeValue();
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;  // shortest round-trip form
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Seconds(DurationMs value) {
  BeforeValue();
  out_ += FormatSeconds(value);
  return *this;
}

JsonWriter& JsonWriter::Time(TimeMs value) {
  if (value == kNoTime) return Null();
  return String(FormatRfc3339(value));
}

}  // namespace handoff
