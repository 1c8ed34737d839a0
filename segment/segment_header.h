// The segment header: the first 64 bytes of every segment file. Little-endian.
//
//   byte  size  field
//   0     8     magic           "SPOOLSEG"
//   8     4     format_version  1
//   12    4     header_bytes    64 (frames start here)
//   16    8     log_id          random id of the log; seeds every frame checksum
//   24    8     base_offset     offset of the segment's first record; also the file name
//   32    8     created_ns      wall-clock creation time
//   40    16    reserved        zero
//   56    8     checksum        XXH3-64 of bytes 0..55
//
// Segment files are named by base offset, 20 decimal digits zero-padded, Kafka style:
// 00000000000000000000.seg, with their sparse index beside them as <base>.idx.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spool::segment {

inline constexpr std::size_t kSegmentHeaderBytes = 64;

// Offsets live in [0, kOffsetLimit): the top half of the 64-bit range is never assigned, so
// "offset + 1" cannot wrap, and a frame or segment name beyond it is damage, not data.
inline constexpr std::uint64_t kOffsetLimit = 1ull << 63;
// A segment holds offsets [base, base + kSegmentOffsetSpan): its sparse index stores them
// relative to the base in 32 bits. The writer rotates before crossing it; a frame beyond it
// is damage.
inline constexpr std::uint64_t kSegmentOffsetSpan = 1ull << 32;
constexpr std::uint64_t segment_offset_end(std::uint64_t base) noexcept {
  return base >= kOffsetLimit - kSegmentOffsetSpan ? kOffsetLimit : base + kSegmentOffsetSpan;
}
inline constexpr std::uint32_t kFormatVersion = 1;

struct SegmentHeader {
  std::uint64_t log_id = 0;
  std::uint64_t base_offset = 0;
  std::int64_t created_ns = 0;
};

void encode_segment_header(const SegmentHeader& header, std::uint8_t out[kSegmentHeaderBytes]);

enum class HeaderCheck : std::uint8_t { kValid, kZero, kBadMagic, kBadVersion, kBadChecksum, kTruncated };
HeaderCheck decode_segment_header(const std::uint8_t* data, std::size_t available,
                                  SegmentHeader* out);
std::string_view header_check_name(HeaderCheck check);

// "00000000000000001234.seg" and friends.
std::string segment_file_name(std::uint64_t base_offset);
std::string index_file_name(std::uint64_t base_offset);
// Parses "<20 digits>.seg" (exactly); nullopt for anything else.
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

inline constexpr std::string_view kSegmentSuffix = ".seg";
inline constexpr std::string_view kIndexSuffix = ".idx";
inline constexpr std::string_view kDeletedSuffix = ".deleted";

}  // namespace spool::segment
