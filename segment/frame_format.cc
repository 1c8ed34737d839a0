#include "segment/frame_format.h"

// Inlined so the compiler can specialise XXH3 for our call sites (a measurable share of the
// append path when it goes through the shared library).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "io/little_endian.h"

namespace spool::segment {

namespace {

std::uint64_t frame_checksum(const std::uint8_t* header, std::uint64_t log_id,
                             std::span<const std::uint8_t> payload) noexcept {
  const XXH64_hash_t payload_hash = XXH3_64bits(payload.data(), payload.size());
  return XXH3_64bits_withSeed(header, 32, log_id ^ payload_hash);
}

}  // namespace

void encode_frame_header(std::uint8_t* out, std::uint64_t log_id, const FrameHeader& h,
                         std::span<const std::uint8_t> payload) noexcept {
  io::store_u32(out + 0, kFrameMagic);
  io::store_u32(out + 4, h.payload_length);
  io::store_u64(out + 8, h.offset);
  io::store_u64(out + 16, static_cast<std::uint64_t>(h.timestamp_ns));
  io::store_u16(out + 24, h.record_type);
  io::store_u16(out + 26, h.flags);
  io::store_u32(out + 28, 0);
  io::store_u64(out + 32, frame_checksum(out, log_id, payload));
}

void encode_frame(std::uint8_t* out, std::uint64_t log_id, const FrameHeader& header,
                  std::span<const std::uint8_t> payload) noexcept {
  encode_frame_header(out, log_id, header, payload);
  if (!payload.empty()) std::memcpy(out + kFrameHeaderBytes, payload.data(), payload.size());
  const std::uint64_t total = frame_size(payload.size());
  const std::uint64_t used = kFrameHeaderBytes + payload.size();
  if (total > used) std::memset(out + used, 0, total - used);
}

FrameCheck check_frame(const std::uint8_t* data, std::size_t available, std::uint64_t log_id,
                       std::uint32_t max_payload, FrameHeader* header) noexcept {
  if (available < 4) return FrameCheck::kTruncated;
  const std::uint32_t magic = io::load_u32(data);
  if (magic == 0) return FrameCheck::kZero;
  if (magic != kFrameMagic) return FrameCheck::kBadMagic;
  if (available < kFrameHeaderBytes) return FrameCheck::kTruncated;
  const std::uint32_t length = io::load_u32(data + 4);
  if (length > max_payload) return FrameCheck::kTooLarge;
  if (io::load_u32(data + 28) != 0) return FrameCheck::kBadReserved;
  if (frame_size(length) > available) return FrameCheck::kTruncated;
  const std::span<const std::uint8_t> payload(data + kFrameHeaderBytes, length);
  if (frame_checksum(data, log_id, payload) != io::load_u64(data + 32)) return FrameCheck::kBadChecksum;
  header->payload_length = length;
  header->offset = io::load_u64(data + 8);
  header->timestamp_ns = static_cast<std::int64_t>(io::load_u64(data + 16));
  header->record_type = io::load_u16(data + 24);
  header->flags = io::load_u16(data + 26);
  return FrameCheck::kValid;
}

}  // namespace spool::segment
