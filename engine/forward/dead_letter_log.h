// DeadLetterLog: records a sink still refuses after its retries (or refuses permanently,
// e.g. HTTP 400) are set aside here, never dropped, until an operator requeues them.
//
// It is a second SegmentLog in <log_dir>/deadletter/ (its own log id, its own LOCK) with
// batch durability: append() returns only after the dead letters are fdatasync'd, so the
// main log's cursor may move past them as soon as it returns. Requeue progress is the
// cursor "requeue" in <log_dir>/deadletter/cursors/ (cursor_store.h): dead letters below
// its next_offset have been appended back into the main log.
//
// Each dead letter is one frame. The frame keeps the original record's type, flags and
// timestamp; its payload is this header, the error text and the original payload
// (little-endian):
//
//   byte   size  field
//   0      4     magic                "SPDL"
//   4      2     version              1
//   6      2     error_length         e, 0..4096 bytes of error text (longer texts are cut
//                                     at a UTF-8 character boundary and end with "…")
//   8      8     original_log_id      log id of the log the record came from
//   16     8     original_offset      its offset there (with the log id: its idempotency key)
//   24     8     dead_lettered_at_ns  wall clock when it was set aside (signed ns, Unix epoch)
//   32     4     attempts             delivery attempts made before giving up
//   36     4     reserved             zero
//   40     e     error text           why the sink refused it
//   40+e   pad   zero bytes up to the next multiple of 8, so the original payload keeps the
//                8-byte alignment every log payload has (FlatBuffers read in place)
//   40+E   rest  original payload     (E = e rounded up to a multiple of 8)
//
// Retention of its own (enforce_retention): whole sealed segments, oldest first, go when the
// dead-letter log is larger than a byte cap or their newest dead letter was set aside longer
// ago than an age limit -- requeued or not, so an outage of the operator cannot fill the
// disk. Dead letters it deletes before they were requeued are counted, and the count is
// persisted as the state of the cursor "retention" in <log_dir>/deadletter/cursors/
// ("dropped=<n>\n"; its next_offset is the first dead letter kept), so tools read it too.
//
// Threading: append(), requeue() and enforce_retention() are serialized internally (call them from any thread);
// list(), count() and pending() may run concurrently with them.
#pragma once

#include <functional>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "segment/cursor_store.h"
#include "segment/segment_file.h"
#include "segment/segment_log.h"
#include "spool/status.h"

namespace spool::engine {

// One record to set aside; views into the caller's memory (nothing is copied until the
// frame is encoded).
struct DeadLetterInput {
  std::uint64_t log_id = 0;   // of the log the record came from
  std::uint64_t offset = 0;   // its offset there
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::int64_t timestamp_ns = 0;
  std::uint32_t attempts = 0;
  std::string_view error;     // cut to kMaxDeadLetterErrorBytes
  std::span<const std::uint8_t> payload;
};

// One dead letter read back.
struct DeadLetter {
  std::uint64_t log_id = 0;
  std::uint64_t offset = 0;
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::int64_t timestamp_ns = 0;
  std::uint32_t attempts = 0;
  std::int64_t dead_lettered_at_ns = 0;
  std::string error;
  std::vector<std::uint8_t> payload;
  std::uint64_t dead_letter_offset = 0;  // its offset in the dead-letter log
  bool requeued = false;                 // already appended back into the main log
};

inline constexpr std::size_t kDeadLetterHeaderBytes = 40;
inline constexpr std::size_t kMaxDeadLetterErrorBytes = 4096;

// The fields of a dead-letter frame payload, as views into it.
struct DeadLetterPayload {
  std::uint64_t log_id = 0;
  std::uint64_t offset = 0;
  std::int64_t dead_lettered_at_ns = 0;
  std::uint32_t attempts = 0;
  std::string_view error;
  std::span<const std::uint8_t> payload;
};

// `error` cut to at most kMaxDeadLetterErrorBytes, at a UTF-8 boundary, ending with "…".
std::string truncate_dead_letter_error(std::string_view error);
// Appends the frame payload of `letter` (format above) to `out`.
void encode_dead_letter_payload(const DeadLetterInput& letter, std::int64_t dead_lettered_at_ns,
                                std::vector<std::uint8_t>* out);
// Parses a frame payload from disk: any bytes give either the fields or a Corruption
// error saying what is wrong. Never reads outside `bytes`.
Result<DeadLetterPayload> decode_dead_letter_payload(std::span<const std::uint8_t> bytes);

// Caps of the dead-letter log (0 = no cap).
struct DeadLetterRetention {
  std::uint64_t max_bytes = 0;
  std::uint64_t max_age_ms = 0;
};

class DeadLetterLog {
 public:
  static constexpr std::string_view kDirName = "deadletter";
  static constexpr std::string_view kRequeueCursor = "requeue";
  static constexpr std::string_view kRetentionCursor = "retention";

