#include "segment/segment_log.h"

#include <errno.h>
#include <sys/stat.h>

#include <algorithm>

#include "io/clock.h"
#include "io/env.h"
#include "io/errno_status.h"
#include "segment/log_marker.h"
#include "segment/segment_directory.h"

namespace spool::segment {

namespace {

constexpr std::uint64_t kMinSegmentBytes = 128;
// A segment's index stores positions as u32.
constexpr std::uint64_t kMaxSegmentBytes = (1ull << 32) - kFrameAlignment;
// Frames are staged in memory and written in chunks of about this size.
constexpr std::size_t kStagingFlushBytes = 4u << 20;
// cap_room(): a log at its cap looks for segments its cursors have passed this often at most
// (reading the cursors costs a directory listing and a file read per cursor).
constexpr std::int64_t kCapRetentionEveryNs = 100'000'000;

Status validate_options(const LogOptions& o, OpenMode mode) {
  if (o.segment_bytes < kMinSegmentBytes || o.segment_bytes > kMaxSegmentBytes) {
    return Status::invalid_argument("segment_bytes must be between " +
                                    std::to_string(kMinSegmentBytes) + " and " +
                                    std::to_string(kMaxSegmentBytes) + ", got " +
                                    std::to_string(o.segment_bytes));
  }
  if (o.index_interval_bytes == 0) {
    return Status::invalid_argument("index_interval_bytes must be at least 1");
  }
  if (o.durability == Durability::kInterval && o.sync_interval_ms == 0) {
    return Status::invalid_argument("sync_interval_ms must be at least 1 with interval durability");
  }
  // A record the log accepts must be writable: refused here rather than at the first
  // append of a large record. A reader never appends, so it may use any bound.
  const std::uint64_t room = segment_payload_room(o.segment_bytes);
  if (mode == OpenMode::kReadWrite && o.max_record_bytes > room) {
    return Status::invalid_argument(
        "max_record_bytes " + std::to_string(o.max_record_bytes) + " does not fit in a segment of " +
        std::to_string(o.segment_bytes) + " bytes (segment_bytes), which holds a payload of at most " +
        std::to_string(room) + " bytes: raise segment_bytes or lower max_record_bytes");
  }
  return Status::ok();
}

io::AppenderKind appender_kind(IoBackend b) {
  switch (b) {
    case IoBackend::kUring: return io::AppenderKind::kUring;
    case IoBackend::kPwrite: return io::AppenderKind::kPwrite;
    case IoBackend::kAuto: break;
  }
  return io::AppenderKind::kAuto;
}

}  // namespace

Status fork_child_status(const std::string& what, const io::OpeningProcess& opener,
                         const std::string& advice) {
  return Status::fork_child(what + " was opened by pid " + std::to_string(opener.pid()) + "; this process (pid " +
                            std::to_string(::getpid()) + ") is a fork child: " + advice);
}

Status SegmentLog::refuse_in_fork_child() const {
  return fork_child_status("log " + dir_, opener_, "open a log of your own (the parent keeps writing this one)");
}

std::uint64_t segment_payload_room(std::uint64_t segment_bytes) noexcept {
  if (segment_bytes < kSegmentHeaderBytes + kFrameHeaderBytes) return 0;
  return ((segment_bytes - kSegmentHeaderBytes) & ~std::uint64_t{kFrameAlignment - 1}) - kFrameHeaderBytes;
}

SegmentLog::SegmentLog(std::string dir, LogOptions options, OpenMode mode)
    : dir_(std::move(dir)),
      options_(options),
      mode_(mode),
      mappings_(std::make_shared<SegmentMappings>(options.max_mapped_segments)) {
  if (options_.max_record_bytes == 0) options_.max_record_bytes = kDefaultMaxRecordBytes;
  max_payload_bytes_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      options_.max_record_bytes, segment_payload_room(options_.segment_bytes)));
}

SegmentLog::~SegmentLog() { (void)close(); }

