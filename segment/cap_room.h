// CapRoom: how many more frames a log can take before its disk use would pass its size cap,
// for a writer that must not pass it (SizeCapRule::kKeepNeeded; SegmentLog::cap_room()).
//
// A log's disk use grows only when it rotates: the active segment is preallocated whole, so
// frames that fit in it cost nothing more, and each new segment costs segment_bytes. The room
// is therefore the active segment's free bytes plus whole new segments; take() walks frames
// through it exactly as append does (a frame never spans two segments).
#pragma once

#include <cstdint>
#include <limits>

namespace spool::segment {

struct CapRoom {
  bool capped = false;                 // false: no size cap, every frame fits
  std::uint64_t active_free = 0;       // bytes left in the active segment
  std::uint64_t new_segments = 0;      // segments the log may still add under its cap
  std::uint64_t segment_capacity = 0;  // frame bytes a new segment holds

  // Takes the room of one frame of `frame_bytes`; false (taking nothing) when it does not fit.
  bool take(std::uint64_t frame_bytes) noexcept {
    if (!capped || frame_bytes <= active_free) {
      if (capped) active_free -= frame_bytes;
      return true;
    }
    if (new_segments == 0 || frame_bytes > segment_capacity) return false;
    --new_segments;
    active_free = segment_capacity - frame_bytes;
    return true;
  }
};

}  // namespace spool::segment
