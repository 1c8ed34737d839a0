// Options of spool::Buffer: the log underneath, the producer queues, the writer thread.
#pragma once

#include <cstdint>

#include "spool/options.h"

namespace spool {

// What append() does when the queues have no room for a record.
enum class FullPolicy : std::uint8_t {
  kBlock,       // wait up to block_timeout_ms for room, then drop the record (TimedOut)
  kDropNewest,  // drop the record being appended (Full)
  kDropOldest,  // drop the oldest queued records of the calling thread to make room
  kSample,      // above sample_above_fill of the budget, keep 1 in sample_keep_one_in
                // records (kHigh/kCritical always kept); when full, drop the newest
};

struct Options {
  LogOptions log;

  // Byte budget of everything queued (all producers together, payload plus a 16-byte
  // entry header each). With adaptive_budget it moves between min_queue_bytes and this.
  std::uint64_t queue_bytes = 64ull << 20;
  std::uint64_t min_queue_bytes = 4ull << 20;
  // Each producer thread gets a ring of this many bytes on its first append (allocated
  // once; a record larger than its ring is refused with InvalidArgument).
  std::uint64_t producer_ring_bytes = 16ull << 20;

  FullPolicy full_policy = FullPolicy::kDropNewest;
  std::uint32_t block_timeout_ms = 100;    // kBlock
  double sample_above_fill = 0.5;          // kSample: start sampling at this fill of the budget
  std::uint32_t sample_keep_one_in = 10;   // kSample

  // The writer hands at most this many bytes of records to the log per write.
  std::uint64_t writer_batch_bytes = 1ull << 20;  // measured: 256 KiB-1 MiB beat 4 MiB (cache-resident copies)
  // The writer polls this long after the queues run dry before it sleeps; 0 sleeps at once.
  std::uint32_t writer_spin_us = 50;

  // Shrink the queue budget under memory pressure (cgroup v2 memory.max/current, else
  // /proc/meminfo MemAvailable), grow it back when pressure eases; checked every
  // memory_check_interval_ms by the writer thread.
  bool adaptive_budget = true;
  std::uint32_t memory_check_interval_ms = 1000;
};

}  // namespace spool
