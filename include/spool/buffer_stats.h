// A snapshot of spool::Buffer's counters (Buffer::stats()).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "spool/hooks.h"

namespace spool {

// Why a record was not written. Every drop is counted under exactly one reason.
enum class DropReason : std::uint8_t {
  kQueueFull = 0,     // kDropNewest (or kSample when completely full): the new record
  kDropOldest = 1,    // kDropOldest: an older queued record evicted for a new one
  kSampled = 2,       // kSample: not kept by the sampler
  kBlockTimeout = 3,  // kBlock: no room within block_timeout_ms
  kTooLarge = 4,      // larger than the log can write (max_record_bytes, bounded by what one
                      // segment holds) or the producer ring; refused at append (or by the writer)
  kWriteFailed = 5,   // the log refused it for good (shutdown while the disk stayed full, or
                      // the log failed a sync: queued then, or appended after it)
  kShutdown = 6,      // appended after shutdown() began
  kMalformed = 7,     // append_checked: the bytes are not a valid record of their kind
  kDiskFull = 8,      // the log was at its size cap and disk_full_policy (kDropNewest,
                      // kSample) dropped it rather than delete what was not yet read
};
inline constexpr std::size_t kDropReasonCount = 9;
const char* drop_reason_name(DropReason reason) noexcept;

// Power-of-two histogram: bucket i counts values in [2^i, 2^(i+1)) (bucket 0 also holds 0).
struct Log2Histogram {
  std::array<std::uint64_t, 40> buckets{};
  std::uint64_t count = 0;
  std::uint64_t max = 0;
  // Upper bound of the bucket holding the q-quantile (q in [0, 1]); 0 when empty.
  std::uint64_t quantile_upper_bound(double q) const noexcept;
};

// One change of the queue budget.
struct BudgetResize {
  std::int64_t time_ns = 0;
  std::uint64_t from_bytes = 0;
  std::uint64_t to_bytes = 0;
  std::uint64_t available_bytes = 0;  // memory available when it was decided
};

struct LaneStats;

struct BufferStats {
  // Every append() call counts once in `appended`. At any moment
  //   appended == written + dropped_total() + queue_depth
  // (records being written count in queue_depth until they are in the log).
  std::uint64_t appended = 0;
  std::uint64_t accepted = 0;  // of those, queued (not refused at the door)
  std::uint64_t written = 0;   // in the log (offset assigned, visible to readers)
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // by DropReason
  std::uint64_t dropped_total() const noexcept;

  std::uint64_t queue_depth = 0;  // records queued, not yet written
  std::uint64_t queue_bytes = 0;  // bytes they occupy
  std::uint64_t queue_budget_bytes = 0;
  std::uint64_t budget_resizes = 0;
  BudgetResize last_resize;       // time_ns == 0 when none yet

  std::uint64_t committed_offset = 0;   // next offset after the last durable record (per mode)
  std::uint64_t written_end_offset = 0; // next offset after the last record written (durable or not)
  std::int64_t oldest_unwritten_age_ns = 0;  // age of the oldest queued record; 0 when empty
  std::uint64_t producers = 0;          // producer rings registered

  std::uint64_t write_batches = 0;
  std::uint64_t write_errors = 0;
  std::string last_write_error;   // empty when none
  // Non-empty once the log failed a sync: it takes no more records until the buffer is
  // reopened (every append returns this error; see README, durability).
  std::string log_failed;
  // The log is at its size cap (log.retention_bytes) with records its consumers have not
  // read, and disk_full_policy (not kDropOldest) holds or drops what arrives.
  bool at_cap = false;
  Log2Histogram batch_records;    // records per writer batch
  Log2Histogram write_latency_ns; // time of each batch's append (+ sync per mode)
  std::uint64_t syncs = 0;
  std::uint64_t writer_wakeups = 0;
  HookStats hooks;  // Options::hooks (include/spool/hooks.h)
  // Each lane's own stats (lane_options.h), the default lane first; the other fields are
  // their sums, except the offsets (the default lane's: each lane has offsets of its own).
  std::vector<LaneStats> lanes;
};

// One lane's part of BufferStats.
struct LaneStats {
  std::string name;                // "default" for DIR's own log
  std::string dir;                 // DIR, or DIR/lanes/<name>
  std::vector<std::string> route;  // its route terms (empty: the default lane, or retired)
  bool retired = false;  // no longer declared: routed nothing, still written and forwarded
  BufferStats stats;     // its `lanes` is empty
};

}  // namespace spool
