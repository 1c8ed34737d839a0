// CircuitBreaker: stops a forwarder from hammering a sink that keeps failing, and lets one
// probe send through after a cool-down to find out whether it is back.
//
//   closed ──failure_threshold consecutive failures──▶ open (until now + cooldown)
//   open ──cooldown elapsed (or force_half_open())──▶ half-open: allow() is true exactly once
//   half-open ──probe succeeds──▶ closed (cooldown back to cooldown_ms)
//   half-open ──probe fails──▶ open, cooldown doubled (at most max_cooldown_ms)
//
// Invariants: at most one send is allowed while half-open until its outcome is recorded;
// cooldown_ms <= current cooldown <= max(cooldown_ms, max_cooldown_ms); a success recorded
// in any state closes the circuit (the sink answered, whatever the breaker thought).
//
// Time is passed in (monotonic nanoseconds, e.g. io::monotonic_ns()), so tests drive it.
// Not thread-safe: it belongs to the one forwarder thread that sends to its sink.
#pragma once

#include <cstdint>
#include <limits>

#include "spool/forwarder_options.h"

namespace spool::engine {

class CircuitBreaker {
 public:
  // next_attempt_ns() while the half-open probe is out: no time makes allow() true, only
  // the probe's outcome does.
  static constexpr std::int64_t kWaitingForProbe = std::numeric_limits<std::int64_t>::max();

  // `options` must pass validate() (a failure_threshold of 0 is treated as 1).
  explicit CircuitBreaker(const CircuitBreakerOptions& options);

  // May the forwarder send now? Closed: yes. Open: no until the cool-down has elapsed, then
  // the circuit turns half-open and this call (only) returns yes. Half-open: yes once, for
  // the probe; no while the probe is out.
  bool allow(std::int64_t now_ns);
  void record_success(std::int64_t now_ns);
  void record_failure(std::int64_t now_ns);

  // The state as of now_ns: an open circuit whose cool-down has elapsed reports half-open
  // (the next allow() lets the probe through). Does not change anything.
  CircuitState state(std::int64_t now_ns) const noexcept;
  // The earliest monotonic time allow() can return true: 0 when it can now (closed, or
  // half-open with no probe out), the end of the cool-down when open, kWaitingForProbe while
  // the probe is out. Lets the forwarder sleep exactly until then.
  std::int64_t next_attempt_ns() const noexcept;
  // The network came back (ConnectivityMonitor): an open circuit turns half-open now so the
  // next allow() sends the probe without waiting out the cool-down. No effect otherwise.
  void force_half_open() noexcept;

  std::uint32_t consecutive_failures() const noexcept { return consecutive_failures_; }
  // The cool-down the circuit uses the next time it opens (or is using, while open).
  std::uint64_t cooldown_ms() const noexcept { return cooldown_ms_; }
  // Transitions into open (from closed, or from half-open after a failed probe).
  std::uint64_t opened_count() const noexcept { return opened_count_; }
  // Transitions from open or half-open back to closed.
  std::uint64_t closed_count() const noexcept { return closed_count_; }
  // Probes let through while half-open.
  std::uint64_t probe_count() const noexcept { return probe_count_; }

 private:
  void open(std::int64_t now_ns);

  CircuitBreakerOptions options_;
  CircuitState state_ = CircuitState::kClosed;
  std::uint32_t consecutive_failures_ = 0;
  std::uint64_t cooldown_ms_;
  std::int64_t open_until_ns_ = 0;  // while open
  bool probe_out_ = false;          // while half-open
  std::uint64_t opened_count_ = 0;
  std::uint64_t closed_count_ = 0;
  std::uint64_t probe_count_ = 0;
};

}  // namespace spool::engine
