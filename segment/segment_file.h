// One segment file: its header, its mmap'd bytes, its sparse index and summary.
//
// The writer appends frames through the log's FileAppender at committed_end() and then
// publishes the new end with release semantics; readers load it with acquire and read
// frames in place below it. The active segment is preallocated (fallocate) to its capacity
// and mapped whole, so appended bytes appear in the mapping without remapping. Sealing
// syncs it, trims the file to its data end and writes its index file.
//
// Descriptors: only the active (writable) segment keeps one. Sealing closes it, and a
// sealed segment opened by recovery reads its header with pread and closes it at once:
// a mapping does not need its descriptor, and a log of 10,000 segments must open under
// `ulimit -n 256`. The rare operations that need a descriptor on a sealed segment (an
// fdatasync after it was sealed, a lazy mapping) open one for the call and close it.
//
// Mappings: the active segment is mapped for life. A sealed segment is mapped on first
// read (map()) and may be unmapped when unused (SegmentMappings bounds how many are mapped);
// readers hold the mapping they use through the shared pointer map() returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/file.h"
#include "io/mmap_region.h"
#include "segment/segment_header.h"
#include "segment/segment_mappings.h"
#include "segment/segment_scan.h"
#include "segment/sparse_index.h"
#include "spool/status.h"

namespace spool::segment {

// Why a range is damage when the mapping could not deliver it (io/mapped_read_guard.h).
inline constexpr std::string_view kUnreadableReason =
    "unreadable (I/O error, or the file is shorter than its mapping)";

class SegmentFile : public std::enable_shared_from_this<SegmentFile> {
 public:
  // The bytes of the file, mapped read-only; alive while someone holds it.
  using Mapping = std::shared_ptr<const io::MmapRegion>;

  ~SegmentFile();
  // Creates <dir>/<base>.seg preallocated to `capacity` bytes with a fresh header and, with
  // `sync_dir`, fsyncs the directory so the new name survives power loss. `mappings`
  // (optional) bounds the mapped sealed segments once this one is sealed.
  static Result<std::shared_ptr<SegmentFile>> create(const std::string& dir, std::uint64_t base,
                                                     std::uint64_t log_id, std::uint64_t capacity,
                                                     std::uint32_t index_interval,
                                                     bool sync_dir = true,
                                                     mode_t file_mode = io::kPrivateFileMode,
                                                     std::shared_ptr<SegmentMappings> mappings = nullptr);
  // Opens an existing segment (no scan yet). Writable: keeps its descriptor and maps its
  // current file size, as the active segment. Read-only: reads the header and closes the
  // descriptor; the bytes are mapped on first map().
  static Result<std::shared_ptr<SegmentFile>> open(const std::string& dir, std::uint64_t base,
                                                   bool writable, std::uint32_t index_interval,
                                                   mode_t file_mode = io::kPrivateFileMode,
                                                   std::shared_ptr<SegmentMappings> mappings = nullptr);

  std::uint64_t base_offset() const noexcept { return base_; }
  const std::string& path() const noexcept { return path_; }
  std::string index_path() const;
  HeaderCheck header_check() const noexcept { return header_check_; }
  const SegmentHeader& header() const noexcept { return header_; }
  // The segment's bytes, mapped now if they are not (one open, mmap and close); an error
  // (EMFILE, ENOMEM, the file deleted by retention meanwhile) leaves the segment as it was.
  Result<Mapping> map() const;
  // Whether the bytes are mapped at the moment (tests).
  bool is_mapped() const;
  // Bytes the file had when it was (or will be) mapped: the capacity for the active segment,
  // the file size for one opened by recovery. Readers bound reads by their mapping's size.
  std::uint64_t mapped_bytes() const noexcept { return map_bytes_.load(std::memory_order_acquire); }
  // The descriptor of the active segment (the writer's); -1 once sealed.
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
  // An error only when the bytes cannot be mapped.
  Result<SegmentScan> scan(std::uint64_t log_id, std::uint32_t max_payload);

  // --- a reader following a live log (segment_log.h, refresh()) ---
  enum class FollowStop : std::uint8_t {
    kEndOfData,  // unwritten space, the end of the file, or damage with nothing valid after
    kAtLimit,    // a frame at or past `offset_limit`: more may become readable here
  };
  // Extends index, summary and committed_end() over the frames written after
  // committed_end() whose offsets are below `offset_limit` (the committed offset). Damage
  // between such frames is passed over (readers skip and count it). One thread at a time;
  // readers may read concurrently. Each page is probed just before it is read (a scan probes
  // the whole file first), so a writer trimming the file as it seals it cannot fault the
  // walk. `damaged` (optional) receives the damage passed over.
  Result<FollowStop> follow(std::uint64_t log_id, std::uint32_t max_payload, std::uint64_t offset_limit,
                            std::vector<DamagedRange>* damaged = nullptr);
  // Forgets index, summary and committed end (a follower about to walk it from the start).
  void forget_frames();
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
  // fdatasync (of a sealed segment: through a descriptor opened for the call).
  Status datasync() const;
  // Starts writeback of the segment's dirty pages without waiting for it.
  void start_writeback() const { (void)file_.start_writeback(); }
  // Writes <base>.idx (atomically) from the in-memory index and summary.
  Status write_index() const;
  // Trims the file to its data end, writes the index and closes the descriptor (with
  // `start_writeback`, after starting the writeback of its dirty pages). From here on the
  // segment is read-only and its mapping may be dropped when unused.
  Status seal(bool start_writeback = false);

 private:
  friend class SegmentMappings;
  SegmentFile() = default;
  // Maps the whole file through the open descriptor (the active segment).
  Status map_whole_file();
  // Opens the file for the call and maps it whole; map_mu_ held.
  Status map_by_path_locked() const;
  // Drops this segment's reference to its mapping (SegmentMappings, under its mutex).
  void drop_mapping() const;

  std::string dir_;
  std::string path_;
  std::uint64_t base_ = 0;
  std::uint32_t index_interval_ = 4096;
  mode_t file_mode_ = io::kPrivateFileMode;  // of the segment and of its index
  io::File file_;  // open while the segment is writable
  std::shared_ptr<SegmentMappings> mappings_;  // null: sealed mappings are never dropped
  mutable std::mutex map_mu_;  // guards map_
  mutable Mapping map_;
  mutable std::atomic<std::uint64_t> map_bytes_{0};  // set where map_ is
  // Writable segments are mapped for life and never listed in mappings_.
  std::atomic<bool> pinned_{false};
  // Position in mappings_' list, guarded by mappings_' mutex.
  mutable SegmentMappings::List::iterator lru_pos_;
  mutable bool lru_listed_ = false;
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
