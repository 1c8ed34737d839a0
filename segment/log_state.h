// LogState: DIR/LOG_STATE, the small shared-memory header through which the writer of a log
// tells readers in other processes how far they may read.
//
// The writer (SegmentLog opened kReadWrite, holding DIR/LOCK) creates or takes over the file
// at open, maps it read-write and publishes with atomic stores in the mapping; readers
// (read-only SegmentLogs, spoolctl, a Forwarder in another process) map it read-only and
// load with acquire. Nothing here is durable or needs to be: after a machine crash the file
// says nothing a reader relies on until the next writer has rewritten it at open.
//
// File: exactly 4096 bytes, the log's file_mode, opened with O_NOFOLLOW (never another
// user's file). Native byte order, which is little-endian on every host spool builds for.
// Every u64 field from byte 24 on is read and written as an aligned 64-bit atomic.
//
//   byte  size  field
//   0     8     magic              "SPOOLSTA"; written last when the writer initialises the
//                                  file, so a reader never trusts a half-initialised one
//   8     4     version            1
//   12    4     reserved           zero
//   16    8     log_id             the log's id (as in SPOOL_LOG and every frame)
//   24    8     generation         +1 every time a process becomes the writer
//   32    8     identity_seq       seqlock over bytes 40..63: odd while a writer changes them
//   40    8     writer_pid         pid of the writer; 0 once it closed the log cleanly
//   48    8     writer_start_ticks field 22 of /proc/<pid>/stat of the writer, so that a
//                                  reused pid is not mistaken for the writer
//   56    8     writer_since_ns    wall clock (ns since the Unix epoch) the writer opened at
//   64    8     written_offset     next offset written to the page cache (>= committed)
//   72    8     committed_offset   next offset after the records readers may read: written,
//                                  and synced when the durability mode says so (batch)
//   80    8     segments_version   +1 at every rotation and every retention deletion: a
//                                  reader re-lists the directory only when it moved
//   88    4008  reserved           zero
//
// Readers bound everything they read by committed_offset: frames at or past it may be
// half-written and are never reported as damage while the writer is alive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "io/mmap_region.h"
#include "spool/status.h"

namespace spool::segment {

// Who writes the log, as LOG_STATE records it.
struct LogWriterIdentity {
  pid_t pid = 0;                    // 0: no writer (closed cleanly)
  std::uint64_t start_ticks = 0;    // /proc/<pid>/stat field 22
  std::int64_t since_ns = 0;        // wall clock of the writer's open
  std::uint64_t generation = 0;
};

class LogState {
 public:
  static constexpr const char* kFileName = "LOG_STATE";
  static constexpr std::size_t kBytes = 4096;

  LogState() = default;
  LogState(LogState&&) noexcept = default;
  LogState& operator=(LogState&&) noexcept = default;

  // The writer, holding the log's lock: creates DIR/LOG_STATE (or takes over an existing
  // one, keeping its generation and segments_version; a file of another log, version or
  // size is initialised afresh), makes this process its writer (generation + 1) and
  // publishes `next_offset` as written and committed.
  static Result<LogState> open_for_writer(const std::string& dir, std::uint64_t log_id,
                                          std::uint64_t next_offset, mode_t file_mode);
  // A reader: maps DIR/LOG_STATE read-only. nullopt when there is none or it is not a valid
  // LOG_STATE (a log last written before LOG_STATE existed, or an initialisation cut
  // short): the log is then read as a snapshot. Errors only for I/O failures.
  static Result<std::optional<LogState>> open_for_reader(const std::string& dir);

  // --- writer ---
  void publish_written(std::uint64_t next_offset) noexcept;
  void publish_committed(std::uint64_t next_offset) noexcept;
  void bump_segments_version() noexcept;
  // The writer closed the log: no writer until the next one opens.
  void clear_writer() noexcept;

  // --- readers (and the writer) ---
  std::uint64_t log_id() const noexcept;
  std::uint64_t generation() const noexcept;
  std::uint64_t written_offset() const noexcept;
  std::uint64_t committed_offset() const noexcept;
  std::uint64_t segments_version() const noexcept;
  // A consistent copy of the writer fields (seqlock).
  LogWriterIdentity writer() const noexcept;
  // The recorded writer is a running process (its pid exists and started when recorded).
  bool writer_alive() const noexcept;

 private:
  explicit LogState(io::MmapRegion region) : region_(std::move(region)) {}
  std::uint64_t load(std::size_t at) const noexcept;
  void store(std::size_t at, std::uint64_t value) noexcept;
  void set_writer(const LogWriterIdentity& w) noexcept;

  io::MmapRegion region_;
};

}  // namespace spool::segment
