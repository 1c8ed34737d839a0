#include "engine/forward/policy/circuit_breaker.h"

#include <algorithm>

namespace spool::engine {
namespace {

// now + ms, saturating instead of overflowing (a clock near INT64_MAX in a test).
std::int64_t add_ms(std::int64_t now_ns, std::uint64_t ms) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::uint64_t ns = ms * 1'000'000u;  // ms <= UINT32_MAX: no overflow
  if (now_ns > 0 && ns > static_cast<std::uint64_t>(kMax - now_ns)) return kMax;
  return now_ns + static_cast<std::int64_t>(ns);
}

}  // namespace

CircuitBreaker::CircuitBreaker(const CircuitBreakerOptions& options)
    : options_(options), cooldown_ms_(options.cooldown_ms) {
  options_.failure_threshold = std::max<std::uint32_t>(options_.failure_threshold, 1);
  options_.max_cooldown_ms = std::max(options_.max_cooldown_ms, options_.cooldown_ms);
}

bool CircuitBreaker::allow(std::int64_t now_ns) {
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      if (now_ns < open_until_ns_) return false;
      state_ = CircuitState::kHalfOpen;
      probe_out_ = false;
      [[fallthrough]];
    case CircuitState::kHalfOpen:
      if (probe_out_) return false;
      probe_out_ = true;
      ++probe_count_;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success(std::int64_t /*now_ns*/) {
  if (state_ != CircuitState::kClosed) ++closed_count_;
  state_ = CircuitState::kClosed;
  consecutive_failures_ = 0;
  cooldown_ms_ = options_.cooldown_ms;
  probe_out_ = false;
}

void CircuitBreaker::record_failure(std::int64_t now_ns) {
  switch (state_) {
    case CircuitState::kClosed:
      if (++consecutive_failures_ >= options_.failure_threshold) open(now_ns);
      return;
    case CircuitState::kHalfOpen:
      // The probe failed: the sink is still down; wait twice as long before the next one.
      ++consecutive_failures_;
      cooldown_ms_ = std::min<std::uint64_t>(cooldown_ms_ * 2, options_.max_cooldown_ms);
      open(now_ns);
      return;
    case CircuitState::kOpen:
      // A send that was not let through by allow() (none, with one forwarder thread):
      // counted, but it neither extends nor shortens the cool-down.
      ++consecutive_failures_;
      return;
  }
}

void CircuitBreaker::open(std::int64_t now_ns) {
  state_ = CircuitState::kOpen;
  open_until_ns_ = add_ms(now_ns, cooldown_ms_);
  probe_out_ = false;
  ++opened_count_;
}

CircuitState CircuitBreaker::state(std::int64_t now_ns) const noexcept {
  if (state_ == CircuitState::kOpen && now_ns >= open_until_ns_) return CircuitState::kHalfOpen;
  return state_;
}

std::int64_t CircuitBreaker::next_attempt_ns() const noexcept {
  switch (state_) {
    case CircuitState::kClosed: return 0;
    case CircuitState::kOpen: return open_until_ns_;
    case CircuitState::kHalfOpen: return probe_out_ ? kWaitingForProbe : 0;
  }
  return 0;
}

void CircuitBreaker::force_half_open() noexcept {
  if (state_ != CircuitState::kOpen) return;
  state_ = CircuitState::kHalfOpen;
  probe_out_ = false;
}

}  // namespace spool::engine
