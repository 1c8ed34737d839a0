// Lowercase hex text of bytes and of 64-bit values (log ids, checksums, trace and span ids):
// the one encoder (and the parser of a 64-bit value), so every id reads the same wherever spool
// prints it. Writing into a caller's buffer allocates nothing (the forwarder formats ids per
// record).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spool::io {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// 2 * n hex digits of `bytes` (first byte first) at `out`; no terminating NUL.
inline void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 0xf];
  }
}

// The 16 hex digits of `v` (most significant first, leading zeros kept) at `out`; no NUL.
inline void write_hex_u64(std::uint64_t v, char* out) noexcept {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHexDigits[v & 0xf];
    v >>= 4;
  }
}

inline std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out(2 * bytes.size(), '0');
  write_hex(bytes.data(), bytes.size(), out.data());
  return out;
}

// "%016llx" of `v`.
inline std::string hex_u64(std::uint64_t v) {
  std::string out(16, '0');
  write_hex_u64(v, out.data());
  return out;
}

// Exactly 16 lowercase hex digits (as hex_u64 writes them) into *out; false for anything else.
inline bool parse_hex_u64(std::string_view s, std::uint64_t* out) noexcept {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return std::from_chars(s.data(), s.data() + s.size(), *out, 16).ec == std::errc();
}

}  // namespace spool::io
