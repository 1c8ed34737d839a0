// SegmentLog: the durable, offset-addressed log of one directory.
//
// Layout of a log directory:
//   SPOOL_LOG                     the marker: makes the directory a log (log_marker.h)
//   LOCK                          flock'd by the one writer; holds its pid
//   LOG_STATE                     shared-memory header: writer, written and committed
//                                 offsets, segments version (log_state.h)
//   checkpoint                    log id, recovery point, clean-shutdown flag (log_checkpoint.h)
//   00000000000000000000.seg      segment files named by base offset (segment_header.h)
//   00000000000000000000.idx      sparse offset/time index + summary of each segment
//   cursors/<name>.cursor         consumer cursors (cursor_store.h); retention keeps what
//                                 they still need
//   cursors/<name>.lock           flock'd by the forwarder that owns the cursor (cursor_lock.h)
//   deadletter/                   the dead-letter log: a log directory of its own
//
// Threading: one thread appends (the writer); any number of threads may read concurrently
// with it. Readers see records up to the committed position, published with release
// semantics after the bytes are written (and synced, per durability mode).
//
// Other processes: the writer publishes its committed offset in LOG_STATE (log_state.h).
// A log opened kReadOnly while a live writer holds it (the pid and start time LOG_STATE
// records belong to a running process) reads only below that committed offset: frames at
// or past it may be half-written and are neither read nor reported as damage. refresh()
// follows the writer: new records, rotation, and retention deleting segments.
//
// fork(): a log opened for writing belongs to the process that opened it. In a child of
// fork() append, sync and enforce_retention fail with ForkChild and change nothing; close()
// and the destructor free memory and close the child's descriptors without syncing, writing
// an index or a checkpoint, or unlocking: the parent keeps writing its log.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/appender.h"
#include "io/dir_lock.h"
#include "io/opening_process.h"
#include "segment/cap_room.h"
#include "segment/log_checkpoint.h"
#include "segment/log_marker.h"
#include "segment/log_state.h"
#include "segment/recovery_report.h"
#include "segment/segment_directory.h"
#include "segment/segment_file.h"
#include "segment/staging_buffer.h"
#include "spool/options.h"
#include "spool/status.h"

namespace spool::segment {

// The error a writer-side object (`what`, e.g. "log /x") opened by process `opener` returns in
// a fork child; `advice` says what the child should do instead.
Status fork_child_status(const std::string& what, const io::OpeningProcess& opener,
                         const std::string& advice);

// Pass as timestamp to stamp a record with the current wall-clock time.
inline constexpr std::int64_t kTimestampNow = std::numeric_limits<std::int64_t>::min();

struct AppendRecord {
  std::uint16_t type = 0;
  std::span<const std::uint8_t> payload;
  std::int64_t timestamp_ns = kTimestampNow;
  std::uint16_t flags = 0;
};

// A record read in place from the mmap'd segment. The payload stays valid for as long as the
// view (or a copy of it) is alive, even if retention deletes the segment meanwhile.
struct RecordView {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::span<const std::uint8_t> payload;
  std::shared_ptr<const SegmentFile> segment;  // the segment it was read from
  SegmentFile::Mapping mapping;                // keeps the payload's bytes mapped
};

// The largest payload a frame can carry in a segment of `segment_bytes` (after the segment
// header and the frame header; frames are 8-byte aligned).
std::uint64_t segment_payload_room(std::uint64_t segment_bytes) noexcept;

// Whether retention keeps what consumer cursors still need (retention.cc).
enum class RetentionCursors : std::uint8_t {
  kRespect,  // the age cap keeps needed segments; only the size cap forces them out (unless
             // LogOptions::size_cap_rule is kKeepNeeded)
  kIgnore,   // both caps apply regardless of cursors (forced-out records still counted)
};

enum class OpenMode : std::uint8_t {
  kReadWrite,  // takes the directory lock, recovers (truncates torn tails), appends
  kReadOnly,   // no lock, never writes: for inspecting a live or damaged log
};

// Steps of deleting one segment, in order; a test hook may stop the process at any of them.
enum class DeletionStep : std::uint8_t {
  kBeforeRename,       // nothing changed yet
  kAfterRenameSegment, // <base>.seg renamed to <base>.seg.deleted
  kAfterRenameIndex,   // <base>.idx renamed to <base>.idx.deleted
  kAfterDirSync,       // renames durable
  kAfterUnlinkSegment, // segment file gone
  kAfterUnlinkIndex,   // both gone
};

class LogReader;

class SegmentLog {
 public:
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Opens (creating if needed, in kReadWrite) the log in `dir` and recovers it.
  static Result<std::unique_ptr<SegmentLog>> open(const std::string& dir, const LogOptions& options,
                                                  OpenMode mode = OpenMode::kReadWrite);

