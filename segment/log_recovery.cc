// Recovery: what SegmentLog::open does before the log takes appends or reads.
//
// 1. Leftovers of interrupted work are removed (read-write) or noted (read-only), by the exact
//    names spool gives them (segment_directory.h): <20 digits>.seg/.idx.deleted (a retention
//    deletion whose rename was its commit point), spool's own temp names (an atomic write that
//    never renamed), and an index whose segment is gone. Other files are never touched.
// 2. The checkpoint says whether the last close was clean and where the recovery point is.
//    Missing or unreadable, everything is scanned.
// 3. Each segment is trusted through its index (sealed segments below the recovery point;
//    the active one after a clean close) or scanned frame by frame. A scan keeps every
//    valid frame, reports damaged ranges, and cuts a torn tail off the last segment.
// 4. The next offset is one past the last record found, never below what the checkpoint
//    had already handed out, and never below any consumer cursor (<dir>/cursors): after a
//    power loss in none/interval durability the unsynced tail is gone but a cursor committed
//    (fsynced) past it remains, and an offset a consumer acknowledged must not be assigned
//    to a new record (the consumer would pass over it). The gap is reported and counted.
#include <errno.h>

#include <algorithm>
#include <random>

#include "io/clock.h"
#include "io/errno_status.h"
#include "segment/cursor_store.h"
#include "segment/segment_directory.h"
#include "segment/segment_log.h"

namespace spool::segment {

namespace {

bool header_unwritten(const SegmentFile& seg) {
  return seg.header_check() == HeaderCheck::kZero || seg.header_check() == HeaderCheck::kTruncated;
}

// Raises `next` to the furthest consumer cursor of the log in `dir`, noting each cursor that
// was past it. Read-only: a missing cursors/ directory means no cursors.
std::uint64_t next_offset_past_cursors(const std::string& dir, std::uint64_t next,
                                       RecoveryReport* report) {
  auto cursors = CursorStore::at(dir).list();
  if (!cursors) {
    report->notes.push_back("cursors unreadable, the next offset may be below one of them: " +
                            cursors.status().to_string());
    return next;
  }
  const std::uint64_t log_end = next;
  for (const CursorRecord& c : *cursors) {
    if (c.next_offset <= log_end) continue;
    const std::uint64_t position = std::min(c.next_offset, kOffsetLimit);
    report->cursors_past_end.push_back(CursorPastEnd{c.name, position, log_end});
    report->notes.push_back("cursor " + c.name + " is at offset " + std::to_string(position) +
                            ", past the end of the log (" + std::to_string(log_end) +
                            "): records it acknowledged were lost; offsets below it are not "
                            "assigned again");
    next = std::max(next, position);
  }
  report->offsets_skipped = next - log_end;
  return next;
}

}  // namespace

void SegmentLog::clear_leftovers(const DirectoryListing& listing) {
  const bool writable = mode_ == OpenMode::kReadWrite;
  std::vector<std::string> names = listing.leftovers;
  for (std::uint64_t base : listing.indexes) {
    if (!std::binary_search(listing.segments.begin(), listing.segments.end(), base)) {
      names.push_back(index_file_name(base));
    }
  }
  for (const std::string& name : names) {
    if (writable) {
      io::remove_path(dir_ + "/" + name);
      report_.removed_files.push_back(name);
    } else {
      report_.notes.push_back("leftover file " + name + " (the next writer removes it)");
    }
  }
}

Status SegmentLog::check_segment_header(SegmentFile& seg, bool last) {
  const std::uint64_t base = seg.base_offset();
  if (seg.header_check() == HeaderCheck::kValid && seg.header().base_offset == base &&
      seg.header().log_id == log_id_) {
    return Status::ok();
  }
  // A zero or missing header in the last segment is a creation cut short by a crash: no
  // record was ever written there, so it is not damage.
  if (last && header_unwritten(seg)) {
    if (mode_ == OpenMode::kReadWrite) {
      SPOOL_RETURN_IF_ERROR(seg.ensure_capacity(kSegmentHeaderBytes));
      SPOOL_RETURN_IF_ERROR(seg.rewrite_header(log_id_));
      report_.notes.push_back("rewrote unwritten header of " + segment_file_name(base));
    } else {
      report_.notes.push_back("unwritten header in " + segment_file_name(base) +
                              " (a creation cut short; the next writer rewrites it)");
    }
    return Status::ok();
  }
  std::string why = seg.header_check() != HeaderCheck::kValid
                        ? std::string(header_check_name(seg.header_check()))
                        : (seg.header().base_offset != base ? "base offset differs from file name"
                                                           : "log id differs from the log's");
  report_.skipped.push_back(DamagedRange{
      base, 0, std::min<std::uint64_t>(kSegmentHeaderBytes, seg.mapped_bytes()),
      "segment header: " + why});
  return Status::ok();
}

Status SegmentLog::recover_segment(SegmentFile& seg, bool last,
                                   const std::optional<LogCheckpoint>& checkpoint, bool full,
                                   bool* incomplete) {
  const bool writable = mode_ == OpenMode::kReadWrite;
  const std::uint64_t base = seg.base_offset();
  SPOOL_RETURN_IF_ERROR(check_segment_header(seg, last));

  // A sealed segment's index is not fsynced, so it counts only if it describes the trimmed
  // file exactly (a stale index from before sealing does not).
  bool index_sound = seg.load_index();
  if (index_sound && !last && seg.summary().data_end != seg.mapped_bytes()) index_sound = false;
  if (!full && index_sound) {
    if (last && checkpoint->clean && seg.summary().data_end == checkpoint->active_data_end) {
      return Status::ok();  // clean shutdown: the index is the truth
    }
    if (!last && base < checkpoint->recovery_point) return Status::ok();  // synced and sealed
  }

  if (read_limit_ != kOffsetLimit) {
    // A live writer's log (log_state.h): walked only below its committed offset, probing
    // each page just before reading it (the writer may trim a segment it seals meanwhile).
    // Past the last committed frame lies its work in progress: not damage.
    seg.forget_frames();
    std::vector<DamagedRange> damaged;
    auto followed = seg.follow(log_id_, options_.max_record_bytes, read_limit_, &damaged);
    if (!followed) return followed.status();
    *incomplete = *followed == SegmentFile::FollowStop::kAtLimit;
    ++report_.segments_scanned;
    report_.records_scanned += seg.summary().record_count;
    for (auto& d : damaged) report_.skipped.push_back(std::move(d));
    return Status::ok();
  }
  auto scanned = seg.scan(log_id_, options_.max_record_bytes);
  if (!scanned) return scanned.status();
  SegmentScan& scan = scanned.value();
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
  if (!last) {
    if (!index_sound) report_.rebuilt_indexes.push_back(base);
    if (writable && seg.header_check() == HeaderCheck::kValid) {
      // A sealed segment we had to scan: make it durable and indexed, so the recovery
      // point can move past it.
      SPOOL_RETURN_IF_ERROR(seg.datasync());
      SPOOL_RETURN_IF_ERROR(seg.write_index());
    }
  }
  return Status::ok();
}

Status SegmentLog::recover() {
  const bool writable = mode_ == OpenMode::kReadWrite;
  auto listing = list_log_directory(dir_);
  if (!listing) return listing.status();
  clear_leftovers(*listing);

  std::optional<LogCheckpoint> checkpoint;
  {
    std::string bytes;
    int rc = io::read_small_file(dir_ + "/" + LogCheckpoint::kFileName, &bytes, 4096);
    if (rc == 0) {
      checkpoint = LogCheckpoint::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                         bytes.size());
      if (!checkpoint) report_.notes.push_back("checkpoint unreadable: scanning every segment");
    } else if (rc != -ENOENT) {
      return io::errno_status(rc, "read checkpoint in " + dir_);
    }
  }
  // An unclean checkpoint written under another boot means the machine went down (power loss,
  // kernel crash), not just the process: unsynced data anywhere may be gone, so every
  // segment is scanned, not only those after the recovery point.
  const bool machine_crashed = checkpoint && !checkpoint->clean &&
                               checkpoint->boot != LogCheckpoint::current_boot();
  if (machine_crashed) report_.notes.push_back("the machine restarted since the last write: scanning every segment");
  const bool full = options_.full_recovery_scan || !checkpoint || machine_crashed;
  report_.full_scan = full;
  report_.clean_shutdown = checkpoint && checkpoint->clean;
  report_.recovery_point = full ? 0 : checkpoint->recovery_point;

