#include "segment/segment_header.h"

#include <xxhash.h>

#include <cstdio>
#include <cstring>

#include "io/little_endian.h"
#include "segment/frame_format.h"

namespace spool::segment {

namespace {
constexpr char kSegmentMagic[8] = {'S', 'P', 'O', 'O', 'L', 'S', 'E', 'G'};
}

void encode_segment_header(const SegmentHeader& h, std::uint8_t out[kSegmentHeaderBytes]) {
  std::memset(out, 0, kSegmentHeaderBytes);
  std::memcpy(out, kSegmentMagic, 8);
  io::store_u32(out + 8, kFormatVersion);
  io::store_u32(out + 12, kSegmentHeaderBytes);
  io::store_u64(out + 16, h.log_id);
  io::store_u64(out + 24, h.base_offset);
  io::store_u64(out + 32, static_cast<std::uint64_t>(h.created_ns));
  io::store_u64(out + 56, XXH3_64bits(out, 56));
}

HeaderCheck decode_segment_header(const std::uint8_t* data, std::size_t available,
                                  SegmentHeader* out) {
  if (available < kSegmentHeaderBytes) return HeaderCheck::kTruncated;
  bool all_zero = true;
  for (std::size_t i = 0; i < kSegmentHeaderBytes && all_zero; ++i) all_zero = data[i] == 0;
  if (all_zero) return HeaderCheck::kZero;
  if (std::memcmp(data, kSegmentMagic, 8) != 0) return HeaderCheck::kBadMagic;
  if (XXH3_64bits(data, 56) != io::load_u64(data + 56)) return HeaderCheck::kBadChecksum;
  if (io::load_u32(data + 8) != kFormatVersion || io::load_u32(data + 12) != kSegmentHeaderBytes) {
    return HeaderCheck::kBadVersion;
  }
  out->log_id = io::load_u64(data + 16);
  out->base_offset = io::load_u64(data + 24);
  out->created_ns = static_cast<std::int64_t>(io::load_u64(data + 32));
  return HeaderCheck::kValid;
}

std::string_view header_check_name(HeaderCheck check) {
  switch (check) {
    case HeaderCheck::kValid: return "valid";
    case HeaderCheck::kZero: return "unwritten";
    case HeaderCheck::kBadMagic: return "bad magic";
    case HeaderCheck::kBadVersion: return "unsupported format version";
    case HeaderCheck::kBadChecksum: return "checksum mismatch";
    case HeaderCheck::kTruncated: return "truncated";
  }
  return "unknown";
}

std::string segment_file_name(std::uint64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(base_offset));
  return buf;
}

std::string index_file_name(std::uint64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.idx", static_cast<unsigned long long>(base_offset));
  return buf;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 20 + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value >= kOffsetLimit) return std::nullopt;  // outside the offset space: not ours
  return value;
}

}  // namespace spool::segment