  // Appends one record; returns its offset. The record is acknowledged per durability mode
  // when this returns OK (kNone: written to the page cache; kBatch: fdatasync'd).
  Result<std::uint64_t> append(std::uint16_t type, std::span<const std::uint8_t> payload,
                               std::int64_t timestamp_ns = kTimestampNow);
  // Appends records in order, with one write (per segment touched) and at most one sync.
  // Returns the offset of the first; the rest follow consecutively. All-or-nothing for
  // validation errors (nothing is written if any record is invalid: a caller that must not
  // lose the batch for one record checks each with check_record() first, as the engine's
  // writer does); after an I/O error
  // (full disk at rotation, ...) a prefix may have been appended: next_offset() says where
  // it ended, and the log stays usable, unless the error was a failed sync (see failed()).
  Result<std::uint64_t> append_batch(std::span<const AppendRecord> records);
  // fdatasync of the active segment (and of segments sealed since the last sync), whatever
  // the durability mode.
  Status sync();
  // A failed fdatasync is final (after it the kernel may have dropped the dirty pages and
  // marked them clean, so a retry can succeed without the data reaching the disk): the log
  // enters a failed state in which append/append_batch/sync return that error, the next
  // offset no longer moves, and close() writes no clean checkpoint (the next open scans).
  // OK until then. Writer thread only.
  const Status& failed() const noexcept { return failed_; }
  // Read-only logs: catches up with the log's writer in another process (or thread) through
  // LOG_STATE: new records up to its committed offset, segments it rotated to, segments
  // retention deleted. Cheap when nothing changed (three atomic loads); a no-op for a log
  // opened for writing, or without LOG_STATE (a log no writer of this version has opened).
  // Readers in other threads may read meanwhile; one refresh() at a time (it locks).
  Status refresh();
  // Whether a live writer held the log when it was opened read-only or last refreshed:
  // reads then stop at its committed offset.
  bool follows_live_writer() const noexcept { return live_writer_.load(std::memory_order_acquire); }
  // The writer LOG_STATE records (pid 0 when none, or without LOG_STATE).
  LogWriterIdentity writer() const;

  // Syncs, writes the active index and a clean-shutdown checkpoint, releases the lock.
  // Idempotent; the destructor calls it. In a fork child: only closes (ForkChild).
  Status close();

  // The largest payload append accepts: max_record_bytes, or with 0 the default, bounded by
  // what fits in one segment.
  std::uint32_t max_payload_bytes() const noexcept { return max_payload_bytes_; }
  // OK if append would accept a payload of this size; InvalidArgument (saying why) if not.
  Status check_record(std::size_t payload_bytes) const;

  // Reads the record at `offset`: NotFound if it is before the first offset, at or past the
  // next offset, or was lost to damage.
  Result<RecordView> read(std::uint64_t offset) const;
  // A reader positioned at the first record with offset >= `from`.
  LogReader scan(std::uint64_t from) const;
  // A reader positioned at the first record with timestamp >= `timestamp_ns` (by the index's
  // running maximum of timestamps, so out-of-order timestamps are handled).
  LogReader scan_from_time(std::int64_t timestamp_ns) const;

  // First offset still in the log (== next_offset() when empty).
  std::uint64_t first_offset() const;
  // Offset the next append will get; the last record is next_offset() - 1.
  std::uint64_t next_offset() const noexcept { return next_offset_.load(std::memory_order_acquire); }
  // Offset of the last record present, if any. Offsets between it and next_offset() belong
  // to records that were lost before they were durable; they are not assigned again.
  std::optional<std::uint64_t> last_offset() const;
  // Records in the log per the segments' summaries (damage found by a scan is excluded;
  // damage a reader meets later in a trusted sealed segment is not).
  std::uint64_t record_count() const;
  std::uint64_t size_bytes() const;    // bytes of segment data (headers and frames)
  std::uint64_t disk_bytes() const;    // bytes the segment files occupy (active: preallocated)
  std::size_t segment_count() const;
  // Sealed segments mapped now (at most max_mapped_segments; segment_mappings.h).
  std::size_t mapped_sealed_segments() const { return mappings_->mapped(); }
  std::uint64_t log_id() const noexcept { return log_id_; }
  const std::string& dir() const noexcept { return dir_; }
  const char* io_backend_name() const noexcept;
  const RecoveryReport& recovery_report() const noexcept { return report_; }
  // Monotonic time of the last fdatasync (writer thread; for the interval-sync timer).
  std::int64_t last_sync_ns() const noexcept { return last_sync_ns_; }

