// LogReader and the read paths of SegmentLog.
#include <algorithm>

#include "io/little_endian.h"
#include "io/mapped_read_guard.h"
#include "segment/segment_log.h"

namespace spool::segment {

std::shared_ptr<const SegmentFile> SegmentLog::segment_for(std::uint64_t offset) const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  if (segments_.empty()) return nullptr;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](std::uint64_t o, const auto& s) { return o < s->base_offset(); });
  return it == segments_.begin() ? segments_.front() : *std::prev(it);
}

std::shared_ptr<const SegmentFile> SegmentLog::segment_after(std::uint64_t base) const {
  std::lock_guard<std::mutex> lock(segments_mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), base,
                             [](std::uint64_t b, const auto& s) { return b < s->base_offset(); });
  return it == segments_.end() ? nullptr : *it;
}

void LogReader::enter(std::shared_ptr<const SegmentFile> segment, std::uint64_t position) {
  segment_ = std::move(segment);
  mapping_.reset();
  position_ = position;
  probed_end_ = position;
  unreadable_ = false;
}

std::uint64_t LogReader::readable_end(std::uint64_t want, std::uint64_t end) {
  want = std::min(want, end);
  if (!unreadable_ && want > probed_end_) {
    const std::uint64_t asked = want - probed_end_;
    const std::uint64_t got = io::readable_prefix(mapping_->data() + probed_end_, asked);
    probed_end_ += got;
    unreadable_ = got < asked;
  }
  return std::min(end, probed_end_);
}

bool LogReader::next(RecordView* out) {
  const std::uint64_t log_id = log_->log_id();
  const std::uint32_t max_payload = log_->options_.max_record_bytes;
  error_ = Status::ok();
  for (;;) {
    if (!segment_) {
      auto seg = log_->segment_for(next_offset_);
      if (!seg) return false;
      const std::uint64_t at = seg->position_for_offset(next_offset_);
      enter(std::move(seg), at);
    }
    if (!mapping_) {
      auto mapped = segment_->map();
      if (!mapped) {
        // Deleted by retention since the snapshot: look again (the reader moves on to the
        // log's first segment). Anything else (EMFILE, ENOMEM) is for the caller to see; the
        // next call retries from the same place.
        const bool retired = mapped.status().code() == StatusCode::kNotFound &&
                             log_->segment_for(segment_->base_offset()) != segment_;
        if (retired) {
          segment_.reset();
          continue;
        }
        error_ = mapped.status();
        return false;
      }
      mapping_ = std::move(mapped.value());
    }
    const std::uint64_t end = std::min<std::uint64_t>(segment_->committed_end(), mapping_->size());
    if (position_ >= end) {
      // Move on only if a newer segment exists; otherwise we are caught up with the writer.
      auto next = log_->segment_after(segment_->base_offset());
      if (!next) return false;
      // Records may have been published into this segment since `end` was loaded (a
      // writer or a follower completes a segment before its successor becomes visible).
      if (position_ < std::min<std::uint64_t>(segment_->committed_end(), mapping_->size())) continue;
      enter(std::move(next), kSegmentHeaderBytes);
      continue;
    }
    // Frames are read in place from the mapping, only where a guarded probe found it
    // readable: a bad block or a file trimmed underneath is skipped damage, not SIGBUS.
    // Only the pages the frame occupies are probed (each page once per reader), so the
    // probe faults in nothing the read would not.
    const std::uint8_t* data = mapping_->data();
    std::uint64_t readable = readable_end(position_ + kFrameHeaderBytes, end);
    if (readable <= position_) {
      skipped_bytes_ += end - position_;  // unreadable to the end of what is committed
      position_ = end;
      continue;
    }
    if (readable - position_ >= kFrameHeaderBytes && io::load_u32(data + position_) == kFrameMagic) {
      const std::uint32_t length = std::min(io::load_u32(data + position_ + 4), max_payload);
      readable = readable_end(position_ + frame_size(length), end);
    }
    const std::uint64_t end_offset = segment_offset_end(segment_->base_offset());
    FrameHeader h;
    if (check_frame(data + position_, readable - position_, log_id, max_payload, &h) ==
            FrameCheck::kValid &&
        h.offset >= segment_->base_offset() && h.offset < end_offset) {
      // Past the log's committed end (a live writer's, for a read-only log): not yet.
      if (h.offset >= log_->next_offset()) return false;
      const std::uint64_t at = position_;
      position_ += frame_size(h.payload_length);
      if (h.offset < next_offset_) continue;
      out->offset = h.offset;
      out->timestamp_ns = h.timestamp_ns;
      out->type = h.record_type;
      out->flags = h.flags;
      out->payload = std::span<const std::uint8_t>(data + at + kFrameHeaderBytes, h.payload_length);
      out->segment = segment_;
      out->mapping = mapping_;
      next_offset_ = h.offset + 1;
      return true;
    }
    // Damage: skip to the next frame that validates (and does not go backwards).
    readable = readable_end(end, end);
    auto found = find_next_frame(data, readable, position_ + kFrameAlignment, log_id, max_payload,
                                 std::max(next_offset_, segment_->base_offset()), end_offset);
    const std::uint64_t resume = found ? found->position : end;
    skipped_bytes_ += resume - position_;
    position_ = resume;
  }
}

Result<RecordView> SegmentLog::read(std::uint64_t offset) const {
  LogReader reader(this, offset);
  RecordView view;
  if (reader.next(&view) && view.offset == offset) return view;
  if (!reader.error().is_ok()) return reader.error();
  if (offset >= next_offset()) {
    return Status::not_found("offset " + std::to_string(offset) + " is past the end of the log (next offset " +
                             std::to_string(next_offset()) + ")");
  }
  return Status::not_found("offset " + std::to_string(offset) +
                           " is not in the log (deleted by retention or lost to damage)");
}

LogReader SegmentLog::scan(std::uint64_t from) const { return LogReader(this, from); }

LogReader SegmentLog::scan_from_time(std::int64_t timestamp_ns) const {
  for (const auto& seg : segments()) {
    const SegmentSummary s = seg->summary();
    if (s.record_count == 0 || s.max_timestamp < timestamp_ns) continue;
    // Walk from the index's position to the first frame at or after the time.
    LogReader probe(this, seg->base_offset());
    probe.enter(seg, seg->position_for_time(timestamp_ns));
    RecordView v;
    while (probe.next(&v)) {
      if (v.timestamp_ns >= timestamp_ns) return LogReader(this, v.offset);
    }
  }
  return LogReader(this, next_offset());
}

}  // namespace spool::segment
