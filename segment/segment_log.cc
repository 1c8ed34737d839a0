#include "segment/segment_log.h"

#include <errno.h>
#include <sys/stat.h>

#include <algorithm>
#include <random>

#include "io/clock.h"
#include "segment/segment_directory.h"

namespace spool::segment {

namespace {

constexpr std::uint64_t kMinSegmentBytes = 128;
// A segment's index stores positions as u32.
constexpr std::uint64_t kMaxSegmentBytes = (1ull << 32) - kFrameAlignment;
// Frames are staged in memory and written in chunks of about this size.
constexpr std::size_t kStagingFlushBytes = 4u << 20;

Status validate_options(const LogOptions& o) {
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

std::uint64_t random_log_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return id;
}

}  // namespace

SegmentLog::SegmentLog(std::string dir, LogOptions options, OpenMode mode)
    : dir_(std::move(dir)), options_(options), mode_(mode) {}

SegmentLog::~SegmentLog() { (void)close(); }

Result<std::unique_ptr<SegmentLog>> SegmentLog::open(const std::string& dir,
                                                     const LogOptions& options, OpenMode mode) {
  SPOOL_RETURN_IF_ERROR(validate_options(options));
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, options, mode));
  if (mode == OpenMode::kReadWrite) {
    int rc = io::make_directory(dir);
    if (rc < 0) return errno_status(rc, "create log directory " + dir);
    pid_t holder = 0;
    rc = io::DirLock::acquire(dir, &log->lock_, &holder);
    if (rc == -EWOULDBLOCK) {
      return Status::locked("log directory " + dir + " is locked by pid " +
                            (holder > 0 ? std::to_string(holder) : std::string("(unknown)")) +
                            ": another writer has it open");
    }
    if (rc < 0) return errno_status(rc, "lock log directory " + dir);
    rc = io::make_file_appender(appender_kind(options.io_backend), &log->appender_);
    if (rc < 0) return errno_status(rc, "set up io_uring (io_backend=uring)");
  } else {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::not_found("log directory " + dir + " does not exist");
    }
  }
  SPOOL_RETURN_IF_ERROR(log->recover());
  log->closed_ = false;  // from here on, destruction closes cleanly
  if (mode == OpenMode::kReadWrite) {
    auto deleted = log->enforce_retention();
    if (!deleted) return deleted.status();
  }
  return log;
}