  // Deletes whole sealed segments, oldest first, per retention_bytes / retention_max_age_ms,
  // never one a consumer cursor (<dir>/cursors, cursor_store.h) still needs unless the size
  // cap forces it (retention.cc). Runs after every rotation; callable any time. Returns how
  // many segments were deleted.
  Result<std::size_t> enforce_retention();
  Result<std::size_t> enforce_retention(RetentionCursors cursor_rule);
  // Records the size cap deleted although a cursor still needed them (offset >= the cursor
  // floor), counted since open. The engine reports per-cursor losses by comparing a
  // cursor's next_offset with first_offset().
  std::uint64_t retention_forced_records() const noexcept {
    return retention_forced_records_.load(std::memory_order_relaxed);
  }
  // The room under the size cap (cap_room.h), for a writer whose log must not pass it. When
  // the log has no room for another segment, retention runs first (at most every 100 ms: it
  // reads the cursors), so that segments every cursor has passed make room. Writer thread.
  CapRoom cap_room();
  // Whether the last append stopped at the size cap (SizeCapRule::kKeepNeeded: it needed a
  // new segment, and what the cursors still need leaves no room for one). Writer thread.
  bool at_size_cap() const noexcept { return at_size_cap_; }
  // Changes LogOptions::size_cap_rule for the appends and retention passes after it (a
  // writer that lets some records through past the cap). Writer thread.
  void set_size_cap_rule(SizeCapRule rule) noexcept { options_.size_cap_rule = rule; }
  // Changes the retention caps (same meaning as in LogOptions); applied at the next
  // enforce_retention(). 0 turns a cap off.
  void set_retention(std::uint64_t max_bytes, std::uint64_t max_age_ms) {
    options_.retention_bytes = max_bytes;
    options_.retention_max_age_ms = max_age_ms;
  }

  // Called with the new first_offset() after a retention pass deleted segments (in the
  // thread running enforce_retention). Files derived from records (the zstd dictionary) use
  // it to go when their records go. Set it before the log is shared between threads.
  void set_retention_observer(std::function<void(std::uint64_t first_offset)> observer) {
    retention_observer_ = std::move(observer);
  }
  // The options the log runs with (for the log id and modes of files beside it).
  const LogOptions& options() const noexcept { return options_; }

  // Test seam: called at each deletion step (a crash test _exit()s from it).
  void set_deletion_hook(std::function<void(DeletionStep)> hook) { deletion_hook_ = std::move(hook); }

  // Snapshot of the segments, oldest first (for readers and tools).
  std::vector<std::shared_ptr<const SegmentFile>> segments() const;

 private:
  friend class LogReader;
  SegmentLog(std::string dir, LogOptions options, OpenMode mode);

  // Recovery (log_recovery.cc).
  Status recover();
  void clear_leftovers(const DirectoryListing& listing);
  // Lookups for readers, without copying the segment list (a log may hold 10,000
  // segments): the segment that may hold `offset` (the last with base <= offset, else the
  // first), and the first segment with a base above `base`.
  std::shared_ptr<const SegmentFile> segment_for(std::uint64_t offset) const;
  std::shared_ptr<const SegmentFile> segment_after(std::uint64_t base) const;
  Status check_segment_header(SegmentFile& seg, bool last);
  // `incomplete` (beside a live writer): set when records may still be committed into `seg`.
  Status recover_segment(SegmentFile& seg, bool last, const std::optional<LogCheckpoint>& checkpoint,
                         bool full, bool* incomplete);
  Status rotate(std::uint64_t base_offset);
  // Before a rotation under SizeCapRule::kKeepNeeded: OK when a new segment fits under the
  // cap (after retention made what room it may), else NoSpace and at_size_cap().
  Status check_room_for_segment();
  // enforce_retention, with the size cap applied as if `headroom` more bytes were on disk
  // (room for the next segment, under kKeepNeeded).
  Result<std::size_t> enforce_retention(RetentionCursors cursor_rule, std::uint64_t headroom);
  Status write_checkpoint(bool clean, bool durable = true);
  Status record_marker(const std::optional<LogMarker>& existing);
  Status sync_sealed_segment();  // fdatasync of segments sealed since the last sync
  Status datasync_active(const SegmentFile& seg);
  // Enters the failed state (see failed()) after `sync_error`; returns the error to report.
  Status fail_sync(const Status& sync_error);
  Status delete_segment(const SegmentFile& seg);
  Status refuse_in_fork_child() const;
  std::shared_ptr<SegmentFile> active() const;
  // Writer: the committed offset into LOG_STATE (after appends and syncs).
  void publish_committed() noexcept;
  Result<std::uint64_t> append_frames(std::span<const AppendRecord> records);
  // Reader: opens LOG_STATE and decides whether a live writer holds the log (open, refresh).
  // `log_id`: the log's (0: unknown, LOG_STATE is then not trusted).
  Status watch_log_state(std::uint64_t log_id);
  // Reader: extends the last segments up to `committed`, adding the listed segments after
  // them once they are complete (follow_mu_ held).
  Status follow_segments(std::uint64_t committed);

