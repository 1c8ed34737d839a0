// How much of a log lies beyond a position (a consumer cursor): records, bytes, and the
// buffered-at time of the first of them.
#pragma once

#include <cstdint>

#include "segment/segment_log.h"

namespace spool::segment {

struct LogLagFigures {
  std::uint64_t records = 0;            // offsets from `from` (or the first offset) to `end`
  std::uint64_t bytes = 0;              // frame bytes of those records
  std::int64_t oldest_timestamp_ns = 0; // timestamp of the first of them; 0 when there are none
};

// `end` is the exclusive end offset to count to (the committed end for a reader).
LogLagFigures measure_lag(const SegmentLog& log, std::uint64_t from, std::uint64_t end);

}  // namespace spool::segment