Status SegmentLog::recover() {
  const bool writable = mode_ == OpenMode::kReadWrite;
  auto listing_or = list_log_directory(dir_);
  if (!listing_or) return listing_or.status();
  DirectoryListing listing = std::move(listing_or.value());

  // Leftovers of an interrupted deletion or atomic write: the renames were the commit
  // points, so these are garbage by construction.
  for (const std::string& name : listing.leftovers) {
    if (writable) io::remove_path(dir_ + "/" + name);
    report_.removed_files.push_back(name);
  }
  for (std::uint64_t base : listing.indexes) {
    if (!std::binary_search(listing.segments.begin(), listing.segments.end(), base)) {
      if (writable) io::remove_path(dir_ + "/" + index_file_name(base));
      report_.removed_files.push_back(index_file_name(base));
    }
  }

  std::optional<LogCheckpoint> checkpoint;
  {
    std::string bytes;
    int rc = io::read_small_file(dir_ + "/" + LogCheckpoint::kFileName, &bytes, 4096);
    if (rc == 0) {
      checkpoint = LogCheckpoint::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                         bytes.size());
      if (!checkpoint) report_.notes.push_back("checkpoint unreadable: scanning every segment");
    } else if (rc != -ENOENT) {
      return errno_status(rc, "read checkpoint in " + dir_);
    }
  }

  const bool full = options_.full_recovery_scan || !checkpoint;
  report_.full_scan = full;
  report_.clean_shutdown = checkpoint && checkpoint->clean;
  const std::uint64_t recovery_point = full ? 0 : checkpoint->recovery_point;
  report_.recovery_point = recovery_point;

  // Open every segment; learn the log id from the checkpoint or the first sound header.
  std::vector<std::shared_ptr<SegmentFile>> segs;
  for (std::size_t i = 0; i < listing.segments.size(); ++i) {
    const bool last = i + 1 == listing.segments.size();
    auto seg = SegmentFile::open(dir_, listing.segments[i], writable && last,
                                 options_.index_interval_bytes);
    if (!seg) return seg.status();
    segs.push_back(std::move(seg.value()));
  }
  if (checkpoint) log_id_ = checkpoint->log_id;
  for (const auto& seg : segs) {
    if (log_id_ == 0 && seg->header_check() == HeaderCheck::kValid) log_id_ = seg->header().log_id;
  }
  if (log_id_ == 0) log_id_ = options_.log_id != 0 ? options_.log_id : random_log_id();

  std::uint64_t next = checkpoint ? checkpoint->next_offset : 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    SegmentFile& seg = *segs[i];
    const bool last = i + 1 == segs.size();
    const std::uint64_t base = seg.base_offset();
    next = std::max(next, base);

    // A header that is zero (or missing) in the last segment is a creation cut short.
    if (seg.header_check() != HeaderCheck::kValid || seg.header().base_offset != base ||
        seg.header().log_id != log_id_) {
      const bool unwritten = seg.header_check() == HeaderCheck::kZero ||
                             seg.header_check() == HeaderCheck::kTruncated;
      if (last && unwritten && writable) {
        SPOOL_RETURN_IF_ERROR(seg.ensure_capacity(kSegmentHeaderBytes));
        SPOOL_RETURN_IF_ERROR(seg.rewrite_header(log_id_));
        report_.notes.push_back("rewrote unwritten header of " + segment_file_name(base));
      } else {
        std::string why = seg.header_check() != HeaderCheck::kValid
                              ? std::string(header_check_name(seg.header_check()))
                              : (seg.header().base_offset != base ? "base offset differs from file name"
                                                                 : "log id differs from the log's");
        report_.skipped.push_back(DamagedRange{base, 0, std::min<std::uint64_t>(
                                                            kSegmentHeaderBytes, seg.mapped_bytes()),
                                               "segment header: " + why});
      }
    }

    bool trusted = false;
    if (!full && last && checkpoint->clean && seg.load_index() &&
        seg.summary().data_end == checkpoint->active_data_end) {
      trusted = true;
    } else if (!full && !last && base < recovery_point && seg.load_index()) {
      trusted = true;
    }
    if (!trusted) {
      SegmentScan scan = seg.scan(log_id_, options_.max_record_bytes);
      ++report_.segments_scanned;
      report_.records_scanned += scan.summary.record_count;
      for (auto& d : scan.damaged) report_.skipped.push_back(std::move(d));
      if (scan.tail) {
        if (last) {
          if (writable) SPOOL_RETURN_IF_ERROR(seg.truncate_tail(scan.tail->from_byte));
          report_.truncated.push_back(*scan.tail);
        } else {
          report_.skipped.push_back(*scan.tail);
        }
      }
      if (!last && writable && seg.header_check() == HeaderCheck::kValid) {
        // A sealed segment we had to scan: make it durable and indexed so the recovery
        // point can move past it.
        SPOOL_RETURN_IF_ERROR(seg.datasync());
        SPOOL_RETURN_IF_ERROR(seg.write_index());
        if (base < recovery_point || full) report_.rebuilt_indexes.push_back(base);
      } else if (!last && base < recovery_point) {
        report_.rebuilt_indexes.push_back(base);
      }
    }
    const SegmentSummary s = seg.summary();
    if (s.record_count > 0) next = std::max(next, s.last_offset + 1);
  }

  if (segs.empty() && writable) {
    auto seg = SegmentFile::create(dir_, next, log_id_, options_.segment_bytes,
                                   options_.index_interval_bytes);
    if (!seg) return seg.status();
    segs.push_back(std::move(seg.value()));
  }
  if (writable) SPOOL_RETURN_IF_ERROR(segs.back()->ensure_capacity(options_.segment_bytes));

  {
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_ = std::move(segs);
  }
  next_offset_.store(next, std::memory_order_release);
  report_.segments = segments_.size();
  report_.next_offset = next;
  if (writable) {
    recovery_point_ = segments_.back()->base_offset();
    SPOOL_RETURN_IF_ERROR(write_checkpoint(/*clean=*/false));
    last_sync_ns_ = io::monotonic_ns();
  }
  return Status::ok();
}

Status SegmentLog::write_checkpoint(bool clean) {
  LogCheckpoint c;
  c.log_id = log_id_;
  c.recovery_point = recovery_point_;
  c.next_offset = next_offset_.load(std::memory_order_relaxed);
  c.active_data_end = active()->write_position();
  c.clean = clean;
  std::uint8_t bytes[LogCheckpoint::kBytes];
  c.encode(bytes);
  int rc = io::write_file_atomically(dir_, LogCheckpoint::kFileName, bytes, sizeof bytes);
  if (rc < 0) return errno_status(rc, "write checkpoint in " + dir_);
  return Status::ok();
}

std::shared_ptr<SegmentFile> SegmentLog::active() const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  return segments_.empty() ? nullptr : segments_.back();
}

