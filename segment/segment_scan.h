// Walking the frames of one segment image: the shared core of recovery, verification and
// reading. Everything here works on a byte range and never reads outside it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "segment/frame_format.h"
#include "segment/recovery_report.h"
#include "segment/segment_header.h"
#include "segment/sparse_index.h"

namespace spool::segment {

struct FrameAt {
  std::uint64_t position = 0;
  FrameHeader header;
};

// Looks for the next valid frame at or after `position` (8-byte aligned positions only)
// whose offset is in [min_offset, end_offset). Returns nullopt when there is none before
// `size`. Pass segment_offset_end(base) as end_offset when scanning a segment.
std::optional<FrameAt> find_next_frame(const std::uint8_t* data, std::size_t size,
                                       std::uint64_t position, std::uint64_t log_id,
                                       std::uint32_t max_payload, std::uint64_t min_offset,
                                       std::uint64_t end_offset = kOffsetLimit);

std::string_view frame_check_name(FrameCheck check);

struct SegmentScan {
  SegmentSummary summary;
  std::vector<DamagedRange> damaged;   // bad bytes with valid frames after them
  std::optional<DamagedRange> tail;    // non-zero bad bytes after the last valid frame
};

// Scans frames from `start` (normally kSegmentHeaderBytes) to `size`, calling on_frame for
// each valid frame in order. Offsets must start at >= base_offset, strictly increase and
// stay below segment_offset_end(base_offset); a frame that breaks that counts as damage. Zero bytes after the last valid frame are
// unwritten space, not damage.
SegmentScan scan_frames(const std::uint8_t* data, std::size_t size, std::uint64_t start,
                        std::uint64_t base_offset, std::uint64_t log_id,
                        std::uint32_t max_payload,
                        const std::function<void(const FrameAt&)>& on_frame);

}  // namespace spool::segment
