// ProtobufReader: walks the fields of one protobuf message (wire format as ProtobufWriter
// writes it, engine/sinks/otlp/protobuf_writer.h), over bytes from the network: every length
// is checked against what is left, varints longer than 10 bytes are refused, and groups
// (wire types 3 and 4, which proto3 never uses) are refused rather than skipped.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/sinks/otlp/protobuf_writer.h"

namespace spool::engine {

class ProtobufReader {
 public:
  explicit ProtobufReader(std::string_view message) noexcept : rest_(message) {}

  // Moves to the next field; false at the end of the message or when it is malformed
  // (error() then says why).
  bool next() noexcept {
    if (rest_.empty() || error_ != nullptr) return false;
    std::uint64_t key = 0;
    if (!read_varint(key)) return fail("truncated field key");
    const std::uint64_t field = key >> 3;
    if (field == 0 || field > 0x1fffffff) return fail("invalid field number");
    field_ = static_cast<std::uint32_t>(field);
    wire_ = static_cast<std::uint32_t>(key & 7);
    switch (wire_) {
      case 0:
        return read_varint(number_) || fail("truncated varint");
      case 1:
        return read_fixed(8);
      case 5:
        return read_fixed(4);
      case 2: {
        std::uint64_t length = 0;
        if (!read_varint(length)) return fail("truncated length");
        if (length > rest_.size()) return fail("length-delimited field past the end of its message");
        bytes_ = rest_.substr(0, static_cast<std::size_t>(length));
        rest_.remove_prefix(static_cast<std::size_t>(length));
        return true;
      }
      default:
        return fail("unsupported wire type");
    }
  }

  std::uint32_t field() const noexcept { return field_; }
  WireType wire() const noexcept { return static_cast<WireType>(wire_); }
  // The value of a varint, fixed64 or fixed32 field.
  std::uint64_t number() const noexcept { return number_; }
  double as_double() const noexcept {
    double d;
    std::memcpy(&d, &number_, sizeof d);
    return d;
  }
  // The bytes of a length-delimited field.
  std::string_view bytes() const noexcept { return bytes_; }
  // nullptr while the message reads well.
  const char* error() const noexcept { return error_; }

  // Reads one varint off the front of `in` (a packed repeated field's elements).
  static bool take_varint(std::string_view& in, std::uint64_t& out) noexcept {
    out = 0;
    for (int i = 0; i < 10; ++i) {
      if (in.empty()) return false;
      const auto b = static_cast<std::uint8_t>(in.front());
      in.remove_prefix(1);
      if (i == 9 && b > 1) return false;  // more than 64 bits
      out |= std::uint64_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  static std::uint64_t load_fixed64(const char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
    return v;
  }

 private:
  bool fail(const char* why) noexcept {
    error_ = why;
    return false;
  }
  bool read_varint(std::uint64_t& out) noexcept { return take_varint(rest_, out); }
  bool read_fixed(std::size_t n) noexcept {
    if (rest_.size() < n) return fail("truncated fixed-width field");
    number_ = 0;
    for (std::size_t i = 0; i < n; ++i) number_ |= std::uint64_t{static_cast<std::uint8_t>(rest_[i])} << (8 * i);
    rest_.remove_prefix(n);
    return true;
  }

  std::string_view rest_;
  const char* error_ = nullptr;
  std::uint32_t field_ = 0;
  std::uint32_t wire_ = 0;
  std::uint64_t number_ = 0;
  std::string_view bytes_;
};

}  // namespace spool::engine
