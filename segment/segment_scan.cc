#include "segment/segment_scan.h"

#include <cstring>

#include "io/little_endian.h"

namespace spool::segment {

std::string_view frame_check_name(FrameCheck check) {
  switch (check) {
    case FrameCheck::kValid: return "valid";
    case FrameCheck::kZero: return "zero bytes";
    case FrameCheck::kBadMagic: return "bad magic";
    case FrameCheck::kTruncated: return "truncated frame";
    case FrameCheck::kTooLarge: return "length too large";
    case FrameCheck::kBadChecksum: return "checksum mismatch";
    case FrameCheck::kBadReserved: return "bad reserved field";
    case FrameCheck::kOffsetOutOfOrder: return "offset out of order";
  }
  return "unknown";
}

namespace {

FrameCheck check_at(const std::uint8_t* data, std::size_t size, std::uint64_t pos,
                    std::uint64_t log_id, std::uint32_t max_payload, std::uint64_t min_offset,
                    std::uint64_t end_offset, FrameHeader* h) {
  FrameCheck c = check_frame(data + pos, size - pos, log_id, max_payload, h);
  if (c == FrameCheck::kValid && (h->offset < min_offset || h->offset >= end_offset)) {
    return FrameCheck::kOffsetOutOfOrder;
  }
  return c;
}

// One past the last non-zero byte in [from, to), or `from` if all are zero.
std::uint64_t end_of_nonzero(const std::uint8_t* data, std::uint64_t from, std::uint64_t to) {
  std::uint64_t end = to;
  // Word-at-a-time from the back; the tail is usually long runs of zeros.
  while (end > from && (end - from) >= 8 && (end % 8) == 0) {
    std::uint64_t w;
    std::memcpy(&w, data + end - 8, 8);
    if (w != 0) break;
    end -= 8;
  }
  while (end > from && data[end - 1] == 0) --end;
  return end;
}

}  // namespace

std::optional<FrameAt> find_next_frame(const std::uint8_t* data, std::size_t size,
                                       std::uint64_t position, std::uint64_t log_id,
                                       std::uint32_t max_payload, std::uint64_t min_offset,
                                       std::uint64_t end_offset) {
  position = (position + kFrameAlignment - 1) & ~(kFrameAlignment - 1);
  for (std::uint64_t pos = position; pos + kFrameHeaderBytes <= size; pos += kFrameAlignment) {
    if (io::load_u32(data + pos) != kFrameMagic) continue;
    FrameHeader h;
    if (check_at(data, size, pos, log_id, max_payload, min_offset, end_offset, &h) ==
        FrameCheck::kValid) {
      return FrameAt{pos, h};
    }
  }
  return std::nullopt;
}

SegmentScan scan_frames(const std::uint8_t* data, std::size_t size, std::uint64_t start,
                        std::uint64_t base_offset, std::uint64_t log_id,
                        std::uint32_t max_payload,
                        const std::function<void(const FrameAt&)>& on_frame) {
  SegmentScan scan;
  scan.summary.data_end = start;
  std::uint64_t pos = start;
  std::uint64_t min_offset = base_offset;
  const std::uint64_t end_offset = segment_offset_end(base_offset);
  while (pos < size) {
    FrameHeader h;
    const FrameCheck c = check_at(data, size, pos, log_id, max_payload, min_offset, end_offset, &h);
    if (c == FrameCheck::kValid) {
      FrameAt f{pos, h};
      if (scan.summary.record_count == 0) scan.summary.first_offset = h.offset;
      ++scan.summary.record_count;
      scan.summary.last_offset = h.offset;
      if (h.timestamp_ns > scan.summary.max_timestamp) scan.summary.max_timestamp = h.timestamp_ns;
      if (on_frame) on_frame(f);
      pos += frame_size(h.payload_length);
      scan.summary.data_end = pos;
      min_offset = h.offset + 1;
      continue;
    }
    // Bad or unwritten bytes at pos: resync to the next valid frame, if any.
    std::optional<FrameAt> next =
        find_next_frame(data, size, pos + kFrameAlignment, log_id, max_payload, min_offset,
                        end_offset);
    if (next) {
      scan.damaged.push_back(DamagedRange{base_offset, pos, next->position,
                                          std::string(frame_check_name(c))});
      pos = next->position;
      continue;
    }
    const std::uint64_t nonzero_end = end_of_nonzero(data, pos, size);
    if (nonzero_end > pos) {
      scan.tail = DamagedRange{base_offset, pos, nonzero_end, std::string(frame_check_name(c))};
    }
    break;
  }
  return scan;
}

}  // namespace spool::segment
