// ProtobufWriter: the protobuf wire format written by hand (no libprotobuf), into a buffer
// the caller reuses across requests: WireBytes for request bodies (grown without
// zero-filling, see wire_bytes.h), std::string for small messages (StringProtobufWriter).
//
// Wire format (protobuf encoding spec): every field is a key varint (field_number << 3 |
// wire_type) followed by a varint (type 0), 8 little-endian bytes (type 1), or a varint length
// and that many bytes (type 2: strings, bytes, nested messages, packed repeated scalars).
//
// Nested messages are written in one pass by back-patching: begin_message() reserves the
// number of length bytes the caller expects (a hint), end_message() writes the canonical
// (shortest) varint of the actual length there and, when the hint was wrong, moves the body
// by the difference. Output is therefore always canonical protobuf; a good hint only saves
// the move.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/sinks/otlp/wire_bytes.h"

namespace spool::engine {

enum class WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  // 1 byte per started group of 7 bits; 0 still takes one byte.
  return v == 0 ? 1 : (static_cast<std::size_t>(std::bit_width(v)) + 6) / 7;
}

constexpr std::uint32_t field_key(std::uint32_t field, WireType type) noexcept {
  return (field << 3) | static_cast<std::uint32_t>(type);
}

// Bytes of a length-delimited field holding `payload` bytes (key, length, payload).
constexpr std::size_t length_delimited_size(std::uint32_t field, std::size_t payload) noexcept {
  return varint_size(field_key(field, WireType::kLengthDelimited)) + varint_size(payload) + payload;
}

// Sets the size of a writer's buffer; bytes it adds are written before they are read.
inline void resize_for_writer(WireBytes& bytes, std::size_t n) { bytes.resize_for_overwrite(n); }
inline void resize_for_writer(std::string& bytes, std::size_t n) { bytes.resize(n); }

template <typename Bytes>
class BasicProtobufWriter {
 public:
  // Writes after out->size(); finish() trims the spare capacity it used.
  explicit BasicProtobufWriter(Bytes* out) : out_(out) {
    used_ = out_->size();
    // The spare capacity is written into directly (WireBytes: without zero-filling it).
    if (out_->capacity() > used_) resize_for_writer(*out_, out_->capacity());
  }
  BasicProtobufWriter(const BasicProtobufWriter&) = delete;
  BasicProtobufWriter& operator=(const BasicProtobufWriter&) = delete;

  // Shrinks the buffer to what was written.
  void finish() { resize_for_writer(*out_, used_); }
  std::size_t size() const noexcept { return used_; }

  void varint(std::uint64_t v) {
    ensure(10);
    char* p = out_->data() + used_;
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
    used_ = static_cast<std::size_t>(p - out_->data());
  }
  void key(std::uint32_t field, WireType type) { varint(field_key(field, type)); }

  void field_varint(std::uint32_t field, std::uint64_t v) {
    key(field, WireType::kVarint);
    varint(v);
  }
  void field_fixed64(std::uint32_t field, std::uint64_t v) {
    key(field, WireType::kFixed64);
    fixed64(v);
  }
  void field_double(std::uint32_t field, double v) { field_fixed64(field, std::bit_cast<std::uint64_t>(v)); }
  void field_bytes(std::uint32_t field, const void* data, std::size_t n) {
    key(field, WireType::kLengthDelimited);
    varint(n);
    raw(data, n);
  }
  void field_string(std::uint32_t field, std::string_view s) { field_bytes(field, s.data(), s.size()); }

  void fixed64(std::uint64_t v) {
    ensure(8);
    char* p = out_->data() + used_;
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
    used_ += 8;
  }
  void raw(const void* data, std::size_t n) {
    if (n == 0) return;
    ensure(n);
    std::memcpy(out_->data() + used_, data, n);
    used_ += n;
  }

  // A nested message (or packed field) of `field`: write its content, then end_message().
  struct Mark {
    std::size_t length_at;
    std::size_t reserved;
  };
  Mark begin_message(std::uint32_t field, std::size_t length_bytes_hint = 1) {
    key(field, WireType::kLengthDelimited);
    ensure(length_bytes_hint);
    Mark m{used_, length_bytes_hint};
    used_ += length_bytes_hint;
    return m;
  }
  void end_message(Mark m) {
    const std::size_t body_at = m.length_at + m.reserved;
    const std::size_t length = used_ - body_at;
    const std::size_t need = varint_size(length);
    if (need != m.reserved) {
      if (need > m.reserved) ensure(need - m.reserved);
      char* base = out_->data();
      std::memmove(base + m.length_at + need, base + body_at, length);
      used_ = used_ + need - m.reserved;
    }
    char* p = out_->data() + m.length_at;
    std::uint64_t v = length;
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p = static_cast<char>(v);
  }

 private:
  void ensure(std::size_t n) {
    if (out_->size() - used_ < n) grow(n);
  }
  void grow(std::size_t n) {
    std::size_t want = out_->size() * 2;
    if (want < used_ + n) want = used_ + n;
    if (want < 4096) want = 4096;
    resize_for_writer(*out_, want);
  }

  Bytes* out_;
  std::size_t used_ = 0;
};

using ProtobufWriter = BasicProtobufWriter<WireBytes>;
using StringProtobufWriter = BasicProtobufWriter<std::string>;

}  // namespace spool::engine