Status SegmentLog::validate_record(std::size_t payload_bytes) const {
  const std::uint64_t room = options_.segment_bytes - kSegmentHeaderBytes;
  const std::uint64_t limit =
      std::min<std::uint64_t>(options_.max_record_bytes,
                              room >= kFrameHeaderBytes ? (room - kFrameHeaderBytes) & ~7ull : 0);
  if (payload_bytes > limit) {
    return Status::invalid_argument("record of " + std::to_string(payload_bytes) +
                                    " bytes exceeds the maximum of " + std::to_string(limit) +
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
  if (closed_) return Status::closed("log " + dir_ + " is closed");
  if (mode_ != OpenMode::kReadWrite) {
    return Status::invalid_argument("log " + dir_ + " was opened read-only");
  }
  for (const AppendRecord& r : records) SPOOL_RETURN_IF_ERROR(validate_record(r.payload.size()));
  const std::uint64_t first = next_offset_.load(std::memory_order_relaxed);
  if (records.empty()) return first;

  const std::int64_t now = io::wall_clock_ns();
  const bool want_sync =
      options_.durability == Durability::kBatch ||
      (options_.durability == Durability::kInterval &&
       io::monotonic_ns() - last_sync_ns_ >= std::int64_t{options_.sync_interval_ms} * 1'000'000);

  std::vector<PendingFrame>& pending = pending_;
  pending.clear();
  staging_.clear();
  std::shared_ptr<SegmentFile> seg = active();
  std::uint64_t offset = first;
  std::uint64_t write_start = seg->write_position();

  // Writes what is staged into `seg`, then makes it visible. `sync` per durability mode.
  auto flush = [&](bool sync) -> Status {
    if (staging_.empty()) {
      if (sync) {
        int rc = appender_->datasync(seg->fd());
        if (rc < 0) return errno_status(rc, "fdatasync " + seg->path());
      }
      return Status::ok();
    }
    iovec iov{staging_.data(), staging_.size()};
    int rc = appender_->write_at(seg->fd(), &iov, 1, write_start, sync);
    if (rc < 0) return errno_status(rc, "append to " + seg->path());
    for (const PendingFrame& p : pending) seg->note_frame(p.offset, p.position, p.timestamp_ns, p.bytes);
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
    if (position + bytes > seg->mapped_bytes()) {
      SPOOL_RETURN_IF_ERROR(flush(/*sync=*/false));
      SPOOL_RETURN_IF_ERROR(rotate(offset));
      seg = active();
      write_start = seg->write_position();
    } else if (staging_.size() >= kStagingFlushBytes) {
      SPOOL_RETURN_IF_ERROR(flush(/*sync=*/false));
    }
    const std::size_t at = staging_.size();
    staging_.resize(at + bytes);
    const std::int64_t ts = r.timestamp_ns == kTimestampNow ? now : r.timestamp_ns;
    encode_frame(staging_.data() + at, log_id_,
                 FrameHeader{static_cast<std::uint32_t>(r.payload.size()), offset, ts, r.type,
                             r.flags},
                 r.payload);
    pending.push_back(PendingFrame{offset, write_start + at, bytes, ts});
    ++offset;
  }
  SPOOL_RETURN_IF_ERROR(flush(want_sync));
  if (want_sync) last_sync_ns_ = io::monotonic_ns();
  return first;
}

Status SegmentLog::rotate(std::uint64_t base_offset) {
  std::shared_ptr<SegmentFile> old = active();
  // Create the next segment first: if the disk is full this fails while the active segment
  // is still whole and writable, and the append can be retried later.
  auto created = SegmentFile::create(dir_, base_offset, log_id_, options_.segment_bytes,
                                     options_.index_interval_bytes);
  if (!created) return created.status();
  std::shared_ptr<SegmentFile> next = std::move(created.value());
  // The sealed segment must be durable before the recovery point moves past it.
  int rc = appender_->datasync(old->fd());
  Status sealed = rc < 0 ? errno_status(rc, "fdatasync " + old->path()) : old->seal();
  if (!sealed.is_ok()) {
    io::remove_path(next->path());
    return sealed;
  }
  {
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_.push_back(std::move(next));
  }
  recovery_point_ = base_offset;
  SPOOL_RETURN_IF_ERROR(write_checkpoint(/*clean=*/false));
  last_sync_ns_ = io::monotonic_ns();
  auto deleted = enforce_retention();
  return deleted ? Status::ok() : deleted.status();
}

Status SegmentLog::sync() {
  if (closed_ || mode_ != OpenMode::kReadWrite) return Status::ok();
  std::shared_ptr<SegmentFile> seg = active();
  int rc = appender_->datasync(seg->fd());
  if (rc < 0) return errno_status(rc, "fdatasync " + seg->path());
  last_sync_ns_ = io::monotonic_ns();
  return Status::ok();
}

Status SegmentLog::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  if (mode_ != OpenMode::kReadWrite) return Status::ok();
  std::shared_ptr<SegmentFile> seg = active();
  int rc = appender_->datasync(seg->fd());
  if (rc < 0) return errno_status(rc, "fdatasync " + seg->path());
  SPOOL_RETURN_IF_ERROR(seg->write_index());
  SPOOL_RETURN_IF_ERROR(write_checkpoint(/*clean=*/true));
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
