// One segment file: its header, its mmap'd bytes, its sparse index and summary.
//
// The writer appends frames through the log's FileAppender at committed_end() and then
// publishes the new end with release semantics; readers load it with acquire and read
// frames in place below it. The active segment is preallocated (fallocate) to its capacity
// and mapped whole, so appended bytes appear in the mapping without remapping. Sealing
// syncs it, trims the file to its data end and writes its index file.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "io/file.h"
#include "io/mmap_region.h"
#include "segment/segment_header.h"
#include "segment/segment_scan.h"
#include "segment/sparse_index.h"
#include "spool/status.h"

namespace spool::segment {

// errno (negative, as io/ returns it) to a Status naming the operation and path.
Status errno_status(int neg_errno, const std::string& what);

class SegmentFile {
 public:
  // Creates <dir>/<base>.seg preallocated to `capacity` bytes with a fresh header and, with
  // `sync_dir`, fsyncs the directory so the new name survives power loss.
  static Result<std::shared_ptr<SegmentFile>> create(const std::string& dir, std::uint64_t base,
                                                     std::uint64_t log_id, std::uint64_t capacity,
                                                     std::uint32_t index_interval,
                                                     bool sync_dir = true,
                                                     mode_t file_mode = io::kPrivateFileMode);
  // Opens an existing segment and maps its current file size (no scan yet).
  static Result<std::shared_ptr<SegmentFile>> open(const std::string& dir, std::uint64_t base,
                                                   bool writable, std::uint32_t index_interval,
                                                   mode_t file_mode = io::kPrivateFileMode);

  std::uint64_t base_offset() const noexcept { return base_; }
  const std::string& path() const noexcept { return path_; }
  std::string index_path() const;
  HeaderCheck header_check() const noexcept { return header_check_; }
  const SegmentHeader& header() const noexcept { return header_; }
  const std::uint8_t* data() const noexcept { return map_.data(); }
  std::uint64_t mapped_bytes() const noexcept { return map_.size(); }
  int fd() const noexcept { return file_.fd(); }
  bool sealed() const noexcept { return sealed_.load(std::memory_order_acquire); }

  // End of the last frame readers may see.
  std::uint64_t committed_end() const noexcept { return end_.load(std::memory_order_acquire); }

  // Summary and index lookups (thread-safe against the writer).
  SegmentSummary summary() const;
  std::uint64_t position_for_offset(std::uint64_t offset) const;
  std::uint64_t position_for_time(std::int64_t timestamp_ns) const;

  // --- recovery ---
  // Scans every frame from the header on, rebuilding index and summary from what it finds.
  SegmentScan scan(std::uint64_t log_id, std::uint32_t max_payload);
  // Loads <base>.idx; false if missing or inconsistent with this file.
  bool load_index();
  // Rewrites a missing or damaged header (a segment whose creation was cut short).
  Status rewrite_header(std::uint64_t log_id);
  // Cuts everything after `data_end` (a torn tail) and re-reserves the capacity.
  Status truncate_tail(std::uint64_t data_end);
  // Grows the file (and mapping) to at least `capacity` so it can take appends.
  Status ensure_capacity(std::uint64_t capacity);

  // --- writer ---
  // Records that frames were written (index + summary), under one lock for the batch;
  // visible to readers only after publish().
  struct FrameNote {
    std::uint64_t offset, position, bytes;
    std::int64_t timestamp_ns;
  };
  void note_frames(std::span<const FrameNote> frames);
  void note_frame(std::uint64_t offset, std::uint64_t position, std::int64_t timestamp_ns,
                  std::uint64_t frame_bytes) {
    const FrameNote f{offset, position, frame_bytes, timestamp_ns};
    note_frames(std::span<const FrameNote>(&f, 1));
  }
  void publish() noexcept { end_.store(pending_end_, std::memory_order_release); }
  std::uint64_t write_position() const noexcept { return pending_end_; }
  Status datasync() const;
  // Starts writeback of the segment's dirty pages without waiting for it.
  void start_writeback() const { (void)file_.start_writeback(); }
  // Writes <base>.idx (atomically) from the in-memory index and summary.
  Status write_index() const;
  // Trims the file to its data end and writes the index; the caller synced it first.
  Status seal();

 private:
  SegmentFile() = default;
  Status map_whole_file();

  std::string dir_;
  std::string path_;
  std::uint64_t base_ = 0;
  std::uint32_t index_interval_ = 4096;
  mode_t file_mode_ = io::kPrivateFileMode;  // of the segment and of its index
  io::File file_;
  io::MmapRegion map_;
  HeaderCheck header_check_ = HeaderCheck::kZero;
  SegmentHeader header_;
  std::atomic<std::uint64_t> end_{kSegmentHeaderBytes};
  std::uint64_t pending_end_ = kSegmentHeaderBytes;  // writer-only
  std::atomic<bool> sealed_{false};
  bool writable_ = false;

  mutable std::mutex mu_;  // guards index_ and summary_
  SparseIndex index_;
  SegmentSummary summary_;
};

}  // namespace spool::segment
