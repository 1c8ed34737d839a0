// The read-only side of SegmentLog beside a live writer: watching LOG_STATE (log_state.h)
// and following the log as the writer appends, rotates and deletes segments.
//
// Why the successor of a segment is taken on only once the segment is complete: a reader
// moves on to the next segment when it reaches the end of one (LogReader), so a segment
// must hold all its records before a later one is visible. With durability batch the
// writer creates the next segment before the records at the end of the current one are
// committed; those records become readable at a later refresh, in place.
#include <algorithm>

#include "segment/segment_directory.h"
#include "segment/segment_log.h"

namespace spool::segment {

Status SegmentLog::watch_log_state(std::uint64_t log_id) {
  if (log_id == 0) return Status::ok();  // nothing to tell LOG_STATE of another log from ours
  auto opened = LogState::open_for_reader(dir_);
  if (!opened) return opened.status();
  if (!opened->has_value() || (*opened)->log_id() != log_id) return Status::ok();
  LogState& state = **opened;
  // Versions first, the committed offset second, the listing (by the caller) last: a
  // rotation or deletion after this is seen by the next refresh().
  seen_generation_ = state.generation();
  seen_segments_version_ = state.segments_version();
  seen_committed_ = state.committed_offset();
  const bool live = state.writer_alive();
  live_writer_.store(live, std::memory_order_release);
  if (live) read_limit_ = seen_committed_;
  state_ = std::move(*opened);
  return Status::ok();
}

LogWriterIdentity SegmentLog::writer() const {
  return state_ ? state_->writer() : LogWriterIdentity{};
}

Status SegmentLog::refresh() {
  if (mode_ != OpenMode::kReadOnly || closed_) return Status::ok();
  std::lock_guard<std::mutex> lock(follow_mu_);
  if (!state_) {
    // A writer may have opened the log since (and written LOG_STATE for the first time).
    SPOOL_RETURN_IF_ERROR(watch_log_state(log_id_));
    if (!state_) return Status::ok();
    relist_ = true;
  }
  const std::uint64_t generation = state_->generation();
  const std::uint64_t segments_version = state_->segments_version();
  const std::uint64_t committed = state_->committed_offset();
  if (!relist_ && generation == seen_generation_ && segments_version == seen_segments_version_ &&
      committed == seen_committed_) {
    return Status::ok();
  }
  if (relist_ || generation != seen_generation_ || segments_version != seen_segments_version_) {
    relist_ = false;
    auto listing = list_log_directory(dir_);
    if (!listing) return listing.status();
    const std::vector<std::uint64_t>& bases = listing->segments;
    {
      std::lock_guard<std::mutex> segments_lock(segments_mu_);
      // Deleted by retention (oldest first): gone from the reader's view too. A reader in
      // the middle of one keeps its mapping and moves on (log_reader.cc).
      std::erase_if(segments_, [&](const auto& seg) {
        return !std::binary_search(bases.begin(), bases.end(), seg->base_offset());
      });
      const std::uint64_t known = segments_.empty() ? 0 : segments_.back()->base_offset();
      listed_after_.clear();
      for (std::uint64_t base : bases) {
        if (segments_.empty() || base > known) listed_after_.push_back(base);
      }
    }
  }
  SPOOL_RETURN_IF_ERROR(follow_segments(committed));
  std::uint64_t next = next_offset_.load(std::memory_order_relaxed);
  if (committed > next) next_offset_.store(committed, std::memory_order_release);
  live_writer_.store(state_->writer_alive(), std::memory_order_release);
  seen_generation_ = generation;
  seen_segments_version_ = segments_version;
  seen_committed_ = committed;
  return Status::ok();
}

Status SegmentLog::follow_segments(std::uint64_t committed) {
  for (;;) {
    if (std::shared_ptr<SegmentFile> last = active()) {
      auto stop = last->follow(log_id_, options_.max_record_bytes, committed);
      if (!stop) {
        if (stop.status().code() != StatusCode::kNotFound) return stop.status();
        relist_ = true;  // deleted under us: the next refresh drops it
        return Status::ok();
      }
      if (listed_after_.empty()) return Status::ok();
      // Records at the limit may still be committed into this segment, unless the next
      // one already holds committed records (then what stopped the walk is damage).
      if (*stop == SegmentFile::FollowStop::kAtLimit && committed <= listed_after_.front()) {
        return Status::ok();
      }
    }
    if (listed_after_.empty()) return Status::ok();
    const std::uint64_t base = listed_after_.front();
    auto seg = SegmentFile::open(dir_, base, /*writable=*/false, options_.index_interval_bytes,
                                 options_.file_mode, mappings_);
    if (!seg) {
      if (seg.status().code() != StatusCode::kNotFound) return seg.status();
      listed_after_.erase(listed_after_.begin());  // deleted before we got to it
      continue;
    }
    const HeaderCheck header = (*seg)->header_check();
    if (header == HeaderCheck::kZero || header == HeaderCheck::kTruncated) {
      relist_ = true;  // being created (the header is written last): look again next time
      return Status::ok();
    }
    listed_after_.erase(listed_after_.begin());
    std::lock_guard<std::mutex> lock(segments_mu_);
    segments_.push_back(std::move(*seg));
  }
}

}  // namespace spool::segment
