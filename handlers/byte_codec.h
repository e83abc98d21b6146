// Compact binary encoding for checkpoints: varints (zigzag for signed), length-prefixed
// strings, and a reader that reports truncation or garbage instead of trusting its input.
// Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace handoff {

class ByteWriter {
 public:
  void PutUnsigned(std::uint64_t value) {
    char buf[10];
    std::size_t n = 0;
    while (value >= 0x80) {
      buf[n++] = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    buf[n++] = static_cast<char>(value);
    out_.append(buf, n);
  }
  void PutSigned(std::int64_t value) {
    PutUnsigned((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  void PutString(std::string_view value) {
    PutUnsigned(value.size());
    out_ += value;
  }
  void PutDouble(double value) {
    std::uint64_t bits;
    static_assert(sizeof bits == sizeof value);
    __builtin_memcpy(&bits, &value, sizeof bits);
    PutUnsigned(bits);
  }
  void Reserve(std::size_t bytes) { out_.reserve(bytes); }
  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every Get returns false once the input ran out or was malformed; after that the reader
// stays failed, so a decoder may check ok() once at the end of a record.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool GetUnsigned(std::uint64_t& value) {
    value = 0;
    if (in_.size() - pos_ >= 10) {
      // The common case, at least one longest varint away from the end: the same decoding
      // without a bounds check per byte (restore reads ~7 varints per instance).
      const char* p = in_.data() + pos_;
      for (int i = 0; i < 10; ++i) {
        auto byte = static_cast<std::uint8_t>(p[i]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
          pos_ += static_cast<std::size_t>(i) + 1;
          return ok_;
        }
      }
      return Fail();
    }
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return ok_;
    }
    return Fail();
  }
  bool GetSigned(std::int64_t& value) {
    std::uint64_t raw;
    if (!GetUnsigned(raw)) return false;
    value = static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    return ok_;
  }
  // A view into the input, valid as long as the input is.
  bool GetView(std::string_view& value) {
    std::uint64_t size;
    if (!GetUnsigned(size) || size > in_.size() - pos_) return Fail();
    value = in_.substr(pos_, size);
    pos_ += size;
    return ok_;
  }
  bool GetString(std::string& value) {
    std::string_view view;
    if (!GetView(view)) return false;
    value.assign(view);
    return ok_;
  }
  bool GetDouble(double& value) {
    std::uint64_t bits;
    if (!GetUnsigned(bits)) return false;
    __builtin_memcpy(&value, &bits, sizeof value);
    return ok_;
  }
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace handoff
