// RecordScan: the records of a selection, in offset order (include/spool/reader.h).
#include <algorithm>

#include "engine/read/record_scan_state.h"
#include "engine/read/stored_record.h"

namespace spool {

namespace engine {

namespace {

// Beside a live writer the segment list is a snapshot: retention may delete the segment a
// scan was about to map. The scan then catches up with the writer and goes on from the log's
// first offset, a bounded number of times (a segment that stays missing is an error).
constexpr int kMaxCatchUps = 8;

}  // namespace

bool RecordScanState::selected(const segment::RecordView& view) const {
  const auto kind = static_cast<RecordKind>(view.type);
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) return false;
  if (record_types.empty()) return true;
  const std::string_view type = record_type_of(view.type, view.payload);
  return kind == RecordKind::kRecord &&
         std::find(record_types.begin(), record_types.end(), type) != record_types.end();
}

bool RecordScanState::next(segment::RecordView* out) {
  while (!ended) {
    if (!reader.next(out)) {
      const Status& error = reader.error();
      if (error.code() == StatusCode::kNotFound && log->follows_live_writer() &&
          ++catch_ups <= kMaxCatchUps) {
        if (Status refreshed = log->refresh(); !refreshed) {
          status = refreshed;
          ended = true;
          break;
        }
        skipped_before += reader.skipped_bytes();
        reader = log->scan(std::max(reader.position_offset(), log->first_offset()));
        continue;
      }
      status = error;  // OK when the reader simply reached the end
      ended = true;
      break;
    }
    if (out->offset >= end || (until_ns && out->timestamp_ns >= *until_ns)) {
      ended = true;
      break;
    }
    if (selected(*out)) return true;
  }
  *out = segment::RecordView{};
  return false;
}

}  // namespace engine

RecordScan::RecordScan(std::unique_ptr<engine::RecordScanState> state) : state_(std::move(state)) {}
RecordScan::RecordScan(RecordScan&&) noexcept = default;
RecordScan& RecordScan::operator=(RecordScan&&) noexcept = default;
RecordScan::~RecordScan() = default;

bool RecordScan::next(StoredRecord* out) {
  segment::RecordView view;
  if (!state_->next(&view)) return false;
  engine::to_stored_record(std::move(view), out);
  return true;
}

const Status& RecordScan::status() const noexcept { return state_->status; }

std::uint64_t RecordScan::skipped_bytes() const noexcept {
  return state_->skipped_before + state_->reader.skipped_bytes();
}

}  // namespace spool
