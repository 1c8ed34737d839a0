#include "segment/segment_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "io/clock.h"
#include "io/errno_status.h"
#include "io/little_endian.h"
#include "io/mapped_read_guard.h"

namespace spool::segment {

SegmentFile::~SegmentFile() {
  if (mappings_) mappings_->forget(this);
}

Result<std::shared_ptr<SegmentFile>> SegmentFile::create(const std::string& dir,
                                                         std::uint64_t base,
                                                         std::uint64_t log_id,
                                                         std::uint64_t capacity,
                                                         std::uint32_t index_interval,
                                                         bool sync_dir, mode_t file_mode,
                                                         std::shared_ptr<SegmentMappings> mappings) {
  std::shared_ptr<SegmentFile> seg(new SegmentFile());
  seg->mappings_ = std::move(mappings);
  seg->pinned_.store(true, std::memory_order_relaxed);
  seg->dir_ = dir;
  seg->base_ = base;
  seg->path_ = dir + "/" + segment_file_name(base);
  seg->index_interval_ = index_interval;
  seg->index_ = SparseIndex(index_interval);
  seg->writable_ = true;
  seg->file_mode_ = file_mode;
  int rc = io::File::create(seg->path_, O_RDWR | O_EXCL, file_mode, &seg->file_);
  if (rc < 0) return io::errno_status(rc, "create segment " + seg->path_);
  seg->header_ = SegmentHeader{log_id, base, io::wall_clock_ns()};
  std::uint8_t header[kSegmentHeaderBytes];
  encode_segment_header(seg->header_, header);
  // Reserve first so a full disk fails here, before any frame is written into the segment.
  if ((rc = seg->file_.allocate(0, capacity)) < 0 ||
      (rc = seg->file_.pwrite_full(header, sizeof header, 0)) < 0) {
    Status s = io::errno_status(rc, "preallocate segment " + seg->path_);
    seg->file_.close();
    io::remove_path(seg->path_);
    return s;
  }
  Status mapped = (sync_dir && (rc = io::fsync_directory(dir)) < 0)
                     ? io::errno_status(rc, "fsync directory " + dir)
                     : seg->map_whole_file();
  if (!mapped.is_ok()) {
    seg->file_.close();
    io::remove_path(seg->path_);
    return mapped;
  }
  seg->header_check_ = HeaderCheck::kValid;
  seg->summary_.data_end = kSegmentHeaderBytes;
  return seg;
}

Result<std::shared_ptr<SegmentFile>> SegmentFile::open(const std::string& dir, std::uint64_t base,
                                                       bool writable,
                                                       std::uint32_t index_interval,
                                                       mode_t file_mode,
                                                       std::shared_ptr<SegmentMappings> mappings) {
  std::shared_ptr<SegmentFile> seg(new SegmentFile());
  seg->mappings_ = std::move(mappings);
  seg->dir_ = dir;
  seg->base_ = base;
  seg->path_ = dir + "/" + segment_file_name(base);
  seg->index_interval_ = index_interval;
  seg->index_ = SparseIndex(index_interval);
  seg->writable_ = writable;
  seg->file_mode_ = file_mode;
  seg->pinned_.store(writable, std::memory_order_relaxed);
  int rc = io::File::open(seg->path_, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW, 0, &seg->file_);
  if (rc < 0) return io::errno_status(rc, "open segment " + seg->path_);
  const std::int64_t size = seg->file_.size();
  if (size < 0) return io::errno_status(static_cast<int>(size), "stat " + seg->path_);
  seg->map_bytes_.store(static_cast<std::uint64_t>(size), std::memory_order_release);
  std::uint8_t header[kSegmentHeaderBytes];
  const ssize_t got = seg->file_.pread_full(header, sizeof header, 0);
  if (got < 0) return io::errno_status(static_cast<int>(got), "read header of " + seg->path_);
  seg->header_check_ = decode_segment_header(header, static_cast<std::size_t>(got), &seg->header_);
  if (writable) {
    SPOOL_RETURN_IF_ERROR(seg->map_whole_file());
  } else {
    seg->file_.close();  // mapped on first read, without it
  }
  seg->sealed_.store(!writable, std::memory_order_release);
  return seg;
}

// Mapped read-only even for the writer: bytes reach the file only through the appender
// (io_uring or pwrite), so a stray store can never scribble on the log.
Status SegmentFile::map_whole_file() {
  const std::int64_t size = file_.size();
  if (size < 0) return io::errno_status(static_cast<int>(size), "stat " + path_);
  io::MmapRegion region;
  int rc = io::MmapRegion::map(file_.fd(), static_cast<std::size_t>(size), /*writable=*/false, &region);
  if (rc < 0) return io::errno_status(rc, "mmap " + path_);
  std::lock_guard<std::mutex> lock(map_mu_);
  map_ = std::make_shared<const io::MmapRegion>(std::move(region));
  map_bytes_.store(static_cast<std::uint64_t>(size), std::memory_order_release);
  return Status::ok();
}

Status SegmentFile::map_by_path_locked() const {
  io::File file;
  int rc = io::File::open(path_, O_RDONLY, 0, &file);
  if (rc < 0) return io::errno_status(rc, "open segment " + path_ + " to map it");
  const std::int64_t size = file.size();
  if (size < 0) return io::errno_status(static_cast<int>(size), "stat " + path_);
  io::MmapRegion region;
  rc = io::MmapRegion::map(file.fd(), static_cast<std::size_t>(size), /*writable=*/false, &region);
  if (rc < 0) return io::errno_status(rc, "mmap " + path_);
  map_ = std::make_shared<const io::MmapRegion>(std::move(region));
  // A sealed segment's size no longer changes: this is the size mapped_bytes() gave.
  map_bytes_.store(static_cast<std::uint64_t>(size), std::memory_order_release);
  return Status::ok();
}

Result<SegmentFile::Mapping> SegmentFile::map() const {
  Mapping mapping;
  {
    std::lock_guard<std::mutex> lock(map_mu_);
    if (!map_) SPOOL_RETURN_IF_ERROR(map_by_path_locked());
    mapping = map_;
  }
  if (mappings_ && !pinned_.load(std::memory_order_acquire)) mappings_->touch(shared_from_this());
  return mapping;
}

bool SegmentFile::is_mapped() const {
  std::lock_guard<std::mutex> lock(map_mu_);
  return map_ != nullptr;
}

void SegmentFile::drop_mapping() const {
  Mapping dropped;
  {
    std::lock_guard<std::mutex> lock(map_mu_);
    dropped = std::move(map_);
  }
  // `dropped` unmaps here unless a reader still holds it.
}

std::string SegmentFile::index_path() const { return dir_ + "/" + index_file_name(base_); }

SegmentSummary SegmentFile::summary() const {
  std::lock_guard<std::mutex> lock(mu_);
  return summary_;
}

std::uint64_t SegmentFile::position_for_offset(std::uint64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::uint64_t pos = index_.position_for_offset(base_, offset);
  return pos == 0 ? kSegmentHeaderBytes : pos;
}

std::uint64_t SegmentFile::position_for_time(std::int64_t timestamp_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::uint64_t pos = index_.position_for_time(timestamp_ns);
  return pos == 0 ? kSegmentHeaderBytes : pos;
}

Result<SegmentScan> SegmentFile::scan(std::uint64_t log_id, std::uint32_t max_payload) {
  auto mapping = map();
  if (!mapping) return mapping.status();
  const io::MmapRegion& bytes = **mapping;
  SparseIndex index(index_interval_);
  // Only what the mapping can deliver is scanned: bytes after a bad block or past the end of
  // a file trimmed underneath would raise SIGBUS. They become the tail (reported; cut off
  // the active segment by recovery).
  const std::size_t readable = io::readable_prefix(bytes.data(), bytes.size());
  SegmentScan result = scan_frames(bytes.data(), readable, kSegmentHeaderBytes, base_, log_id,
                                   max_payload, [&](const FrameAt& f) {
                                     index.on_frame(base_, f.header.offset, f.position,
                                                    f.header.timestamp_ns);
                                   });
  if (readable < bytes.size()) {
    const std::uint64_t from = result.tail ? result.tail->from_byte : result.summary.data_end;
    result.tail = DamagedRange{base_, from, bytes.size(), std::string(kUnreadableReason)};
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_ = std::move(index);
    summary_ = result.summary;
  }
  pending_end_ = result.summary.data_end;
  end_.store(pending_end_, std::memory_order_release);
  return result;
}

void SegmentFile::forget_frames() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_ = SparseIndex(index_interval_);
    summary_ = SegmentSummary{};
    summary_.data_end = kSegmentHeaderBytes;
  }
  pending_end_ = kSegmentHeaderBytes;
  end_.store(pending_end_, std::memory_order_release);
}