// Before anything is created or changed, the directory is classified (segment_directory.h):
// a missing or empty one becomes a new log, one with a marker or a provable pre-marker log
// is opened, and anything else is refused with nothing in it touched: no LOCK file, no
// leftover removed. A writer also refuses a directory it cannot trust (another user's, or
// writable by others), writes the marker of a new log before its first file, and adopts a
// pre-marker log by writing the marker after recovery proved it.
Result<std::unique_ptr<SegmentLog>> SegmentLog::open(const std::string& dir,
                                                     const LogOptions& options, OpenMode mode) {
  SPOOL_RETURN_IF_ERROR(validate_options(options, mode));
  auto state = inspect_log_directory(dir);
  if (!state) return state.status();
  LogDirectoryKind kind = state->kind;
  std::optional<LogMarker> marker = state->marker;
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, options, mode));
  if (mode == OpenMode::kReadWrite) {
    int rc = kind == LogDirectoryKind::kMissing ? io::make_directory(dir, options.dir_mode) : 0;
    if (rc < 0 && rc != -EEXIST) return io::errno_status(rc, "create log directory " + dir);
    SPOOL_RETURN_IF_ERROR(check_directory_trusted(dir, options.dir_mode));
    // The lock before the marker: of several processes creating one log at once, exactly one
    // (the lock holder) writes the marker, and the others attach to that log.
    pid_t holder = 0;
    rc = io::DirLock::acquire(dir, &log->lock_, &holder, options.file_mode);
    if (rc == -EWOULDBLOCK) {
      return Status::locked("log directory " + dir + " is locked by pid " +
                            (holder > 0 ? std::to_string(holder) : std::string("(unknown)")) +
                            ": another writer has it open");
    }
    if (rc < 0) return io::errno_status(rc, "lock log directory " + dir);
    if (kind == LogDirectoryKind::kMissing || kind == LogDirectoryKind::kEmpty) {
      // Under the lock: another process may have made the log since the first look.
      state = inspect_log_directory(dir);
      if (!state) return state.status();
      kind = state->kind;
      marker = state->marker;
    }
    // An empty directory becomes the log's: it gets dir_mode exactly, like a created one.
    if (kind == LogDirectoryKind::kEmpty && (rc = io::env().chmod(dir, options.dir_mode)) < 0) {
      return io::errno_status(rc, "set the mode of log directory " + dir);
    }
    if (kind == LogDirectoryKind::kMissing || kind == LogDirectoryKind::kEmpty) {
      if (log->options_.log_id == 0) log->options_.log_id = LogMarker::new_log_id();
      marker = LogMarker::for_log(log->options_.log_id, options);
      SPOOL_RETURN_IF_ERROR(marker->write(dir));
    }
    rc = io::make_file_appender(appender_kind(options.io_backend), &log->appender_);
    if (rc < 0) return io::errno_status(rc, "set up io_uring (io_backend=uring)");
  } else if (kind == LogDirectoryKind::kMissing) {
    return Status::not_found("log directory " + dir + " does not exist");
  } else {
    // Before the segments are listed: whatever is committed then is in the listing.
    SPOOL_RETURN_IF_ERROR(log->watch_log_state(marker ? marker->log_id : 0));
  }
  SPOOL_RETURN_IF_ERROR(log->recover());
  log->closed_ = false;  // from here on, destruction closes cleanly
  if (mode == OpenMode::kReadWrite) {
    auto state = LogState::open_for_writer(dir, log->log_id_, log->next_offset(), options.file_mode);
    if (!state) return state.status();
    log->state_ = std::move(*state);
    SPOOL_RETURN_IF_ERROR(log->record_marker(marker));
    auto deleted = log->enforce_retention();
    if (!deleted) return deleted.status();
  }
  return log;
}

// The marker of an adopted pre-marker log, or of a log reopened with other settings (they are
// what tools apply later). Keeps the creation time of an existing marker.
Status SegmentLog::record_marker(const std::optional<LogMarker>& existing) {
  if (existing && existing->log_id == log_id_ && !existing->settings_differ(options_)) return Status::ok();
  LogMarker m = LogMarker::for_log(log_id_, options_);
  if (existing) m.created_unix_ms = existing->created_unix_ms;
  return m.write(dir_);
}

Status SegmentLog::write_checkpoint(bool clean, bool durable) {
  LogCheckpoint c;
  c.log_id = log_id_;
  c.recovery_point = recovery_point_;
  c.next_offset = next_offset_.load(std::memory_order_relaxed);
  c.active_data_end = active()->write_position();
  c.boot = LogCheckpoint::current_boot();
  c.clean = clean;
  std::uint8_t bytes[LogCheckpoint::kBytes];
  c.encode(bytes);
  int rc = io::write_file_atomically(dir_, LogCheckpoint::kFileName, bytes, sizeof bytes, durable,
                                     options_.file_mode);
  if (rc < 0) return io::errno_status(rc, "write checkpoint in " + dir_);
  return Status::ok();
}

