// BandwidthBudget: how many bytes a forwarder may put on the wire, and when
// (BandwidthOptions, include/spool/forwarder_options.h).
//
// Rate: a token bucket that holds up to burst bytes and refills at rate bytes/s. A send's
// wire size is known only after the sink has encoded and sent it, so nothing is reserved
// before a send: can_send() lets a send go while the bucket is not in debt (given an
// estimate, once the bucket holds min(estimate, burst)), and charge() takes what the sink
// reports afterwards. The bucket may go negative; the next send then waits until it has
// refilled. Over any interval the bytes sent stay within burst + rate * interval + the last
// send's size, and a steady backlog drains at the rate. To keep that last term near the
// burst, payload_per_send() sizes batches: a burst's worth of wire bytes, by the wire bytes
// per payload byte the sink reported for its latest sends (encoding adds, compression saves).
//
// Daily cap: per UTC day (00:00 to 24:00 UTC), not a rolling 24 h window. A calendar day is
// what data plans and operators count in; its reset is known in advance and is the same on
// every device of a fleet (health can say "until 00:00 UTC"); and a restart needs only two
// numbers to go on (the day and what was spent, persisted with the cursor) where a rolling
// window needs the sends of the last 24 hours. The cost: the hours on either side of
// midnight may together carry up to two caps.
// Tiers: while less than cap - reserve is spent, any batch may go; then only batches made
// only of critical records (Priority::kCritical), while less than the cap is spent; then
// nothing until the day rolls over. The spend is checked before a send and charged after it,
// so a tier's last send may exceed the tier by up to its own size; an estimate, when given,
// must fit in what the tier has left.
//
// Time is passed in (BudgetTime): monotonic ns for the bucket (clock steps do not refill or
// drain it), wall ns for the day. Not thread-safe: it belongs to the forwarding thread.
#pragma once

#include <cstdint>
#include <span>

#include "spool/forwarder_options.h"
#include "spool/forwarder_stats.h"
#include "spool/records.h"
#include "spool/sink.h"

namespace spool::engine {

struct BudgetTime {
  std::int64_t monotonic_ns = 0;
  std::int64_t wall_ns = 0;
};

// can_send()'s answer.
struct BudgetDecision {
  bool allowed = true;
  // Not allowed: the monotonic time from which asking again can be answered yes (the bucket
  // has refilled; 00:00 UTC for the daily cap). 0 when allowed.
  std::int64_t wait_until_ns = 0;
  BudgetHold reason = BudgetHold::kNone;
};

class BandwidthBudget {
 public:
  // `options` must pass validate(). The bucket starts full at `now_monotonic_ns`.
  BandwidthBudget(const BandwidthOptions& options, std::int64_t now_monotonic_ns);

  // Goes on from the spend an earlier run persisted for `day` (BandwidthUsage::day). The
  // day's spend only: an earlier day's counts nothing once asked about a later one. Restoring
  // several spends (the lanes' cursors of one shared budget) keeps the latest day's largest.
  void restore(std::int64_t day, std::uint64_t spent_bytes) noexcept;

  // May a send of about `bytes_estimate` wire bytes (0 = unknown) go now? `lowest` is the
  // lowest priority among its records: the send counts as critical only when all are.
  BudgetDecision can_send(std::uint64_t bytes_estimate, Priority lowest,
                          BudgetTime now) const noexcept;
  // The same for a batch of records: the one place that decides whether a batch may go.
  BudgetDecision can_send_batch(std::span<const ForwardRecord> records,
                                std::uint64_t bytes_estimate, BudgetTime now) const noexcept;
  // A send put `wire_bytes` on the wire (FlushResult::bytes_sent; failed sends too) for
  // `payload_bytes` of records (0 = not known: the wire-per-payload ratio stays as it was).
  void charge(std::uint64_t wire_bytes, BudgetTime now, std::uint64_t payload_bytes = 0) noexcept;
  // Under a rate limit: the payload bytes a batch should read so that its send puts about a
  // burst on the wire (at least 1). 0 without a rate limit (no bound from the budget).
  std::uint64_t payload_per_send() const noexcept;

  bool rate_limited() const noexcept { return rate_ > 0; }
  // The bucket's size (0 without a rate limit).
  std::uint64_t burst_bytes() const noexcept { return burst_; }
  // The bucket's content at `now_monotonic_ns`: at most the burst, negative while in debt.
  double balance(std::int64_t now_monotonic_ns) const noexcept;
  // The limits, and the spend of the UTC day of `now_wall_ns` (`day` set to that day).
  BandwidthUsage usage(std::int64_t now_wall_ns) const noexcept;

 private:
  BudgetDecision cap_decision(std::uint64_t bytes_estimate, Priority lowest,
                              BudgetTime now) const noexcept;
  BudgetDecision rate_decision(std::uint64_t bytes_estimate, BudgetTime now) const noexcept;

  std::uint64_t rate_ = 0;  // bytes/s; 0 = no rate limit
  std::uint64_t burst_ = 0;
  double tokens_ = 0;              // at updated_ns_
  double wire_per_payload_ = 1.0;  // smoothed over the sends that reported both
  std::int64_t updated_ns_ = 0;
  BandwidthUsage usage_;  // limits, and the spend of usage_.day
};

}  // namespace spool::engine