Result<SegmentFile::FollowStop> SegmentFile::follow(std::uint64_t log_id, std::uint32_t max_payload,
                                                   std::uint64_t offset_limit,
                                                   std::vector<DamagedRange>* damaged) {
  auto mapping = map();
  if (!mapping) return mapping.status();
  const std::uint8_t* data = (*mapping)->data();
  const std::uint64_t size = (*mapping)->size();
  const std::uint64_t segment_end = segment_offset_end(base_);
  std::uint64_t min_offset = base_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (summary_.record_count > 0) min_offset = summary_.last_offset + 1;
  }
  // Probed a page at a time as frames need it: the unwritten rest of a preallocated segment
  // is never touched, and a file trimmed under the mapping (sealed) ends the walk, no SIGBUS.
  std::uint64_t probed = pending_end_;
  bool faulted = false;
  auto readable_to = [&](std::uint64_t want) {
    want = std::min(want, size);
    if (!faulted && want > probed) {
      const std::uint64_t got = io::readable_prefix(data + probed, want - probed);
      faulted = got < want - probed;
      probed += got;
    }
    return std::min(want, probed);
  };
  std::vector<FrameNote> found;
  FollowStop stop = FollowStop::kEndOfData;
  std::uint64_t pos = pending_end_;
  for (;;) {
    std::uint64_t avail = readable_to(pos + kFrameHeaderBytes);
    if (avail < pos + kFrameHeaderBytes) break;
    if (io::load_u32(data + pos) == kFrameMagic) {
      // A header (maybe still being written) of a record not committed yet: wait for it.
      if (io::load_u64(data + pos + 8) >= offset_limit && io::load_u64(data + pos + 8) < segment_end) {
        stop = FollowStop::kAtLimit;
        break;
      }
      avail = readable_to(pos + frame_size(std::min(io::load_u32(data + pos + 4), max_payload)));
    }
    FrameHeader h;
    const FrameCheck c = check_frame(data + pos, avail - pos, log_id, max_payload, &h);
    if (c == FrameCheck::kValid && h.offset >= min_offset && h.offset < segment_end) {
      const std::uint64_t bytes = frame_size(h.payload_length);
      found.push_back(FrameNote{h.offset, pos, bytes, h.timestamp_ns});
      pos += bytes;
      min_offset = h.offset + 1;
      continue;
    }
    if (c == FrameCheck::kZero) break;
    // Damage below the limit (committed frames are complete): resync past it, if a frame
    // follows.
    avail = readable_to(size);
    auto next = find_next_frame(data, avail, pos + kFrameAlignment, log_id, max_payload, min_offset, segment_end);
    if (!next) break;
    if (next->header.offset >= offset_limit) {
      stop = FollowStop::kAtLimit;
      break;
    }
    if (damaged) damaged->push_back(DamagedRange{base_, pos, next->position, std::string(frame_check_name(c))});
    pos = next->position;
  }
  if (!found.empty()) {
    note_frames(found);
    end_.store(pending_end_, std::memory_order_release);
  }
  return stop;
}

