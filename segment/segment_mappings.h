// SegmentMappings: bounds how many sealed segments of one log are mapped at a time.
//
// Why a bound: a mapping costs no descriptor, but each one is a VMA (vm.max_map_count is
// 65530 by default, shared with the allocator, the loader and everything else in the
// process) and address space (10,000 segments of 64 MiB are 640 GB). A log keeps a backlog
// on disk, so its segment count is bounded by the disk, not by configuration; the mappings
// must not be. Sealed segments are therefore mapped lazily, on first read, and the least
// recently used ones beyond the limit are unmapped. Whoever reads holds the mapping by
// shared ownership (a LogReader while it is in the segment, a RecordView for its payload),
// so unmapping here only drops the segment's own reference: the bytes go away when the
// last reader lets go. The active segment is never counted or unmapped: it is written to
// and read at its tail all the time.
//
// Measured (x86-64, 4 KiB segments): mapping a sealed segment on demand is one open, one
// mmap and one close (a few microseconds), paid once per segment by a sequential reader and
// again only when a reader comes back to a segment evicted meanwhile. The default limit
// (LogOptions::max_mapped_segments, 1024) keeps at most 1024 VMAs and, with the default
// 64 MiB segments, 64 GiB of address space per log, while a forwarder and a few random
// readers never remap in steady state.
//
// Lock order: SegmentMappings::mu_, then a segment's mapping mutex. A segment never calls
// in here while holding its own.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>

namespace spool::segment {

class SegmentFile;

class SegmentMappings {
 public:
  // `limit` 0: no limit.
  explicit SegmentMappings(std::size_t limit) : limit_(limit) {}
  SegmentMappings(const SegmentMappings&) = delete;
  SegmentMappings& operator=(const SegmentMappings&) = delete;

  // `seg` (sealed) is mapped and was just used: it becomes the most recently used, and the
  // least recently used segments beyond the limit are unmapped.
  void touch(const std::shared_ptr<const SegmentFile>& seg);
  // `seg` is being destroyed (or no longer mapped): forget it.
  void forget(const SegmentFile* seg);
  // Sealed segments mapped now (by this count).
  std::size_t mapped() const;
  std::size_t limit() const noexcept { return limit_; }

 private:
  struct Entry {
    std::weak_ptr<const SegmentFile> seg;
    const SegmentFile* raw;  // for its list position, also while it is being destroyed
  };
  friend class SegmentFile;  // holds its position in lru_ (guarded by mu_)
  using List = std::list<Entry>;
  const std::size_t limit_;
  mutable std::mutex mu_;
  List lru_;  // front: least recently used
};

}  // namespace spool::segment
