// SharedBandwidthBudget: one BandwidthBudget for every lane a Forwarder forwards (a budget
// belongs to the sink: the lanes' forwarders spend from the same bucket and the same daily
// cap), each use under a lock since the lanes' forwarders run on threads of their own.
//
// Each lane's cursor persists the shared day's spend; on restart every lane restores it and
// the budget keeps the largest spend of the latest day (BandwidthBudget::restore), which is
// what was spent before the restart. Several lanes may each start a send while the bucket is
// not in debt, so one refill can be overrun by up to one send per lane (instead of one).
#pragma once

#include <cstdint>
#include <mutex>
#include <utility>

#include "engine/forward/policy/bandwidth_budget.h"

namespace spool::engine {

class SharedBandwidthBudget {
 public:
  SharedBandwidthBudget(const BandwidthOptions& options, std::int64_t now_monotonic_ns)
      : budget_(options, now_monotonic_ns) {}

  // Calls fn(BandwidthBudget&) under the lock and returns what it returns.
  template <typename Fn>
  auto with(Fn&& fn) {
    std::lock_guard lock(mu_);
    return std::forward<Fn>(fn)(budget_);
  }

 private:
  std::mutex mu_;
  BandwidthBudget budget_;
};

}  // namespace spool::engine
