#include "tools/timed_producers.h"

#include <algorithm>
#include <cmath>

namespace spool::tools {

LatencySummary summarize_latencies(std::vector<std::uint64_t>& ns) {
  LatencySummary s;
  s.count = ns.size();
  if (ns.empty()) return s;
  auto rank = [&](double q) {
    const auto n = static_cast<double>(ns.size());
    const auto r = static_cast<std::size_t>(std::ceil(q * n));
    const std::size_t index = r == 0 ? 0 : std::min(r, ns.size()) - 1;
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(index), ns.end());
    return ns[index];
  };
  // Ascending quantiles: each nth_element leaves the part above its rank for the next.
  s.p50_ns = rank(0.50);
  s.p99_ns = rank(0.99);
  s.p999_ns = rank(0.999);
  s.max_ns = *std::max_element(ns.begin(), ns.end());
  return s;
}

}  // namespace spool::tools
