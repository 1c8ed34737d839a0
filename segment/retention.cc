// Retention: whole sealed segments are deleted oldest first, by total size and by age,
// respecting consumer cursors.
//
// The cursor floor is the smallest next_offset over <dir>/cursors (cursor_store.h), read
// afresh at every call (it runs after rotation, rarely), so cursors committed by another
// process count too. A segment is *needed* when it holds a record at or after the floor.
//   - The age cap never deletes a needed segment (nor, being oldest-first, anything after
//     it). Without cursors there is no floor and the age cap works as it always did.
//   - The size cap deletes needed segments anyway: the disk must not fill. The records it
//     deletes at or after the floor are counted in retention_forced_records(). Unless
//     LogOptions::size_cap_rule is kKeepNeeded: then it deletes only segments every cursor
//     has passed (none without cursors), and the log stops growing at the cap instead
//     (SegmentLog::check_room_for_segment).
//   - With RetentionCursors::kIgnore (`spoolctl cleanup --force`) the age cap deletes needed
//     segments too; what it deletes at or after the floor is counted the same way.
//   - When the cursors cannot be read (a damaged cursor file), every segment counts as
//     needed: the age cap deletes nothing, and the size cap still applies, counting every
//     record it deletes as forced.
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
#include "io/errno_status.h"
#include "segment/cursor_store.h"
#include "segment/segment_log.h"

namespace spool::segment {

namespace {

// Where the cursors stand, as retention sees them.
struct CursorFloor {
  bool readable = true;                // false: a cursor file is damaged, keep everything
  std::optional<std::uint64_t> floor;  // smallest next_offset; nullopt without cursors
};

CursorFloor read_cursor_floor(const std::string& log_dir) {
  auto floor = CursorStore::at(log_dir).min_next_offset();
  if (!floor) return CursorFloor{false, std::uint64_t{0}};
  return CursorFloor{true, *floor};
}

// Records of the segment at or after `floor`. From the summary: offsets inside a sealed
// segment are consecutive except where records were lost before they were durable, so for
// a segment the floor cuts through this is exact or (after such a loss) an upper bound.
std::uint64_t records_at_or_after(const SegmentSummary& s, std::uint64_t floor) {
  if (s.record_count == 0 || s.last_offset < floor) return 0;
  if (floor <= s.first_offset) return s.record_count;
  return std::min<std::uint64_t>(s.record_count, s.last_offset - floor + 1);
}

}  // namespace

Result<std::size_t> SegmentLog::enforce_retention() { return enforce_retention(RetentionCursors::kRespect); }

Result<std::size_t> SegmentLog::enforce_retention(RetentionCursors cursor_rule) {
  return enforce_retention(cursor_rule, 0);
}

Result<std::size_t> SegmentLog::enforce_retention(RetentionCursors cursor_rule,
                                                  std::uint64_t headroom) {
  if (mode_ != OpenMode::kReadWrite || closed_) return std::size_t{0};
  if (opener_.is_other_process()) return refuse_in_fork_child();  // the parent's segments
  if (options_.retention_bytes == 0 && options_.retention_max_age_ms == 0) return std::size_t{0};
  std::size_t deleted = 0;
  const std::int64_t now = io::wall_clock_ns();
  std::optional<CursorFloor> cursors;  // read when a segment first becomes a candidate
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
    const bool over_size =
        options_.retention_bytes != 0 && total + headroom > options_.retention_bytes;
    const SegmentSummary s = oldest->summary();
    const bool too_old =
        options_.retention_max_age_ms != 0 && s.record_count > 0 &&
        now - s.max_timestamp > static_cast<std::int64_t>(options_.retention_max_age_ms) * 1'000'000;
    const bool empty_and_old = options_.retention_max_age_ms != 0 && s.record_count == 0;
    if (!over_size && !too_old && !empty_and_old) break;
    if (!cursors) cursors = read_cursor_floor(dir_);
    const bool needed = cursors->floor && records_at_or_after(s, *cursors->floor) > 0;
    const bool ignore_cursors = cursor_rule == RetentionCursors::kIgnore;
    const bool age_may_delete = (too_old || empty_and_old) && (ignore_cursors || (cursors->readable && !needed));
    // Under kKeepNeeded the size cap deletes only what every cursor has passed; with no
    // cursor yet nothing has been read, so everything is needed.
    const bool keeps_needed = options_.size_cap_rule == SizeCapRule::kKeepNeeded && !ignore_cursors;
    const bool size_may_delete =
        over_size &&
        (!keeps_needed || (cursors->readable && cursors->floor.has_value() && !needed));
    if (!size_may_delete && !age_may_delete) break;
    // Here a needed segment is deleted only because the size cap (or kIgnore) forces it.
    const std::uint64_t forced = needed ? records_at_or_after(s, *cursors->floor) : 0;
    SPOOL_RETURN_IF_ERROR(delete_segment(*oldest));
    retention_forced_records_.fetch_add(forced, std::memory_order_relaxed);
    ++deleted;
  }
  if (deleted > 0 && retention_observer_) retention_observer_(first_offset());
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
  if (rc < 0) return io::errno_status(rc, "retire segment " + seg_path);
  {
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_.erase(std::remove_if(segments_.begin(), segments_.end(),
                                   [&](const auto& p) { return p.get() == &seg; }),
                    segments_.end());
  }
  if (state_) state_->bump_segments_version();  // readers in other processes drop it too
  step(DeletionStep::kAfterRenameSegment);
  rc = io::rename_path(idx_path, idx_path + deleted);
  if (rc < 0 && rc != -ENOENT) return io::errno_status(rc, "retire index " + idx_path);
  step(DeletionStep::kAfterRenameIndex);
  if ((rc = io::fsync_directory(dir_)) < 0) return io::errno_status(rc, "fsync directory " + dir_);
  step(DeletionStep::kAfterDirSync);
  io::remove_path(seg_path + deleted);
  step(DeletionStep::kAfterUnlinkSegment);
  io::remove_path(idx_path + deleted);
  step(DeletionStep::kAfterUnlinkIndex);
  return Status::ok();
}

}  // namespace spool::segment