std::shared_ptr<SegmentFile> SegmentLog::active() const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  return segments_.empty() ? nullptr : segments_.back();
}

Status SegmentLog::check_record(std::size_t payload_bytes) const {
  if (payload_bytes > max_payload_bytes_) {
    return Status::invalid_argument("record of " + std::to_string(payload_bytes) +
                                    " bytes exceeds the maximum of " + std::to_string(max_payload_bytes_) +
                                    " bytes (max_record_bytes / segment_bytes)");
  }
  return Status::ok();
}

Result<std::uint64_t> SegmentLog::append(std::uint16_t type, std::span<const std::uint8_t> payload,
                                         std::int64_t timestamp_ns) {
  const AppendRecord r{type, payload, timestamp_ns, 0};
  return append_batch(std::span<const AppendRecord>(&r, 1));
}

Result<std::uint64_t> SegmentLog::append_batch(std::span<const AppendRecord> records) {
  auto first = append_frames(records);
  // Also after an error: a prefix may have been appended (and the next offset moved).
  publish_committed();
  return first;
}

void SegmentLog::publish_committed() noexcept {
  if (state_ && mode_ == OpenMode::kReadWrite && !closed_ && failed_.is_ok() && !opener_.forked()) {
    state_->publish_committed(next_offset_.load(std::memory_order_relaxed));
  }
}

Result<std::uint64_t> SegmentLog::append_frames(std::span<const AppendRecord> records) {
  if (opener_.forked() && mode_ == OpenMode::kReadWrite) return refuse_in_fork_child();
  if (!failed_.is_ok()) return failed_;
  if (closed_) return Status::closed("log " + dir_ + " is closed");
  if (mode_ != OpenMode::kReadWrite) {
    return Status::invalid_argument("log " + dir_ + " was opened read-only");
  }
  for (const AppendRecord& r : records) SPOOL_RETURN_IF_ERROR(check_record(r.payload.size()));
  const std::uint64_t first = next_offset_.load(std::memory_order_relaxed);
  if (first >= kOffsetLimit || records.size() > kOffsetLimit - first) {
    return Status::invalid_argument("log " + dir_ + " has run out of offsets (next offset " +
                                    std::to_string(first) + ")");
  }
  if (records.empty()) return first;

  const std::int64_t now = io::wall_clock_ns();
  const bool want_sync =
      options_.durability == Durability::kBatch ||
      (options_.durability == Durability::kInterval &&
       io::monotonic_ns() - last_sync_ns_ >= std::int64_t{options_.sync_interval_ms} * 1'000'000);

  std::vector<SegmentFile::FrameNote>& pending = pending_;
  pending.clear();
  staging_.clear();
  std::shared_ptr<SegmentFile> seg = active();
  std::uint64_t offset = first;
  std::uint64_t write_start = seg->write_position();

  // Writes what is staged into `seg`, then makes it visible. `sync` per durability mode.
  auto flush = [&](bool sync) -> Status {
    // A sync acknowledges everything written so far, including a segment sealed since the
    // last one.
    if (sync) SPOOL_RETURN_IF_ERROR(sync_sealed_segment());
    if (!staging_.empty()) {
      // The write and the sync are issued apart (not linked) so that a failed write (full
      // disk: retryable) is told from a failed sync (final, see failed()).
      iovec iov{staging_.data(), staging_.size()};
      int rc = appender_->write_at(seg->fd(), &iov, 1, write_start, /*datasync=*/false);
      if (rc < 0) return io::errno_status(rc, "append to " + seg->path());
      if (state_) state_->publish_written(pending.back().offset + 1);
    }
    // Synced before the frames are published: the next offset never moves past a failed sync.
    if (sync) SPOOL_RETURN_IF_ERROR(datasync_active(*seg));
    if (staging_.empty()) return Status::ok();
    seg->note_frames(pending);
    seg->publish();
    next_offset_.store(pending.back().offset + 1, std::memory_order_release);
    pending.clear();
    staging_.clear();
    write_start = seg->write_position();
    return Status::ok();
  };

  for (const AppendRecord& r : records) {
    const std::uint64_t bytes = frame_size(r.payload.size());
    const std::uint64_t position = write_start + staging_.size();
    // Rotate when the frame does not fit, or its offset would leave the segment's span.
    if (position + bytes > seg->mapped_bytes() || offset >= segment_offset_end(seg->base_offset())) {
      SPOOL_RETURN_IF_ERROR(flush(/*sync=*/false));
      SPOOL_RETURN_IF_ERROR(check_room_for_segment());
      SPOOL_RETURN_IF_ERROR(rotate(offset));
      seg = active();
      write_start = seg->write_position();
    } else if (staging_.size() >= kStagingFlushBytes) {
      SPOOL_RETURN_IF_ERROR(flush(/*sync=*/false));
    }
    const std::size_t at = staging_.size();
    staging_.extend(bytes);
    const std::int64_t ts = r.timestamp_ns == kTimestampNow ? now : r.timestamp_ns;
    encode_frame(staging_.data() + at, log_id_,
                 FrameHeader{static_cast<std::uint32_t>(r.payload.size()), offset, ts, r.type,
                             r.flags},
                 r.payload);
    pending.push_back(SegmentFile::FrameNote{offset, write_start + at, bytes, ts});
    ++offset;
  }
  SPOOL_RETURN_IF_ERROR(flush(want_sync));
  if (want_sync) last_sync_ns_ = io::monotonic_ns();
  at_size_cap_ = false;
  return first;
}

