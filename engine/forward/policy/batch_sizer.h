// BatchSizer: how many records the forwarder puts in its next batch.
//
// Larger batches amortize the per-request cost (headers, TLS records, round trip) but take
// longer to send, hold more memory, and cost more to resend when they fail. The sizer
// searches between min_records and max_records:
//   - a success whose per-record latency is not rising doubles the size (up to max);
//   - a failure, or a success whose per-record latency is rising — more than
//     kRisingFactor times the EWMA of earlier sends — halves it (down to min): the link or
//     the receiver is saturating, and a smaller batch is cheaper to lose and to resend.
// A send of fewer than half the current size (the backlog ran dry, or max_bytes cut the
// batch short) says little about a batch of the current size: its per-record latency is
// dominated by the fixed per-request cost. It leaves the size and the EWMA alone, so a
// drained backlog does not shrink the size it took to drain it.
// With adaptive = false the size stays at initial_records.
//
// Invariant: min_records <= next_records() <= max_records.
// Not thread-safe: it belongs to one forwarder thread.
#pragma once

#include <cstdint>

#include "spool/forwarder_options.h"

namespace spool::engine {

class BatchSizer {
 public:
  static constexpr double kRisingFactor = 2.0;
  // Weight of the newest sample in the latency EWMA: ~the last 4 sends dominate.
  static constexpr double kEwmaWeight = 0.25;

  // `options` must pass validate() (bounds are clamped into order if not).
  explicit BatchSizer(const BatchSizeOptions& options);

  // Records for the next batch (the batch also stops at max_bytes(), with at least one record).
  std::uint32_t next_records() const noexcept { return records_; }
  std::uint64_t max_bytes() const noexcept { return options_.max_bytes; }

  // A batch of `records` records (`bytes` payload bytes) was delivered in latency_ns.
  void on_success(std::uint32_t records, std::uint64_t bytes, std::int64_t latency_ns);
  // A batch failed (nothing delivered, or a partial delivery).
  void on_failure();

  // EWMA of the per-record latency of full-enough successful sends; 0 before the first.
  double latency_ewma_ns_per_record() const noexcept { return ewma_ns_per_record_; }
  std::uint64_t grow_count() const noexcept { return grow_count_; }
  std::uint64_t shrink_count() const noexcept { return shrink_count_; }

 private:
  void grow();
  void shrink();

  BatchSizeOptions options_;
  std::uint32_t records_;
  double ewma_ns_per_record_ = 0;
  bool have_ewma_ = false;
  std::uint64_t grow_count_ = 0;
  std::uint64_t shrink_count_ = 0;
};

}  // namespace spool::engine
