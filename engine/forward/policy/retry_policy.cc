#include "engine/forward/policy/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace spool::engine {

RetryPolicy::RetryPolicy(const RetryOptions& options, RandomSource random)
    : options_(options), random_(std::move(random)) {
  if (!random_) {
    // shared_ptr: std::function needs a copyable callable, and the engine is 2.5 KB.
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
}

std::uint64_t RetryPolicy::base_delay_ms(std::uint64_t attempt) const noexcept {
  const double cap = static_cast<double>(options_.max_backoff_ms);
  // pow may return +inf for huge attempts; `!(d < cap)` also catches NaN from bad options.
  const double d = static_cast<double>(options_.initial_backoff_ms) *
                   std::pow(options_.multiplier, static_cast<double>(attempt));
  if (!(d < cap)) return options_.max_backoff_ms;
  return static_cast<std::uint64_t>(std::max(0.0, d));
}

std::uint64_t RetryPolicy::delay_ms(std::uint64_t attempt) {
  const double base = static_cast<double>(base_delay_ms(attempt));
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  double u = random_();
  if (!(u >= 0.0)) u = 0.0;  // NaN or negative
  if (u > 1.0) u = 1.0;
  // base <= UINT32_MAX and the factor is <= 2, so the value fits and the cast is defined.
  const double d = base * (1.0 - jitter + 2.0 * jitter * u);
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(std::llround(std::max(0.0, d))), kMaxDelayMs);
}

std::uint64_t RetryPolicy::delay_ms(std::uint64_t attempt, std::uint64_t retry_after_ms) {
  return std::min(std::max(delay_ms(attempt), retry_after_ms), kMaxDelayMs);
}

bool RetryPolicy::should_dead_letter(std::uint64_t failed_attempts, std::int64_t first_failure_ns,
                                     std::int64_t now_ns) const noexcept {
  if (failed_attempts > static_cast<std::uint64_t>(options_.max_retries)) return true;
  if (options_.max_elapsed_ms == 0 || now_ns <= first_failure_ns) return false;
  // Unsigned subtraction: defined for any two int64 values, and exact since now > first.
  // Compared in ms (elapsed rounded down) to keep clear of overflow in ms -> ns.
  const std::uint64_t elapsed_ms =
      (static_cast<std::uint64_t>(now_ns) - static_cast<std::uint64_t>(first_failure_ns)) / 1'000'000u;
  return elapsed_ms >= options_.max_elapsed_ms;
}

}  // namespace spool::engine