Status SegmentLog::check_room_for_segment() {
  const std::uint64_t cap = options_.retention_bytes;
  if (options_.size_cap_rule != SizeCapRule::kKeepNeeded || cap == 0) return Status::ok();
  if (disk_bytes() + options_.segment_bytes > cap) {
    SPOOL_RETURN_IF_ERROR(
        enforce_retention(RetentionCursors::kRespect, options_.segment_bytes).status());
  }
  const std::uint64_t disk = disk_bytes();
  if (disk + options_.segment_bytes <= cap) return Status::ok();
  at_size_cap_ = true;
  return Status::no_space("log " + dir_ + " is at its size cap of " + std::to_string(cap) +
                          " bytes (" + std::to_string(disk) +
                          " on disk): its consumers have not yet read what it holds");
}

CapRoom SegmentLog::cap_room() {
  CapRoom room;
  const std::uint64_t cap = options_.retention_bytes;
  if (cap == 0 || mode_ != OpenMode::kReadWrite) return room;
  room.capped = true;
  const std::shared_ptr<SegmentFile> seg = active();
  room.active_free =
      seg->mapped_bytes() > seg->write_position() ? seg->mapped_bytes() - seg->write_position() : 0;
  room.segment_capacity = options_.segment_bytes > kSegmentHeaderBytes
                              ? options_.segment_bytes - kSegmentHeaderBytes
                              : 0;
  std::uint64_t disk = disk_bytes();
  if (disk + options_.segment_bytes > cap) {
    if (const std::int64_t now = io::monotonic_ns(); now >= next_cap_retention_ns_) {
      next_cap_retention_ns_ = now + kCapRetentionEveryNs;
      // Room for one more segment; an error leaves the room as it is (the next pass retries).
      (void)enforce_retention(RetentionCursors::kRespect, options_.segment_bytes);
      disk = disk_bytes();
    }
  }
  room.new_segments = disk < cap ? (cap - disk) / options_.segment_bytes : 0;
  return room;
}

Status SegmentLog::rotate(std::uint64_t base_offset) {
  std::shared_ptr<SegmentFile> old = active();
  // Create the next segment first: if the disk is full this fails while the active segment
  // is still whole and writable, and the append can be retried later.
  auto created = SegmentFile::create(dir_, base_offset, log_id_, options_.segment_bytes,
                                     options_.index_interval_bytes,
                                     /*sync_dir=*/options_.durability != Durability::kNone,
                                     options_.file_mode, mappings_);
  if (!created) return created.status();
  std::shared_ptr<SegmentFile> next = std::move(created.value());
  // Sealing closes the segment's descriptor, after starting its writeback when durable.
  Status sealed = old->seal(/*start_writeback=*/options_.durability != Durability::kNone);
  if (!sealed.is_ok()) {
    io::remove_path(next->path());
    return sealed;
  }
  // Sealing never waits for the disk (an fdatasync of a whole segment stalls appends for
  // tens of ms). With durability, the sealed segment's writeback starts now and the next
  // durability sync waits for it; without, the kernel writes it back when it likes. Either
  // way a process crash loses nothing (the page cache survives it), and after a machine
  // crash recovery scans everything (the checkpoint's boot id tells).
  if (options_.durability != Durability::kNone) unsynced_sealed_.push_back(old);
  {
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_.push_back(std::move(next));
  }
  if (state_) state_->bump_segments_version();
  recovery_point_ = base_offset;
  // Not durable: losing it only makes the next recovery scan more.
  SPOOL_RETURN_IF_ERROR(write_checkpoint(/*clean=*/false, /*durable=*/false));
  auto deleted = enforce_retention();
  return deleted ? Status::ok() : deleted.status();
}

