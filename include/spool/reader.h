// spool::Reader: reads the records of a log directory without changing it.
//
//   auto reader = spool::Reader::open("/var/lib/app/spool");
//   spool::ReadSelection sel;
//   sel.from_ns = t0;                    // buffered at or after t0 ...
//   sel.until_ns = t1;                   // ... and before t1
//   sel.kinds = {spool::RecordKind::kLog};
//   auto scan = (*reader)->scan(sel);
//   spool::StoredRecord r;
//   while (scan->next(&r)) use(r.offset, r.timestamp_ns, r.payload);
//   if (!scan->status()) ...             // why it stopped early (the end of the range is OK)
//
//   auto checkpoint = (*reader)->latest("checkpoint");   // the newest Record of that type
//
// The log is opened read-only: no lock, no recovery writes, no file created, renamed or
// truncated, so a Reader is safe beside a live writer in another process (or this one) and on
// a log kept as evidence. Beside a live writer it reads only what the writer has committed
// (README "Reading a live log"); each scan() and latest() first catches up with the writer,
// and a scan then returns what was committed when it started (start another to see more).
// Segments that retention deletes under a scan are not an error: the scan finishes the
// segment it holds and goes on with the records left. Damaged frames are skipped (counted in
// RecordScan::skipped_bytes()); a torn tail after a writer crashed ends the records.
//
// Threads: a Reader may be used from several threads at once (each scan from one thread at a
// time). Errors are values: open, scan and latest return them, a scan's status() says why it
// ended before the end of its range.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/records.h"
#include "spool/status.h"

namespace spool {

namespace segment {
class SegmentLog;
}
namespace engine {
struct RecordScanState;
}

// A record as the log stores it, read in place from the mapped segment. Lifetime: the
// payload (and record_type, data) point into the segment's mapping, which the record itself
// keeps mapped (`hold`): they stay valid as long as this record or a copy of it lives, also
// after its RecordScan and Reader are gone and after retention deleted the segment. Holding
// many records keeps their segments mapped: copy the bytes out to keep them longer.
struct StoredRecord {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;            // buffered at (wall clock, ns since the Unix epoch)
  RecordKind kind = RecordKind::kRawFrame;  // the frame type (later versions may add values)
  Priority priority = Priority::kNormal;
  // The frame's payload: a FlatBuffers table of records.fbs for span, log, metric and
  // record kinds (check it with verify_encoded() before decoding), raw bytes for kRawFrame.
  std::span<const std::uint8_t> payload;
  // Records of kind kRecord whose payload verifies: their type tag ("prediction", "run",
  // "checkpoint") and their data. Empty for every other record.
  std::string_view record_type;
  std::span<const std::uint8_t> data;
  std::shared_ptr<const void> hold;  // keeps the bytes above mapped
};

// An offset bound meaning "to the end of the log".
inline constexpr std::uint64_t kEndOfLog = std::numeric_limits<std::uint64_t>::max();

// Which records a scan returns; every condition set must hold.
//
// Time range: buffered-at times come from the wall clock and grow with offsets (unless the
// clock steps back), so the time range is a range of offsets: from the first record buffered
// at or after from_ns (found through the segments' time indexes, not by reading the records
// before it) up to, not including, the first record buffered at or after until_ns. It is the
// range `spoolctl forward --from-time --until-time` replays.
struct ReadSelection {
  std::uint64_t from_offset = 0;           // inclusive
  std::uint64_t until_offset = kEndOfLog;  // exclusive
  std::optional<std::int64_t> from_ns;
  std::optional<std::int64_t> until_ns;
  std::vector<RecordKind> kinds;  // empty: every kind
  // Non-empty: only records of kind kRecord whose record_type is one of these.
  std::vector<std::string> record_types;
};

// The records of one scan, in offset order. Move-only; the Reader must outlive it.
class RecordScan {
 public:
  RecordScan(RecordScan&&) noexcept;
  RecordScan& operator=(RecordScan&&) noexcept;
  ~RecordScan();

  // The next selected record into *out: true. False at the end of the selection, or when the
  // scan cannot go on (status() then says why; the scan stays ended).
  bool next(StoredRecord* out);
  // OK, or why the scan ended before the end of its selection (out of descriptors or
  // mappings: EMFILE, ENOMEM).
  const Status& status() const noexcept;
  // Bytes of damaged frames passed over so far.
  std::uint64_t skipped_bytes() const noexcept;

 private:
  friend class Reader;
  explicit RecordScan(std::unique_ptr<engine::RecordScanState> state);
  std::unique_ptr<engine::RecordScanState> state_;
};

class Reader {
 public:
  // Opens the log in `dir` read-only. NotFound when the directory does not exist,
  // InvalidArgument when it holds files but is not a spool log; an empty directory reads as
  // an empty log (and stays empty).
  static Result<std::unique_ptr<Reader>> open(const std::string& dir);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The records `selection` selects. InvalidArgument when a range ends before it starts.
  Result<RecordScan> scan(const ReadSelection& selection = {}) const;
  // The newest record of kind kRecord with this record_type (an application's checkpoint
  // kept in its log). Reads the log backwards segment by segment from the end and stops in
  // the first segment that has one. NotFound when the log holds none.
  Result<StoredRecord> latest(std::string_view record_type) const;

  // The first offset still in the log, and the offset the next record will get (as of the
  // last scan or latest; == first_offset() for an empty log).
  std::uint64_t first_offset() const;
  std::uint64_t next_offset() const;
  // Whether a live writer held the log when it was last looked at.
  bool follows_live_writer() const;
  const std::string& dir() const noexcept { return dir_; }

 private:
  Reader(std::string dir, std::unique_ptr<segment::SegmentLog> log);
  std::string dir_;
  std::unique_ptr<segment::SegmentLog> log_;
};

}  // namespace spool
