#include "spool/buffer_stats.h"

namespace spool {

const char* drop_reason_name(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::kQueueFull: return "queue_full";
    case DropReason::kDropOldest: return "drop_oldest";
    case DropReason::kSampled: return "sampled";
    case DropReason::kBlockTimeout: return "block_timeout";
    case DropReason::kTooLarge: return "too_large";
    case DropReason::kWriteFailed: return "write_failed";
    case DropReason::kShutdown: return "shutdown";
    case DropReason::kMalformed: return "malformed";
    case DropReason::kDiskFull:
      return "disk_full";
  }
  return "unknown";
}

std::uint64_t BufferStats::dropped_total() const noexcept {
  std::uint64_t total = 0;
  for (std::uint64_t n : dropped) total += n;
  return total;
}

std::uint64_t Log2Histogram::quantile_upper_bound(double q) const noexcept {
  if (count == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      const std::uint64_t upper = i + 1 >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (i + 1)) - 1;
      return upper < max ? upper : max;
    }
  }
  return max;
}

}  // namespace spool
