// RetryPolicy: how long a forwarder waits before sending failed records again, and when it
// gives up on them (dead letter).
//
// Delay before retry number attempt+1 (attempt 0 = the wait after the first failure):
//   base(attempt) = min(max_backoff_ms, initial_backoff_ms * multiplier^attempt)
//   delay         = base * (1 - jitter + 2 * jitter * u),  u uniform in [0, 1)
// so a jittered delay lies in [base*(1-jitter), base*(1+jitter)] and may exceed
// max_backoff_ms by up to the jitter: the spread is what keeps a fleet of devices that lost
// the network together from retrying in lock-step. The power is computed in floating point
// and capped before any integer conversion, so any attempt number (10^6, UINT32_MAX) is fine.
//
// A server's Retry-After wins when it is longer than the back-off (it knows its own load);
// every delay is capped at kMaxDelayMs so a bogus header cannot park a forwarder for days.
//
// Not thread-safe (the random source is stateful): one per forwarder thread.
#pragma once

#include <cstdint>
#include <functional>

#include "spool/forwarder_options.h"

namespace spool::engine {

class RetryPolicy {
 public:
  // Returns a number uniform in [0, 1); values outside are clamped into it.
  using RandomSource = std::function<double()>;
  // Hard ceiling on any delay, Retry-After included: one hour.
  static constexpr std::uint64_t kMaxDelayMs = 3'600'000;

  // `options` must pass validate(). Without a random source, a std::mt19937_64 seeded from
  // std::random_device is used.
  explicit RetryPolicy(const RetryOptions& options, RandomSource random = {});

  // The delay before the (attempt+1)-th retry without jitter: min(cap, initial*multiplier^attempt).
  std::uint64_t base_delay_ms(std::uint64_t attempt) const noexcept;
  // The jittered delay (draws one random number).
  std::uint64_t delay_ms(std::uint64_t attempt);
  // max(jittered back-off, retry_after_ms), capped at kMaxDelayMs. retry_after_ms = 0: none.
  std::uint64_t delay_ms(std::uint64_t attempt, std::uint64_t retry_after_ms);

  // True when records whose sends have failed `failed_attempts` times (counting the first
  // send: ForwardBatch::attempt + 1 after a failed send) go to the dead-letter log: more
  // failures than 1 + max_retries allows, or (max_elapsed_ms > 0) at least max_elapsed_ms
  // since their first failure. Times are monotonic nanoseconds.
  bool should_dead_letter(std::uint64_t failed_attempts, std::int64_t first_failure_ns,
                          std::int64_t now_ns) const noexcept;

  const RetryOptions& options() const noexcept { return options_; }

 private:
  RetryOptions options_;
  RandomSource random_;
};

}  // namespace spool::engine