  // A reader beside a live writer may see a segment go (retention) between the listing and
  // opening or scanning it: gone from the log, not an error.
  const bool vanishing_ok = !writable && state_.has_value();
  std::vector<std::shared_ptr<SegmentFile>> segs;
  for (std::size_t i = 0; i < listing->segments.size(); ++i) {
    const bool last = i + 1 == listing->segments.size();
    auto seg = SegmentFile::open(dir_, listing->segments[i], writable && last,
                                 options_.index_interval_bytes, options_.file_mode, mappings_);
    if (!seg && vanishing_ok && seg.status().code() == StatusCode::kNotFound) continue;
    if (!seg) return seg.status();
    segs.push_back(std::move(seg.value()));
  }
  // The log id: from the checkpoint, else the first sound segment header, else new.
  if (checkpoint) log_id_ = checkpoint->log_id;
  for (const auto& seg : segs) {
    if (log_id_ == 0 && seg->header_check() == HeaderCheck::kValid) log_id_ = seg->header().log_id;
  }
  if (log_id_ == 0) log_id_ = options_.log_id != 0 ? options_.log_id : LogMarker::new_log_id();

  std::uint64_t next = checkpoint ? checkpoint->next_offset : 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    bool incomplete = false;
    const Status recovered = recover_segment(*segs[i], i + 1 == segs.size(), checkpoint, full, &incomplete);
    if (!recovered && vanishing_ok && recovered.code() == StatusCode::kNotFound) {
      segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    SPOOL_RETURN_IF_ERROR(recovered);
    const SegmentSummary s = segs[i]->summary();
    next = std::max(next, s.record_count > 0 ? s.last_offset + 1 : segs[i]->base_offset());
    if (incomplete && i + 1 < segs.size() && read_limit_ <= segs[i + 1]->base_offset()) {
      // The live writer rotated, but records of this segment are not committed yet: the
      // segments after it are taken on by refresh() once it is complete (log_follower.cc).
      for (std::size_t k = i + 1; k < segs.size(); ++k) listed_after_.push_back(segs[k]->base_offset());
      segs.resize(i + 1);
    }
  }
  if (read_limit_ != kOffsetLimit) {
    // The live writer's committed offset is the end (it raised its next offset past the
    // cursors when it opened).
    next = read_limit_;
  } else {
    next = next_offset_past_cursors(dir_, next, &report_);
  }

  if (segs.empty() && writable) {
    auto seg = SegmentFile::create(dir_, next, log_id_, options_.segment_bytes,
                                   options_.index_interval_bytes, /*sync_dir=*/true, options_.file_mode,
                                   mappings_);
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

}  // namespace spool::segment
