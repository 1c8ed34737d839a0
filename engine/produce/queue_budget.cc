#include "engine/produce/queue_budget.h"

#include <algorithm>
#include <limits>

namespace spool::engine {
namespace {

// Budgets and limits are configuration, so a product may exceed 64 bits; saturating keeps
// the comparisons meaningful (a saturated line is simply never reached).
std::uint64_t times(std::uint64_t a, std::uint64_t k) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  return a > kMax / k ? kMax : a * k;
}

}  // namespace

QueueBudget::QueueBudget(std::uint64_t max_bytes, std::uint64_t min_bytes) noexcept
    : max_(max_bytes),
      min_(std::min(std::max<std::uint64_t>(min_bytes, 1), max_bytes)),
      current_(max_bytes) {}

std::optional<BudgetResize> QueueBudget::update(const io::MemorySnapshot& memory,
                                                std::int64_t now_ns) {
  const std::uint64_t budget = current_.load(std::memory_order_relaxed);
  const std::uint64_t limit = memory.limit_bytes;
  const std::uint64_t available = memory.available_bytes;

  std::uint64_t next = budget;
  if (available < std::max(limit / 10, times(budget, 2))) {
    comfortable_streak_ = 0;
    next = std::max(budget / 2, min_);
  } else {
    const std::uint64_t grown = std::min(times(budget, 2), max_);
    if (grown > budget && available >= std::max(limit / 5, times(grown, 4))) {
      if (++comfortable_streak_ >= kCalmUpdatesToGrow) {
        comfortable_streak_ = 0;
        next = grown;
      }
    } else {
      comfortable_streak_ = 0;
    }
  }
  if (next == budget) return std::nullopt;

  current_.store(next, std::memory_order_relaxed);
  const BudgetResize resize{now_ns, budget, next, available};
  {
    std::lock_guard lock(last_mutex_);
    last_ = resize;
  }
  resizes_.fetch_add(1, std::memory_order_relaxed);
  return resize;
}

BudgetResize QueueBudget::last_resize() const {
  std::lock_guard lock(last_mutex_);
  return last_;
}

}  // namespace spool::engine
