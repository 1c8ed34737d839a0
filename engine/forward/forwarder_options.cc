// validate() for the forwarding policy options (include/spool/forwarder_options.h).
#include "spool/forwarder_options.h"

#include <zstd.h>

#include <cmath>
#include <string>

namespace spool {

Status validate(const RetryOptions& o) {
  // `!(x >= 1)` rather than `x < 1` so NaN is refused too.
  if (!(o.multiplier >= 1.0) || !std::isfinite(o.multiplier)) {
    return Status::invalid_argument("retry.multiplier must be a finite number >= 1, got " +
                                    std::to_string(o.multiplier));
  }
  if (!(o.jitter >= 0.0 && o.jitter <= 1.0)) {
    return Status::invalid_argument("retry.jitter must be in [0, 1], got " + std::to_string(o.jitter));
  }
  if (o.initial_backoff_ms > o.max_backoff_ms) {
    return Status::invalid_argument("retry.initial_backoff_ms (" + std::to_string(o.initial_backoff_ms) +
                                    ") must not exceed retry.max_backoff_ms (" +
                                    std::to_string(o.max_backoff_ms) + ")");
  }
  return Status::ok();
}

Status validate(const CircuitBreakerOptions& o) {
  if (o.failure_threshold == 0) {
    return Status::invalid_argument("circuit_breaker.failure_threshold must be >= 1");
  }
  if (o.cooldown_ms > o.max_cooldown_ms) {
    return Status::invalid_argument("circuit_breaker.cooldown_ms (" + std::to_string(o.cooldown_ms) +
                                    ") must not exceed circuit_breaker.max_cooldown_ms (" +
                                    std::to_string(o.max_cooldown_ms) + ")");
  }
  return Status::ok();
}

Status validate(const ConnectivityOptions& o) {
  if (!o.probe_url.empty() && o.probe_url.rfind("http://", 0) != 0 && o.probe_url.rfind("https://", 0) != 0) {
    return Status::invalid_argument("connectivity.probe_url must start with http:// or https://, got '" +
                                    o.probe_url + "'");
  }
  if (o.probe_interval_ms == 0) {
    return Status::invalid_argument("connectivity.probe_interval_ms must be >= 1");
  }
  if (o.probe_timeout_ms == 0) {
    return Status::invalid_argument("connectivity.probe_timeout_ms must be >= 1");
  }
  return Status::ok();
}

Status validate(const CompressionOptions& o) {
  // 0 means "zstd's default" to libzstd; refused so the configured level is the level used.
  // Levels 20-22 ("ultra") need hundreds of MiB per context: not for an edge forwarder.
  const int min_level = ZSTD_minCLevel();
  if (o.zstd_level == 0 || o.zstd_level > 19 || o.zstd_level < min_level) {
    return Status::invalid_argument("compression.zstd_level must be in 1..19 or a fast level in " +
                                    std::to_string(min_level) + "..-1, got " +
                                    std::to_string(o.zstd_level));
  }
  if (o.dictionary_bytes < kMinDictionaryBytes || o.dictionary_bytes > kMaxDictionaryBytes) {
    return Status::invalid_argument("compression.dictionary_bytes must be in " +
                                    std::to_string(kMinDictionaryBytes) + ".." +
                                    std::to_string(kMaxDictionaryBytes) + ", got " +
                                    std::to_string(o.dictionary_bytes));
  }
  return Status::ok();
}

Status validate(const BatchSizeOptions& o) {
  if (o.min_records == 0) return Status::invalid_argument("batch_size.min_records must be >= 1");
  if (o.min_records > o.initial_records || o.initial_records > o.max_records) {
    return Status::invalid_argument("batch_size needs min_records <= initial_records <= max_records, got " +
                                    std::to_string(o.min_records) + " / " + std::to_string(o.initial_records) +
                                    " / " + std::to_string(o.max_records));
  }
  if (o.max_bytes == 0) return Status::invalid_argument("batch_size.max_bytes must be >= 1");
  return Status::ok();
}

std::string_view within_priority_name(WithinPriority within) noexcept {
  return within == WithinPriority::kNewestFirst ? "newest" : "oldest";
}

Status validate(const OrderOptions& o) {
  if (!(o.oldest_share > 0.0 && o.oldest_share <= 1.0)) {
    return Status::invalid_argument("order.oldest_share must be in (0, 1], got " + std::to_string(o.oldest_share));
  }
  if (o.lookahead_records == 0) return Status::invalid_argument("order.lookahead_records must be >= 1");
  return Status::ok();
}

Status validate(const SelectOptions& o) {
  if (o.min_severity < 0 || o.min_severity > 24) {
    return Status::invalid_argument("select.min_severity must be in 0..24 (OTLP severity numbers), got " +
                                    std::to_string(o.min_severity));
  }
  for (const std::string& type : o.record_types) {
    if (type.empty()) return Status::invalid_argument("select.record_types: a record type must not be empty");
  }
  return Status::ok();
}

Status validate(const BandwidthOptions& o) {
  if (o.burst_bytes != 0 && o.rate_limit_bytes_per_s == 0) {
    return Status::invalid_argument(
        "bandwidth.burst_bytes needs bandwidth.rate_limit_bytes_per_s (0 = no rate limit)");
  }
  if (o.critical_reserve_bytes > o.daily_cap_bytes) {
    return Status::invalid_argument(
        "bandwidth.critical_reserve_bytes (" + std::to_string(o.critical_reserve_bytes) +
        ") must not exceed bandwidth.daily_cap_bytes (" + std::to_string(o.daily_cap_bytes) +
        (o.daily_cap_bytes == 0 ? ", no cap)" : ")"));
  }
  return Status::ok();
}

}  // namespace spool
