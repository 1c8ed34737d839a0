// spool::Reader: a read-only view of a log directory (include/spool/reader.h).
#include "spool/reader.h"

#include <algorithm>

#include "engine/read/record_scan_state.h"
#include "engine/read/stored_record.h"
#include "segment/log_marker.h"
#include "segment/segment_log.h"

namespace spool {

namespace {

Status check_ranges(const ReadSelection& s) {
  if (s.until_offset < s.from_offset) {
    return Status::invalid_argument("read selection: until_offset " +
                                    std::to_string(s.until_offset) + " is before from_offset " +
                                    std::to_string(s.from_offset));
  }
  if (s.from_ns && s.until_ns && *s.until_ns < *s.from_ns) {
    return Status::invalid_argument("read selection: until_ns " + std::to_string(*s.until_ns) +
                                    " is before from_ns " + std::to_string(*s.from_ns));
  }
  return Status::ok();
}

}  // namespace

Reader::Reader(std::string dir, std::unique_ptr<segment::SegmentLog> log)
    : dir_(std::move(dir)), log_(std::move(log)) {}
Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::open(const std::string& dir) {
  // The log's own settings (its record size bound among them), as its writer recorded them.
  auto options = segment::log_options_from_marker(dir);
  if (!options) return options.status();
  auto log = segment::SegmentLog::open(dir, *options, segment::OpenMode::kReadOnly);
  if (!log) return log.status();
  return std::unique_ptr<Reader>(new Reader(dir, std::move(*log)));
}

Result<RecordScan> Reader::scan(const ReadSelection& selection) const {
  SPOOL_RETURN_IF_ERROR(check_ranges(selection));
  SPOOL_RETURN_IF_ERROR(log_->refresh());
  std::uint64_t from = std::max(selection.from_offset, log_->first_offset());
  const std::uint64_t end = std::min(selection.until_offset, log_->next_offset());
  if (selection.from_ns && from < end) {
    // The segments' summaries and sparse time indexes find the start (what seek(kTime) uses).
    segment::LogReader at_time = log_->scan_from_time(*selection.from_ns);
    segment::RecordView first;
    from = std::max(from, at_time.next(&first) ? first.offset : end);
  }
  auto state = std::make_unique<engine::RecordScanState>(*log_, from);
  state->end = end;
  state->until_ns = selection.until_ns;
  state->kinds = selection.kinds;
  state->record_types = selection.record_types;
  return RecordScan(std::move(state));
}

Result<StoredRecord> Reader::latest(std::string_view record_type) const {
  SPOOL_RETURN_IF_ERROR(log_->refresh());
  const std::uint64_t end = log_->next_offset();
  const std::vector<std::shared_ptr<const segment::SegmentFile>> segments = log_->segments();
  // Newest segment first; within one, the last match wins. The first segment holding a
  // match ends the search, so a recent checkpoint costs one segment's read.
  std::uint64_t segment_end = end;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const std::uint64_t base = (*it)->base_offset();
    engine::RecordScanState scan(*log_, base);
    scan.end = std::min(segment_end, end);
    scan.record_types = {std::string(record_type)};
    segment::RecordView view, found;
    bool any = false;
    while (scan.next(&view)) {
      found = std::move(view);
      any = true;
    }
    if (!scan.status.is_ok()) return scan.status;
    if (any) {
      StoredRecord out;
      engine::to_stored_record(std::move(found), &out);
      return out;
    }
    segment_end = base;
  }
  return Status::not_found("log " + dir_ + " holds no record of type '" + std::string(record_type) +
                           "'");
}

std::uint64_t Reader::first_offset() const { return log_->first_offset(); }
std::uint64_t Reader::next_offset() const { return log_->next_offset(); }
bool Reader::follows_live_writer() const { return log_->follows_live_writer(); }

}  // namespace spool
