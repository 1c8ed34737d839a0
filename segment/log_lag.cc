// measure_lag(): one record read (to find the byte position of `from`) plus a sum over the
// segment snapshot, so it is cheap enough for every stats() call.
#include "segment/log_lag.h"

#include <algorithm>

#include "segment/frame_format.h"
#include "segment/segment_header.h"

namespace spool::segment {

LogLagFigures measure_lag(const SegmentLog& log, std::uint64_t from, std::uint64_t end) {
  LogLagFigures lag;
  from = std::max(from, log.first_offset());
  if (from >= end) return lag;
  lag.records = end - from;
  LogReader reader = log.scan(from);
  RecordView first;
  if (!reader.next(&first) || first.offset >= end) return lag;
  lag.oldest_timestamp_ns = first.timestamp_ns;
  const std::uint64_t first_position =
      static_cast<std::uint64_t>(first.payload.data() - first.mapping->data()) - kFrameHeaderBytes;
  for (const auto& segment : log.segments()) {
    if (segment->base_offset() < first.segment->base_offset()) continue;
    const std::uint64_t start = segment.get() == first.segment.get() ? first_position : kSegmentHeaderBytes;
    const std::uint64_t stop = segment->committed_end();
    if (stop > start) lag.bytes += stop - start;
  }
  return lag;
}

}  // namespace spool::segment
