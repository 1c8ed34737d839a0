// Cursor administration for tools (include/spool/cursors.h): read-only views of the log,
// the cursor files and the dead-letter log; seek and delete replace one cursor file.
#include "spool/cursors.h"

#include <algorithm>

#include "engine/forward/dead_letter_log.h"
#include "engine/forward/forward_totals.h"
#include "io/clock.h"
#include "segment/cursor_lock.h"
#include "segment/cursor_store.h"
#include "segment/log_lag.h"
#include "segment/segment_log.h"

namespace spool {

namespace {

Result<std::unique_ptr<segment::SegmentLog>> open_read_only(const std::string& dir) {
  return segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
}

Result<std::vector<CursorInfo>> cursor_infos(const segment::SegmentLog& log) {
  // at(): reading creates nothing (a log without cursors has no cursors/ directory).
  const segment::CursorStore store = segment::CursorStore::at(log.dir());
  auto records = store.list();
  if (!records) return records.status();
  const std::int64_t now = io::wall_clock_ns();
  std::vector<CursorInfo> out;
  for (const segment::CursorRecord& r : *records) {
    CursorInfo info;
    info.name = r.name;
    info.next_offset = r.next_offset;
    info.updated_ns = r.updated_ns;
    auto state = engine::decode_forward_state(r.state);
    if (!state) return Status::corruption("cursor " + r.name + ": " + state.status().message());
    info.totals = std::move(state->totals);
    info.bandwidth = state->bandwidth;
    auto settled = engine::decode_settled_ahead(r.state);
    if (!settled) return Status::corruption("cursor " + r.name + ": " + settled.status().message());
    for (const engine::OffsetRun& run : *settled) {
      if (run.first >= r.next_offset && run.end <= log.next_offset()) info.settled_ahead += run.size();
    }
    const segment::LogLagFigures lag = segment::measure_lag(log, r.next_offset, log.next_offset());
    info.lag.records = lag.records - std::min(lag.records, info.settled_ahead);
    info.lag.bytes = lag.bytes;
    info.lag.oldest_age_ns = lag.oldest_timestamp_ns == 0 ? 0 : std::max<std::int64_t>(0, now - lag.oldest_timestamp_ns);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace

Result<LogSummary> summarize_log(const std::string& dir) {
  auto log = open_read_only(dir);
  if (!log) return log.status();
  LogSummary summary;
  summary.log_id = (*log)->log_id();
  summary.first_offset = (*log)->first_offset();
  summary.next_offset = (*log)->next_offset();
  summary.records = (*log)->record_count();
  summary.size_bytes = (*log)->size_bytes();
  summary.segments = (*log)->segment_count();
  auto cursors = cursor_infos(**log);
  if (!cursors) return cursors.status();
  summary.cursors = std::move(*cursors);
  auto dead_letters = engine::DeadLetterLog::open_read_only(dir);
  if (dead_letters) {
    summary.dead_letters = (*dead_letters)->count();
    summary.dead_letters_pending = (*dead_letters)->pending();
    summary.dead_letters_dropped = (*dead_letters)->dropped_by_retention();
  } else if (dead_letters.status().code() != StatusCode::kNotFound) {
    return dead_letters.status();
  }
  return summary;
}

Result<std::vector<CursorInfo>> list_cursors(const std::string& dir) {
  auto log = open_read_only(dir);
  if (!log) return log.status();
  return cursor_infos(**log);
}

Status seek_cursor(const std::string& dir, const std::string& name, SeekTarget target, std::int64_t value) {
  if (Status s = segment::CursorStore::validate_name(name); !s) return s;
  auto log = open_read_only(dir);
  if (!log) return log.status();
  const std::uint64_t first = (*log)->first_offset();
  const std::uint64_t end = (*log)->next_offset();
  std::uint64_t position = first;
  switch (target) {
    case SeekTarget::kEarliest: position = first; break;
    case SeekTarget::kLatest: position = end; break;
    case SeekTarget::kOffset:
      if (value < 0) return Status::invalid_argument("offset must not be negative");
      position = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(value), first, end);
      break;
    case SeekTarget::kTime: {
      segment::LogReader reader = (*log)->scan_from_time(value);
      segment::RecordView view;
      position = reader.next(&view) ? view.offset : end;
      break;
    }
  }
  auto store = segment::CursorStore::open(dir);
  if (!store) return store.status();
  // A running forwarder owns its cursor and would overwrite the seek with its next commit.
  auto lock = segment::CursorLock::acquire(dir, name, store->file_mode());
  if (!lock) return lock.status();
  auto existing = store->load(name);
  if (!existing) return existing.status();
  segment::CursorRecord record;
  record.name = name;
  record.next_offset = position;
  record.updated_ns = io::wall_clock_ns();
  // The totals and the budget's day stay; the runs settled beyond the old position do not
  // (a seek back resends).
  engine::ForwardState state;
  if (existing->has_value()) {
    auto decoded = engine::decode_forward_state((*existing)->state);
    if (!decoded) return decoded.status();
    state = std::move(*decoded);
  }
  record.state = engine::encode_forward_state(state.totals, state.bandwidth);
  return store->commit(record);
}

Status delete_cursor(const std::string& dir, const std::string& name) {
  if (Status s = segment::CursorStore::validate_name(name); !s) return s;
  auto store = segment::CursorStore::open(dir);
  if (!store) return store.status();
  auto lock = segment::CursorLock::acquire(dir, name, store->file_mode());  // see seek_cursor
  if (!lock) return lock.status();
  return store->remove(name);
}

}  // namespace spool
