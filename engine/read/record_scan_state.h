// What one spool::RecordScan holds: its position in the log and the rest of its selection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "segment/segment_log.h"
#include "spool/reader.h"

namespace spool::engine {

struct RecordScanState {
  RecordScanState(segment::SegmentLog& log, std::uint64_t from)
      : log(&log), reader(log.scan(from)) {}

  // The next record of the selection; false at its end or on an error (status).
  bool next(segment::RecordView* out);
  bool selected(const segment::RecordView& view) const;

  segment::SegmentLog* log;  // the Reader's (refresh() follows a live writer)
  segment::LogReader reader;
  std::uint64_t end = kEndOfLog;  // exclusive: the selection's, or the log's end at the start
  std::optional<std::int64_t> until_ns;  // the first record buffered at or after it ends the scan
  std::vector<RecordKind> kinds;
  std::vector<std::string> record_types;
  Status status;
  bool ended = false;
  std::uint64_t skipped_before = 0;  // damaged bytes counted by readers replaced after a catch-up
  int catch_ups = 0;
};

}  // namespace spool::engine
