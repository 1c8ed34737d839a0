// Retention: whole sealed segments are deleted oldest first, by total size and by age.
//
// Deleting one segment is a sequence of steps each of which leaves a log that opens:
//   1. rename <base>.seg -> <base>.seg.deleted   (the commit point: the segment is gone)
//   2. rename <base>.idx -> <base>.idx.deleted
//   3. fsync the directory
//   4. unlink both files
// Recovery removes *.deleted leftovers and any .idx without its .seg. Only the oldest
// segment is ever deleted, so a crash can never leave a hole in the middle of the log.
#include <errno.h>

#include <algorithm>

#include "io/clock.h"
#include "segment/segment_log.h"

namespace spool::segment {

Result<std::size_t> SegmentLog::enforce_retention() {
  if (mode_ != OpenMode::kReadWrite || closed_) return std::size_t{0};
  if (options_.retention_bytes == 0 && options_.retention_max_age_ms == 0) return std::size_t{0};
  std::size_t deleted = 0;
  const std::int64_t now = io::wall_clock_ns();
  for (;;) {
    std::shared_ptr<SegmentFile> oldest;
    {
      std::lock_guard<std::mutex> lock(segments_mu_);
      if (segments_.size() < 2) break;  // never the active segment
      oldest = segments_.front();
    }
    // What the log occupies on disk (the active segment is preallocated whole), so the
    // cap bounds real disk use, not just data.
    const std::uint64_t total = disk_bytes();
    const bool over_size = options_.retention_bytes != 0 && total > options_.retention_bytes;
    const SegmentSummary s = oldest->summary();
    const bool too_old =
        options_.retention_max_age_ms != 0 && s.record_count > 0 &&
        now - s.max_timestamp > static_cast<std::int64_t>(options_.retention_max_age_ms) * 1'000'000;
    const bool empty_and_old = options_.retention_max_age_ms != 0 && s.record_count == 0;
    if (!over_size && !too_old && !empty_and_old) break;
    SPOOL_RETURN_IF_ERROR(delete_segment(*oldest));
    ++deleted;
  }
  return deleted;
}

Status SegmentLog::delete_segment(const SegmentFile& seg) {
  auto step = [this](DeletionStep s) {
    if (deletion_hook_) deletion_hook_(s);
  };
  const std::string seg_path = seg.path();
  const std::string idx_path = seg.index_path();
  const std::string deleted = std::string(kDeletedSuffix);
  step(DeletionStep::kBeforeRename);
  int rc = io::rename_path(seg_path, seg_path + deleted);
  if (rc < 0) return errno_status(rc, "retire segment " + seg_path);
  {
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_.erase(std::remove_if(segments_.begin(), segments_.end(),
                                   [&](const auto& p) { return p.get() == &seg; }),
                    segments_.end());
  }
  step(DeletionStep::kAfterRenameSegment);
  rc = io::rename_path(idx_path, idx_path + deleted);
  if (rc < 0 && rc != -ENOENT) return errno_status(rc, "retire index " + idx_path);
  step(DeletionStep::kAfterRenameIndex);
  if ((rc = io::fsync_directory(dir_)) < 0) return errno_status(rc, "fsync directory " + dir_);
  step(DeletionStep::kAfterDirSync);
  io::remove_path(seg_path + deleted);
  step(DeletionStep::kAfterUnlinkSegment);
  io::remove_path(idx_path + deleted);
  step(DeletionStep::kAfterUnlinkIndex);
  return Status::ok();
}

}  // namespace spool::segment
