#include "engine/forward/policy/batch_sizer.h"

#include <algorithm>

namespace spool::engine {

BatchSizer::BatchSizer(const BatchSizeOptions& options) : options_(options) {
  options_.min_records = std::max<std::uint32_t>(options_.min_records, 1);
  options_.max_records = std::max(options_.max_records, options_.min_records);
  options_.initial_records = std::clamp(options_.initial_records, options_.min_records, options_.max_records);
  options_.max_bytes = std::max<std::uint64_t>(options_.max_bytes, 1);
  records_ = options_.initial_records;
}

void BatchSizer::on_success(std::uint32_t records, std::uint64_t /*bytes*/, std::int64_t latency_ns) {
  if (!options_.adaptive || records == 0) return;
  // records * 2 in 64 bits: no overflow at UINT32_MAX.
  if (static_cast<std::uint64_t>(records) * 2 < records_) return;  // too small to judge (see header)
  const double per_record = static_cast<double>(std::max<std::int64_t>(latency_ns, 0)) / records;
  const bool rising = have_ewma_ && per_record > kRisingFactor * ewma_ns_per_record_;
  // The rising sample joins the EWMA too, so a lasting change of latency becomes the new
  // normal after a few sends instead of shrinking the size forever.
  ewma_ns_per_record_ = have_ewma_ ? ewma_ns_per_record_ + kEwmaWeight * (per_record - ewma_ns_per_record_)
                                   : per_record;
  have_ewma_ = true;
  if (rising) {
    shrink();
  } else {
    grow();
  }
}

void BatchSizer::on_failure() {
  if (options_.adaptive) shrink();
}

void BatchSizer::grow() {
  const auto next = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(records_) * 2, options_.max_records));
  if (next != records_) ++grow_count_;
  records_ = next;
}

void BatchSizer::shrink() {
  const std::uint32_t next = std::max(records_ / 2, options_.min_records);
  if (next != records_) ++shrink_count_;
  records_ = next;
}

}  // namespace spool::engine
