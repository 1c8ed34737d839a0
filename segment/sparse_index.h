// The sparse offset/time index of one segment, and the segment's summary.
//
// One entry per LogOptions::index_interval_bytes of frames (and one for the first frame):
// the record's offset relative to the segment base, its byte position, and the largest
// timestamp of all frames *before* it in the segment. Offsets and positions increase, and
// the running maximum never decreases, so both lookups are binary searches (O(log n)),
// followed by a scan of at most one interval (for time: until a frame's timestamp is >= t).
//
// File <base>.idx, little-endian, written whole (atomically) when a segment is sealed or the
// log closes cleanly; always rebuildable by scanning the segment:
//
//   byte  size  field
//   0     8     magic           "SPOOLIDX"
//   8     4     version         1
//   12    4     entry_count     n
//   16    8     base_offset
//   24    8     data_end        byte position just after the segment's last valid frame
//   32    8     record_count    valid frames in the segment
//   40    8     last_offset     offset of the last valid frame (meaningless when 0 records)
//   48    8     max_timestamp   largest frame timestamp (INT64_MIN when 0 records)
//   56    8     checksum        XXH3-64 of bytes 0..55 and of the n entries
//   64    16*n  entries: u32 relative_offset, u32 position, i64 max_timestamp_before
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace spool::segment {

struct IndexEntry {
  std::uint32_t relative_offset;
  std::uint32_t position;
  std::int64_t max_timestamp_before;
};
static_assert(sizeof(IndexEntry) == 16);

// What a scan or an index file says about a segment's contents.
struct SegmentSummary {
  std::uint64_t data_end = 0;
  std::uint64_t record_count = 0;
  std::uint64_t first_offset = 0;  // valid when record_count > 0
  std::uint64_t last_offset = 0;   // valid when record_count > 0
  std::int64_t max_timestamp = std::numeric_limits<std::int64_t>::min();
};

class SparseIndex {
 public:
  explicit SparseIndex(std::uint32_t interval_bytes = 4096) : interval_(interval_bytes) {}

  // Called for every valid frame in position order; adds an entry when due.
  void on_frame(std::uint64_t base_offset, std::uint64_t offset, std::uint64_t position,
                std::int64_t timestamp_ns);

  // Byte position from which to scan forward for `offset` (0 = no entry at or before it:
  // scan from the first frame).
  std::uint64_t position_for_offset(std::uint64_t base_offset, std::uint64_t offset) const;
  // Byte position from which to scan forward for the first frame with timestamp >= t.
  std::uint64_t position_for_time(std::int64_t timestamp_ns) const;

  const std::vector<IndexEntry>& entries() const noexcept { return entries_; }
  std::int64_t max_timestamp() const noexcept { return max_ts_; }
  void clear();

  // Serialises entries plus summary (see file layout above).
  std::string encode(std::uint64_t base_offset, const SegmentSummary& summary) const;
  // Parses and validates an index file against the segment's base offset and file size.
  // Returns false (leaving *this unchanged) for anything inconsistent.
  bool decode(const std::string& bytes, std::uint64_t base_offset, std::uint64_t file_size,
              SegmentSummary* summary);

 private:
  std::uint32_t interval_;
  std::vector<IndexEntry> entries_;
  std::uint64_t last_entry_position_ = 0;
  std::int64_t max_ts_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace spool::segment