Status SegmentLog::fail_sync(const Status& sync_error) {
  failed_ = Status::io_error("log " + dir_ + ": " + sync_error.message() +
                             "; records since the last successful sync may be lost; the log "
                             "takes no more appends until it is reopened");
  return failed_;
}

Status SegmentLog::sync_sealed_segment() {
  for (const auto& seg : unsynced_sealed_) {
    Status s = seg->datasync();
    if (!s.is_ok()) return fail_sync(s);
  }
  unsynced_sealed_.clear();
  return Status::ok();
}

Status SegmentLog::datasync_active(const SegmentFile& seg) {
  int rc = appender_->datasync(seg.fd());
  if (rc < 0) return fail_sync(io::errno_status(rc, "fdatasync of " + seg.path() + " failed"));
  return Status::ok();
}

Status SegmentLog::sync() {
  if (closed_ || mode_ != OpenMode::kReadWrite) return Status::ok();
  if (opener_.is_other_process()) return refuse_in_fork_child();
  if (!failed_.is_ok()) return failed_;
  SPOOL_RETURN_IF_ERROR(sync_sealed_segment());
  SPOOL_RETURN_IF_ERROR(datasync_active(*active()));
  last_sync_ns_ = io::monotonic_ns();
  return Status::ok();
}

Status SegmentLog::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  if (mode_ != OpenMode::kReadWrite) return Status::ok();
  if (opener_.is_other_process()) {
    // The parent's log: no sync, index or checkpoint from here. Closing the lock file only
    // drops this process's descriptor; the parent keeps the lock (io/dir_lock.h).
    lock_.release();
    return refuse_in_fork_child();
  }
  if (!failed_.is_ok()) {
    // No sync (it could succeed falsely) and no clean checkpoint: the next open scans and
    // keeps only what is really on disk.
    if (state_) state_->clear_writer();
    lock_.release();
    return failed_;
  }
  SPOOL_RETURN_IF_ERROR(sync_sealed_segment());
  std::shared_ptr<SegmentFile> seg = active();
  SPOOL_RETURN_IF_ERROR(datasync_active(*seg));
  SPOOL_RETURN_IF_ERROR(seg->write_index());
  SPOOL_RETURN_IF_ERROR(write_checkpoint(/*clean=*/true));
  if (state_) {
    state_->publish_committed(next_offset_.load(std::memory_order_relaxed));
    state_->clear_writer();  // before the lock goes: a reader never sees a dead writer
  }
  lock_.release();
  return Status::ok();
}

const char* SegmentLog::io_backend_name() const noexcept {
  return appender_ ? appender_->name() : "none (read-only)";
}

std::vector<std::shared_ptr<const SegmentFile>> SegmentLog::segments() const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  return {segments_.begin(), segments_.end()};
}

std::size_t SegmentLog::segment_count() const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  return segments_.size();
}

std::uint64_t SegmentLog::first_offset() const {
  for (const auto& seg : segments()) {
    const SegmentSummary s = seg->summary();
    if (s.record_count > 0) return s.first_offset;
  }
  return next_offset();
}

std::optional<std::uint64_t> SegmentLog::last_offset() const {
  auto segs = segments();
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    const SegmentSummary s = (*it)->summary();
    if (s.record_count > 0) return s.last_offset;
  }
  return std::nullopt;
}

std::uint64_t SegmentLog::record_count() const {
  std::uint64_t n = 0;
  for (const auto& seg : segments()) n += seg->summary().record_count;
  return n;
}

std::uint64_t SegmentLog::size_bytes() const {
  std::uint64_t n = 0;
  for (const auto& seg : segments()) n += seg->committed_end();
  return n;
}

}  // namespace spool::segment

namespace spool::segment {

std::uint64_t SegmentLog::disk_bytes() const {
  std::uint64_t n = 0;
  for (const auto& seg : segments()) n += seg->sealed() ? seg->committed_end() : seg->mapped_bytes();
  return n;
}

}  // namespace spool::segment
