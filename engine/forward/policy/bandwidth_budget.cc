#include "engine/forward/policy/bandwidth_budget.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spool::engine {

namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;
constexpr std::int64_t kDayNs = 86'400 * kSecondNs;
// Rounding in the refill must not leave a send waiting for a millionth of a byte.
constexpr double kTokenSlack = 1e-6;

BudgetDecision refuse(std::int64_t wait_until_ns, BudgetHold reason) {
  return BudgetDecision{false, wait_until_ns, reason};
}

}  // namespace

BandwidthBudget::BandwidthBudget(const BandwidthOptions& options, std::int64_t now_monotonic_ns)
    : rate_(options.rate_limit_bytes_per_s),
      burst_(rate_ == 0                 ? 0
             : options.burst_bytes != 0 ? options.burst_bytes
                                        : rate_),
      tokens_(static_cast<double>(burst_)),
      updated_ns_(now_monotonic_ns) {
  usage_.rate_limit_bytes_per_s = options.rate_limit_bytes_per_s;
  usage_.daily_cap_bytes = options.daily_cap_bytes;
  usage_.critical_reserve_bytes = options.critical_reserve_bytes;
}

void BandwidthBudget::restore(std::int64_t day, std::uint64_t spent_bytes) noexcept {
  if (day < usage_.day) return;
  if (day > usage_.day) usage_.spent_bytes = 0;
  usage_.day = day;
  usage_.spent_bytes = std::max(usage_.spent_bytes, spent_bytes);
}

double BandwidthBudget::balance(std::int64_t now_monotonic_ns) const noexcept {
  if (rate_ == 0) return 0;
  const double elapsed_s =
      static_cast<double>(std::max<std::int64_t>(0, now_monotonic_ns - updated_ns_)) / kSecondNs;
  return std::min(static_cast<double>(burst_), tokens_ + elapsed_s * static_cast<double>(rate_));
}

BandwidthUsage BandwidthBudget::usage(std::int64_t now_wall_ns) const noexcept {
  BandwidthUsage u = usage_;
  u.day = utc_day(now_wall_ns);
  u.spent_bytes = usage_.spent_on(u.day);
  return u;
}

BudgetDecision BandwidthBudget::can_send(std::uint64_t bytes_estimate, Priority lowest,
                                         BudgetTime now) const noexcept {
  // The cap first: its wait (until 00:00 UTC) is the longer one.
  if (BudgetDecision d = cap_decision(bytes_estimate, lowest, now); !d.allowed) return d;
  return rate_decision(bytes_estimate, now);
}

BudgetDecision BandwidthBudget::can_send_batch(std::span<const ForwardRecord> records,
                                               std::uint64_t bytes_estimate,
                                               BudgetTime now) const noexcept {
  Priority lowest = Priority::kCritical;
  for (const ForwardRecord& r : records) lowest = std::min(lowest, r.priority);
  return can_send(bytes_estimate, lowest, now);
}

BudgetDecision BandwidthBudget::cap_decision(std::uint64_t bytes_estimate, Priority lowest,
                                             BudgetTime now) const noexcept {
  const std::uint64_t cap = usage_.daily_cap_bytes;
  if (cap == 0) return {};
  const std::int64_t today = utc_day(now.wall_ns);
  const std::uint64_t spent = usage_.spent_on(today);
  // A critical send may use the whole cap; any other only what the reserve leaves.
  const bool critical = lowest == Priority::kCritical;
  const std::uint64_t limit = critical ? cap : cap - usage_.critical_reserve_bytes;
  const bool fits = spent < limit && (bytes_estimate == 0 || bytes_estimate <= limit - spent);
  if (fits) return {};
  const std::int64_t midnight_wall = (today + 1) * kDayNs;
  const std::int64_t wait_until =
      now.monotonic_ns + std::max<std::int64_t>(1, midnight_wall - now.wall_ns);
  return refuse(wait_until,
                critical || spent >= cap ? BudgetHold::kDailyCap : BudgetHold::kCriticalReserve);
}

BudgetDecision BandwidthBudget::rate_decision(std::uint64_t bytes_estimate,
                                              BudgetTime now) const noexcept {
  if (rate_ == 0) return {};
  const double need = static_cast<double>(std::min(bytes_estimate, burst_));
  const double have = balance(now.monotonic_ns);
  if (have + kTokenSlack >= need) return {};
  // Multiplied before dividing: whole byte counts times 1e9 stay exact in a double.
  const double wait_ns =
      std::ceil((need - have) * static_cast<double>(kSecondNs) / static_cast<double>(rate_));
  const std::int64_t wait =
      wait_ns >= static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)
          ? std::numeric_limits<std::int64_t>::max() / 2
          : std::max<std::int64_t>(1, static_cast<std::int64_t>(wait_ns));
  return refuse(now.monotonic_ns + wait, BudgetHold::kRateLimit);
}

std::uint64_t BandwidthBudget::payload_per_send() const noexcept {
  if (rate_ == 0) return 0;
  const double payload = static_cast<double>(burst_) / wire_per_payload_;
  if (payload >= static_cast<double>(std::numeric_limits<std::uint64_t>::max() / 2)) {
    return std::numeric_limits<std::uint64_t>::max() / 2;
  }
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(payload));
}

void BandwidthBudget::charge(std::uint64_t wire_bytes, BudgetTime now,
                             std::uint64_t payload_bytes) noexcept {
  if (rate_ != 0) {
    tokens_ = balance(now.monotonic_ns) - static_cast<double>(wire_bytes);
    updated_ns_ = std::max(updated_ns_, now.monotonic_ns);
  }
  if (payload_bytes != 0 && wire_bytes != 0) {
    // Halfway towards the latest send's ratio: follows a change of the records' make-up
    // within a few sends without swinging with each one.
    const double ratio = static_cast<double>(wire_bytes) / static_cast<double>(payload_bytes);
    wire_per_payload_ = 0.5 * wire_per_payload_ + 0.5 * ratio;
  }
  const std::int64_t today = utc_day(now.wall_ns);
  if (usage_.day != today) {
    // Any other day, also an earlier one (the clock was stepped back): the spend counts
    // against the day the clock says it is.
    usage_.day = today;
    usage_.spent_bytes = 0;
  }
  usage_.spent_bytes = wire_bytes > std::numeric_limits<std::uint64_t>::max() - usage_.spent_bytes
                           ? std::numeric_limits<std::uint64_t>::max()
                           : usage_.spent_bytes + wire_bytes;
}

}  // namespace spool::engine
