// Options of spool::Buffer: the log underneath, the producer queues, the writer thread.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/full_policy.h"
#include "spool/hooks.h"
#include "spool/lane_options.h"
#include "spool/options.h"

namespace spool {

// Who writes the log. The writer is whoever holds DIR/LOCK; everyone else attaches: its
// producer threads append into rings shared with the writer (files in DIR/rings/), exactly as
// the writer's own threads do, and records queued there survive the death of either process.
enum class Role : std::uint8_t {
  kAuto,    // write if the lock is free, else attach, and take over when the writer goes away
  kWriter,  // write, or fail with Locked (naming the holder) when another process writes
  kAttach,  // only ever attach: never writes segments, never takes over
};

struct Options {
  LogOptions log;
  Role role = Role::kAuto;

  // Byte budget of everything queued (all producers together, payload plus a 16-byte
  // entry header each). With adaptive_budget it moves between min_queue_bytes and this.
  std::uint64_t queue_bytes = 64ull << 20;
  std::uint64_t min_queue_bytes = 4ull << 20;
  // The largest ring one producer thread may grow to. Rings start small (64 KiB), grow on
  // demand within queue_bytes (ring memory is part of the budget) and are released when
  // their thread exits or has been idle (ring_idle_release_ms); a record larger than this is
  // refused with InvalidArgument.
  std::uint64_t producer_ring_bytes = 16ull << 20;
  // A thread's ring that has been empty and unused this long goes back to the system (its
  // next append, if any, starts a new small ring). 0: only when the thread exits. While the
  // rings of all processes hold more than the budget (it shrank under memory pressure), rings
  // above the first size are taken back regardless, so that shrinking returns memory.
  std::uint32_t ring_idle_release_ms = 1000;

  FullPolicy full_policy = FullPolicy::kDropNewest;
  std::uint32_t block_timeout_ms = 100;    // kBlock
  double sample_above_fill = 0.5;          // kSample: start sampling at this fill of the budget
  std::uint32_t sample_keep_one_in = 10;   // kSample

  // What the writer does when the log is at its size cap (log.retention_bytes) and the
  // records it holds are not all read by its consumer cursors yet:
  //   kDropOldest  the oldest segments are deleted anyway; each cursor counts what it lost
  //                (dropped_unforwarded). The disk never holds more than the cap.
  //   kBlock       nothing unread is deleted: the writer stops taking records until a
  //                cursor passes a segment (rechecked every 100 ms); meanwhile the queues
  //                fill and full_policy decides, and flush() fails naming the cap.
  //   kDropNewest  nothing unread is deleted: what arrives is dropped (DropReason::kDiskFull).
  //   kSample      as kDropNewest, but kHigh/kCritical records and 1 in sample_keep_one_in
  //                others are kept, deleting the oldest segments as kDropOldest does.
  // Without cursors, every record counts as unread. Only records beyond the cap are affected.
  FullPolicy disk_full_policy = FullPolicy::kDropOldest;

  // The writer hands at most this many bytes of records to the log per write.
  std::uint64_t writer_batch_bytes = 1ull << 20;  // measured: 256 KiB-1 MiB beat 4 MiB (cache-resident copies)
  // The writer polls this long after the queues run dry before it sleeps; 0 sleeps at once.
  std::uint32_t writer_spin_us = 50;

  // Shrink the queue budget under memory pressure (cgroup v2 memory.max/current, else
  // /proc/meminfo MemAvailable), grow it back when pressure eases; checked every
  // memory_check_interval_ms by the writer thread.
  bool adaptive_budget = true;
  std::uint32_t memory_check_interval_ms = 1000;

  // Callbacks for drops and write errors, on a notifier thread of their own (hooks.h).
  Hooks hooks;

  // Lanes (lane_options.h): parts of the log with their own rules, records routed to them by
  // kind, priority and record type. Empty: one lane, "default", which is this directory's log
  // and what every setting above configures. Lanes take their unset settings from above.
  std::vector<LaneOptions> lanes;
};

}  // namespace spool