  std::string dir_;
  LogOptions options_;  // max_record_bytes resolved (0 -> the default): the bound for reading
  OpenMode mode_;
  io::OpeningProcess opener_;
  std::uint32_t max_payload_bytes_ = 0;  // the bound for appending
  std::shared_ptr<SegmentMappings> mappings_;
  std::uint64_t log_id_ = 0;
  io::DirLock lock_;
  std::unique_ptr<io::FileAppender> appender_;
  RecoveryReport report_;

  mutable std::mutex segments_mu_;  // guards segments_ (the vector, not the segments)
  std::vector<std::shared_ptr<SegmentFile>> segments_;
  std::atomic<std::uint64_t> next_offset_{0};
  std::uint64_t recovery_point_ = 0;
  // Segments sealed since the last durability sync (interval and batch modes; see rotate()).
  std::vector<std::shared_ptr<SegmentFile>> unsynced_sealed_;
  std::int64_t last_sync_ns_ = 0;
  StagingBuffer staging_;              // frames encoded here, written in one go
  std::vector<SegmentFile::FrameNote> pending_;  // staged frames, indexed once written
  std::function<void(DeletionStep)> deletion_hook_;
  std::function<void(std::uint64_t)> retention_observer_;
  std::atomic<std::uint64_t> retention_forced_records_{0};
  bool at_size_cap_ = false;
  std::int64_t next_cap_retention_ns_ = 0;  // cap_room(): when retention may run again
  bool closed_ = true;  // until open() has recovered the log
  Status failed_;       // set once by a failed sync, never cleared (see failed())

  // LOG_STATE: the writer publishes through it, a read-only log follows it.
  std::optional<LogState> state_;
  // Read-only: reads stop at this offset (LOG_STATE's committed one while a live writer
  // holds the log; kOffsetLimit otherwise).
  std::uint64_t read_limit_ = kOffsetLimit;
  std::atomic<bool> live_writer_{false};
  std::mutex follow_mu_;  // one refresh() at a time; guards the fields below
  std::uint64_t seen_generation_ = 0, seen_segments_version_ = 0, seen_committed_ = 0;
  bool relist_ = false;                     // a segment was found mid-creation: list again
  std::vector<std::uint64_t> listed_after_; // listed segments not yet followed into
};

// Iterates records in offset order from a position, up to the committed end at the time of
// each call, skipping (and counting) damaged bytes. The log must outlive the reader.
class LogReader {
 public:
  friend class SegmentLog;
  LogReader(const SegmentLog* log, std::uint64_t from) : log_(log), next_offset_(from) {}
  // Fills `out` with the next record; false when there is none (yet), or when the next
  // segment could not be mapped (error() says why; the next call tries again).
  bool next(RecordView* out);
  // Why the last next() stopped short of the records there are (EMFILE, ENOMEM, ...); OK
  // when it returned a record or was caught up.
  const Status& error() const noexcept { return error_; }
  std::uint64_t skipped_bytes() const noexcept { return skipped_bytes_; }
  std::uint64_t position_offset() const noexcept { return next_offset_; }

 private:
  const SegmentLog* log_;
  std::uint64_t next_offset_;
  std::shared_ptr<const SegmentFile> segment_;
  // Switches to `segment` at byte `position`.
  void enter(std::shared_ptr<const SegmentFile> segment, std::uint64_t position);
  // min(end, what the mapping can deliver), probing up to `want` (io/mapped_read_guard.h).
  std::uint64_t readable_end(std::uint64_t want, std::uint64_t end);

  SegmentFile::Mapping mapping_;  // segment_'s bytes, held while reading them
  std::uint64_t position_ = 0;  // byte position in segment_ of the next frame to look at
  std::uint64_t probed_end_ = 0;       // mapping_ bytes [.., probed_end_) were readable
  bool unreadable_ = false;            // a probe of segment_ faulted at probed_end_
  Status error_;
  std::uint64_t skipped_bytes_ = 0;
};

}  // namespace spool::segment