  // Opens (creating) <log_dir>/deadletter read-write; takes its directory lock.
  // `max_payload_bytes` bounds the original payloads it accepts (the main log's
  // max_record_bytes).
  // `segment_bytes`: size of its segments (0 = 16 MiB), raised to fit two of the largest
  // dead letters; retention deletes whole sealed segments.
  static Result<std::unique_ptr<DeadLetterLog>> open(
      const std::string& log_dir, std::uint32_t max_payload_bytes = kDefaultMaxRecordBytes,
      std::uint64_t segment_bytes = 0);
  // Opens an existing <log_dir>/deadletter without the lock, never writing (for tools on a
  // live log): list(), count() and pending() work; append() and requeue() fail.
  // NotFound when the log has no dead-letter log.
  static Result<std::unique_ptr<DeadLetterLog>> open_read_only(const std::string& log_dir);

  // Appends the letters as one batch, durable (fdatasync'd) when it returns OK. All or
  // nothing for invalid input (a payload above max_payload_bytes).
  Status append(std::span<const DeadLetterInput> letters);
  // Every dead letter in the log, oldest first, at most `limit`, each saying whether it was
  // requeued. A frame that does not decode is a Corruption error naming its offset.
  Result<std::vector<DeadLetter>> list(std::size_t limit = std::numeric_limits<std::size_t>::max()) const;
  // Dead letters ever appended to this log.
  std::uint64_t count() const;
  // Dead letters not yet requeued (nor deleted by retention).
  std::uint64_t pending() const;
  // Dead letters retention deleted before they were requeued, ever (persisted).
  std::uint64_t dropped_by_retention() const noexcept { return dropped_.load(std::memory_order_acquire); }

  // Applies `caps` now (see the top of this file). Returns how many not-yet-requeued dead
  // letters it deleted in this call.
  Result<std::uint64_t> enforce_retention(const DeadLetterRetention& caps);

  // Appends every not-yet-requeued dead letter back into `main` as a new record (original
  // type, flags, timestamp and payload; a new offset), syncs `main`, then advances the
  // requeue cursor past them, in chunks. At-least-once: a crash between the append and the
  // cursor commit requeues that chunk again next time. Returns how many were requeued.
  Result<std::uint64_t> requeue(segment::SegmentLog& main);
  // The same through any appender: `append_durably` returns once the chunk is durable in the
  // main log (a Buffer attached to a log another process writes: append, then sync()).
  using RequeueAppend = std::function<Status(std::span<const segment::AppendRecord>)>;
  Result<std::uint64_t> requeue(const RequeueAppend& append_durably);

  const std::string& dir() const noexcept { return log_->dir(); }
  std::uint64_t log_id() const noexcept { return log_->log_id(); }
  Status close() { return log_->close(); }

 private:
  DeadLetterLog(std::unique_ptr<segment::SegmentLog> log, segment::CursorStore cursors,
                std::uint32_t max_payload_bytes, std::uint64_t requeued_next, std::uint64_t dropped)
      : log_(std::move(log)), cursors_(std::move(cursors)), max_payload_bytes_(max_payload_bytes),
        requeued_next_(requeued_next), dropped_(dropped) {}
  // When the newest dead letter of a sealed segment was set aside (wall clock ns).
  std::int64_t newest_set_aside_ns(const segment::SegmentFile& seg) const;

  std::unique_ptr<segment::SegmentLog> log_;
  segment::CursorStore cursors_;  // <log_dir>/deadletter/cursors
  std::uint32_t max_payload_bytes_;
  std::mutex write_mu_;  // serializes append() and requeue()
  std::atomic<std::uint64_t> requeued_next_;  // the requeue cursor's next_offset
  std::atomic<std::uint64_t> dropped_;        // dropped_by_retention()
};

}  // namespace spool::engine