bool SegmentFile::load_index() {
  std::string bytes;
  if (io::read_small_file(index_path(), &bytes, 1u << 30) < 0) return false;
  SparseIndex index(index_interval_);
  SegmentSummary summary;
  if (!index.decode(bytes, base_, mapped_bytes(), &summary)) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index_ = std::move(index);
    summary_ = summary;
  }
  pending_end_ = summary.data_end;
  end_.store(pending_end_, std::memory_order_release);
  return true;
}

Status SegmentFile::rewrite_header(std::uint64_t log_id) {
  header_ = SegmentHeader{log_id, base_, io::wall_clock_ns()};
  std::uint8_t header[kSegmentHeaderBytes];
  encode_segment_header(header_, header);
  int rc = file_.pwrite_full(header, sizeof header, 0);
  if (rc < 0) return io::errno_status(rc, "rewrite header of " + path_);
  header_check_ = HeaderCheck::kValid;
  return Status::ok();
}

Status SegmentFile::truncate_tail(std::uint64_t data_end) {
  const std::uint64_t capacity = mapped_bytes();
  // ftruncate frees the torn bytes; fallocate reserves zeroed space again, so the next
  // recovery sees unwritten space (not stale garbage) after whatever is appended next.
  int rc = file_.truncate(data_end);
  if (rc == 0 && capacity > data_end) rc = file_.allocate(data_end, capacity - data_end);
  if (rc == 0) rc = file_.datasync();
  if (rc < 0) return io::errno_status(rc, "truncate torn tail of " + path_);
  return Status::ok();
}

