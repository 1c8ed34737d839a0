// QueueBudget: the byte budget of everything queued between producers and the writer, which
// (with Options::adaptive_budget) halves under memory pressure and doubles back once memory
// has stayed plentiful, between min_queue_bytes and queue_bytes.
//
// Policy, with L = the snapshot's limit, A = what is available and B = the current budget:
//   pressure     A < max(L/10, 2B)  -> B = max(B/2, min)  on every such update
//   comfortable  A >= max(L/5, 4G) with G = min(2B, max), kCalmUpdatesToGrow updates in a
//                row                -> B = G, and the count starts again
//   in between, nothing changes (and the count of comfortable updates starts again).
// Why these numbers:
// - L/10: below a tenth of the limit left, the kernel is about to reclaim hard or OOM-kill
//   whatever the queues hold; 2B: a budget filling up would take half or more of what is
//   left, so a backlog is better kept on disk (where the design wants it) than in memory.
// - Halving answers in a few updates (64 MiB -> 4 MiB in four) yet does not throw the whole
//   budget away on one reading.
// - The grow line is at least twice the pressure line on both terms (L/5 vs L/10, and 4G
//   vs the 2G below which the grown budget would be in pressure), so a steady reading that
//   caused a shrink can never cause the grow right after it, and a grow never lands in
//   pressure unless memory actually gets scarcer: no oscillation on a borderline input.
// - kCalmUpdatesToGrow comfortable updates in a row (3 s at the default 1 s interval) per
//   doubling: a momentary dip in usage (a GC, a freed cache) does not undo a shrink, and the
//   budget climbs back gradually so each step is measured before the next.
//
// Threading: update() from one thread at a time (the writer's); current() from any thread,
// wait-free; resizes() and last_resize() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "io/memory_info.h"
#include "spool/buffer_stats.h"

namespace spool::engine {

class QueueBudget {
 public:
  static constexpr int kCalmUpdatesToGrow = 3;

  // Starts at max_bytes. min_bytes is clamped to [1, max_bytes] (a budget of 0 would refuse
  // every record, so the floor keeps at least something moving).
  QueueBudget(std::uint64_t max_bytes, std::uint64_t min_bytes) noexcept;
  QueueBudget(const QueueBudget&) = delete;
  QueueBudget& operator=(const QueueBudget&) = delete;

  // Read by producers on every append. A relaxed load: a producer seeing the previous budget
  // for a moment admits at most one record more or less, which the next check corrects.
  std::uint64_t current() const noexcept { return current_.load(std::memory_order_relaxed); }
  std::uint64_t max_bytes() const noexcept { return max_; }
  std::uint64_t min_bytes() const noexcept { return min_; }

  // Applies the policy above to one reading; returns the change when the budget moved.
  std::optional<BudgetResize> update(const io::MemorySnapshot& memory, std::int64_t now_ns);

  std::uint64_t resizes() const noexcept { return resizes_.load(std::memory_order_relaxed); }
  BudgetResize last_resize() const;  // time_ns == 0 when none yet

 private:
  const std::uint64_t max_;
  const std::uint64_t min_;
  std::atomic<std::uint64_t> current_;
  int comfortable_streak_ = 0;  // writer thread only
  std::atomic<std::uint64_t> resizes_{0};
  // Taken on a resize (at most once per update) and by stats readers; never by producers.
  mutable std::mutex last_mutex_;
  BudgetResize last_;
};

}  // namespace spool::engine
