// The frame: one record on disk. This comment is the format's documentation.
//
// A segment file is a 64-byte segment header (segment_header.h) followed by frames packed
// back to back. Every frame starts at an 8-byte-aligned position and is padded with zero
// bytes to a multiple of 8, so payloads are 8-byte aligned in the mmap'd file and a
// FlatBuffers table can be read in place. All integers are little-endian.
//
//   byte  size  field
//   0     4     magic            0x46 0x4C 0x50 0x53 ("SPLF" read as u32 LE = 0x53504C46)
//   4     4     payload_length   bytes of payload, 0 .. LogOptions::max_record_bytes
//   8     8     offset           the record's 64-bit log offset
//   16    8     timestamp_ns     signed nanoseconds since the Unix epoch
//   24    2     record_type      application-defined type tag (0 = raw bytes)
//   26    2     flags            application-defined flags
//   28    4     reserved         zero
//   32    8     checksum         XXH3-64 of bytes 0..31 of this header, seeded with
//                                log id XOR XXH3-64(payload) — so it covers header, payload
//                                and the log's identity (the payload is hashed unseeded:
//                                a seeded XXH3 of a long input rebuilds its secret per call)
//   40    n     payload
//   40+n  pad   zero bytes up to the next multiple of 8
//
// Why per-frame magic + checksum rather than LevelDB-style 32 KiB blocks: records stay
// contiguous (zero-copy reads, no fragment reassembly), a reader resyncs after damage by
// probing every 8-byte-aligned position for a frame whose magic, bounds, offset order and
// checksum all hold, so one flipped byte costs exactly the frame it lands in. Seeding the
// checksum with the log id means a frame copied into another log's payload never validates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace spool::segment {

inline constexpr std::uint32_t kFrameMagic = 0x53504C46u;  // "FLPS" bytes on disk: F L P S
inline constexpr std::size_t kFrameHeaderBytes = 40;
inline constexpr std::size_t kFrameAlignment = 8;

// Decoded frame header (without the checksum, which is only checked, never carried).
struct FrameHeader {
  std::uint32_t payload_length = 0;
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t record_type = 0;
  std::uint16_t flags = 0;
};

// Total on-disk size of a frame with `payload_length` bytes of payload, padding included.
constexpr std::uint64_t frame_size(std::uint64_t payload_length) noexcept {
  return (kFrameHeaderBytes + payload_length + kFrameAlignment - 1) & ~(kFrameAlignment - 1);
}

// Writes header + payload + padding into `out` (which must hold frame_size(payload) bytes).
void encode_frame(std::uint8_t* out, std::uint64_t log_id, const FrameHeader& header,
                  std::span<const std::uint8_t> payload) noexcept;

// Writes only the 40-byte header for a payload that the caller places right after it
// (e.g. through an iovec), computing the checksum over that payload.
void encode_frame_header(std::uint8_t* out, std::uint64_t log_id, const FrameHeader& header,
                         std::span<const std::uint8_t> payload) noexcept;

enum class FrameCheck : std::uint8_t {
  kValid,
  kZero,          // the magic field is all zero bytes: unwritten (preallocated) space
  kBadMagic,
  kTruncated,     // header or payload runs past the readable end
  kTooLarge,      // payload_length above the limit
  kBadChecksum,
  kBadReserved,
  kOffsetOutOfOrder,  // valid by itself, but its offset does not follow the frame before or
                      // lies outside its segment's offset span (set by the segment
                      // scanner, never by check_frame)
};

// Validates the frame starting at `data` (at most `available` readable bytes). On kValid,
// fills `header`. Never reads outside [data, data + available).
FrameCheck check_frame(const std::uint8_t* data, std::size_t available, std::uint64_t log_id,
                       std::uint32_t max_payload, FrameHeader* header) noexcept;


}  // namespace spool::segment