Status SegmentFile::ensure_capacity(std::uint64_t capacity) {
  if (mapped_bytes() >= capacity) return Status::ok();
  int rc = file_.allocate(0, capacity);
  if (rc < 0) return io::errno_status(rc, "preallocate " + path_);
  return map_whole_file();
}

void SegmentFile::note_frames(std::span<const FrameNote> frames) {
  if (frames.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const FrameNote& f : frames) {
    index_.on_frame(base_, f.offset, f.position, f.timestamp_ns);
    if (summary_.record_count == 0) summary_.first_offset = f.offset;
    ++summary_.record_count;
    if (f.timestamp_ns > summary_.max_timestamp) summary_.max_timestamp = f.timestamp_ns;
  }
  summary_.last_offset = frames.back().offset;
  summary_.data_end = frames.back().position + frames.back().bytes;
  pending_end_ = summary_.data_end;
}

Status SegmentFile::datasync() const {
  if (file_.is_open()) {
    int rc = file_.datasync();
    if (rc < 0) return io::errno_status(rc, "fdatasync of " + path_ + " failed");
    return Status::ok();
  }
  // Sealed: fdatasync writes back the inode's dirty pages whichever descriptor asks, and an
  // unseen writeback error is reported to a descriptor opened after it (errseq).
  io::File file;
  int rc = io::File::open(path_, O_RDONLY, 0, &file);
  if (rc == 0) rc = file.datasync();
  if (rc < 0) return io::errno_status(rc, "fdatasync of sealed segment " + path_ + " failed");
  return Status::ok();
}

Status SegmentFile::write_index() const {
  std::string bytes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bytes = index_.encode(base_, summary_);
  }
  // Not fsynced: an index is only trusted when its checksum holds and its data end matches
  // the segment (see recovery), and is rebuilt by a scan otherwise.
  int rc = io::write_file_atomically(dir_, index_file_name(base_), bytes.data(), bytes.size(),
                                     /*durable=*/false, file_mode_);
  if (rc < 0) return io::errno_status(rc, "write index " + index_path());
  return Status::ok();
}

Status SegmentFile::seal(bool start_writeback) {
  // Index first: if the disk is full it fails while the segment is still whole and
  // preallocated, so the caller can keep appending to it once space is back.
  SPOOL_RETURN_IF_ERROR(write_index());
  // The mapping may now extend past the end of the file; readers never look past
  // committed_end(), so they never touch the trimmed pages.
  int rc = file_.truncate(pending_end_);
  if (rc < 0) return io::errno_status(rc, "trim sealed segment " + path_);
  if (start_writeback) (void)file_.start_writeback();
  file_.close();
  writable_ = false;
  sealed_.store(true, std::memory_order_release);
  pinned_.store(false, std::memory_order_release);
  // Counted among the mapped sealed segments from now on (its whole-capacity mapping stays
  // until it is the least recently used).
  if (mappings_) mappings_->touch(shared_from_this());
  return Status::ok();
}

}  // namespace spool::segment
