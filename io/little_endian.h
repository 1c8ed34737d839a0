// Loads and stores of little-endian integers at any alignment: the byte order of every
// on-disk and on-wire format spool defines (frames, segment headers, checkpoints, indexes,
// cursor files, dead letters, native batches). spool builds only for little-endian hosts, so
// each is one unaligned move.
#pragma once

#include <cstdint>
#include <cstring>

namespace spool::io {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "spool's on-disk format is little-endian");

inline std::uint16_t load_u16(const std::uint8_t* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint64_t load_u64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_u16(std::uint8_t* p, std::uint16_t v) noexcept { std::memcpy(p, &v, sizeof v); }
inline void store_u32(std::uint8_t* p, std::uint32_t v) noexcept { std::memcpy(p, &v, sizeof v); }
inline void store_u64(std::uint8_t* p, std::uint64_t v) noexcept { std::memcpy(p, &v, sizeof v); }

}  // namespace spool::io
