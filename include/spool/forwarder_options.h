// Options of the forwarding policy: how a Forwarder retries, when it stops hammering a
// failing sink (circuit breaker), how it learns the network is back (connectivity probe),
// how it compresses batches and how large it makes them. Each struct has a validate() that
// returns InvalidArgument with the offending field named, so a bad configuration is refused
// before any thread starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/records.h"
#include "spool/status.h"

namespace spool {

// Exponential back-off between attempts to send the same records.
struct RetryOptions {
  std::uint32_t initial_backoff_ms = 100;
  double multiplier = 2.0;
  std::uint32_t max_backoff_ms = 30'000;
  double jitter = 0.2;              // each delay is drawn uniformly from [d*(1-jitter), d*(1+jitter)]
  std::uint32_t max_retries = 8;    // attempts after the first before a record is dead-lettered; 0 = dead-letter at the first failure
  std::uint64_t max_elapsed_ms = 0; // 0 = never give up because of time (the default, on purpose:
                                    // an outage of any length must not turn into lost records)
};

// Stops sending to a sink that keeps failing; probes it again after a cool-down.
struct CircuitBreakerOptions {
  std::uint32_t failure_threshold = 5;   // consecutive failed sends that open the circuit
  std::uint32_t cooldown_ms = 5'000;     // open -> half-open after this; doubles (up to max_cooldown_ms) each time a half-open probe fails
  std::uint32_t max_cooldown_ms = 60'000;
};

// closed: sends flow; open: no sends until the cool-down ends; half-open: one probe send
// decides (success closes, failure opens again with a doubled cool-down).
enum class CircuitState : std::uint8_t { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half-open" (stats, health, logs).
constexpr std::string_view circuit_state_name(CircuitState s) noexcept {
  switch (s) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kOpen: return "open";
    case CircuitState::kHalfOpen: return "half-open";
  }
  return "unknown";
}

// A cheap reachability probe, so an offline device learns the network is back without
// spending retries (and back-off time) on the sink itself.
struct ConnectivityOptions {
  std::string probe_url;                 // empty = no monitor (the circuit breaker alone guards the sink)
  std::uint32_t probe_interval_ms = 5'000;
  std::uint32_t probe_timeout_ms = 2'000;
};

// Bounds of CompressionOptions::dictionary_bytes: below 1 KiB a dictionary holds too little
// to help; above 16 MiB it costs more memory than the batches it compresses.
inline constexpr std::uint32_t kMinDictionaryBytes = 1024;
inline constexpr std::uint32_t kMaxDictionaryBytes = 16u << 20;

// zstd compression of the native batch encoding (ForwardBatch::compressed).
struct CompressionOptions {
  int zstd_level = 1;                    // 1..19 (negative = zstd's fast levels)
  bool train_dictionary = false;         // train a dictionary on the log's own records
  std::uint32_t dictionary_bytes = 64 * 1024;
};

// Records per batch: adaptive between min and max, starting at initial.
struct BatchSizeOptions {
  std::uint32_t min_records = 64, initial_records = 1024, max_records = 16384;
  std::uint64_t max_bytes = 4u << 20;    // a batch never exceeds this many payload bytes (at least one record)
  bool adaptive = true;
};

// Which records of a backlog go first. With by_priority, critical before high before normal
// before low; within one priority (or all of them, without by_priority) oldest or newest
// first. The cursor then keeps, beside the offset below which everything is settled, the
// runs of offsets settled beyond it (the cursor file holds both, so a restart resends at
// most the batches in flight).
enum class WithinPriority : std::uint8_t { kOldestFirst, kNewestFirst };
std::string_view within_priority_name(WithinPriority within) noexcept;  // "oldest", "newest"

struct OrderOptions {
  bool by_priority = true;
  WithinPriority within = WithinPriority::kOldestFirst;
  // Share of batches that go to the oldest record of any priority, so low priorities (and
  // old records under newest-first) are never starved: one batch in round(1/share).
  // (0, 1]; 1 = every batch oldest-first.
  double oldest_share = 0.1;
  // How far beyond the cursor the backlog is sorted by priority (offsets); records beyond
  // wait until the cursor comes closer. At most 1 byte of memory per offset, more for
  // backlogs whose priorities alternate record by record.
  std::uint64_t lookahead_records = 4u << 20;
};

// What a forwarder forwards; the rest its cursor passes over (ForwardTotals::not_selected).
// Empty lists select everything.
struct SelectOptions {
  std::vector<RecordKind> kinds;            // span, log, metric, record, raw
  std::vector<std::string> record_types;    // Record.type_tag values (records of kind record)
  Priority min_priority = Priority::kLow;
  std::int32_t min_severity = 0;            // log records below this OTLP severity number (1-24) are left out
  bool selects_all() const noexcept {
    return kinds.empty() && record_types.empty() && min_priority == Priority::kLow && min_severity <= 0;
  }
};

// A budget on the bytes a forwarder puts on the wire (FlushResult::bytes_sent, as its sink
// reports them; a sink that reports none is never held back). 0 turns a limit off. While the
// budget says no, the batch at the cursor waits: nothing is dropped or dead-lettered and no
// retry is used up.
//
// Rate: a token bucket of burst_bytes refilled at rate_limit_bytes_per_s. A send's size is
// known only after the sink encoded it, so a send goes out while the bucket is not in debt
// and is charged afterwards; the bucket may go negative and the next send waits until it has
// refilled to zero. With a rate limit a batch reads about as much payload as puts
// burst_bytes on the wire (by the wire bytes per payload byte of the latest sends; at least
// one record), so one send cannot run far ahead of the rate.
//
// Daily cap: wire bytes per UTC day (00:00 to 24:00 UTC). Once daily_cap_bytes -
// critical_reserve_bytes are spent, only batches made only of critical records
// (Priority::kCritical) are sent, until the cap is spent; then nothing until 00:00 UTC.
// What was spent today is persisted with the cursor and survives a restart. The cap is
// checked before a send and charged after it, so the last send of a tier may exceed it by
// at most one batch.
struct BandwidthOptions {
  std::uint64_t rate_limit_bytes_per_s = 0;  // 0 = no rate limit
  std::uint64_t burst_bytes = 0;             // bucket size; 0 = one second at the rate
  std::uint64_t daily_cap_bytes = 0;         // per UTC day; 0 = no cap
  std::uint64_t critical_reserve_bytes = 0;  // of the cap, kept for critical records (<= the cap)
};

// Each returns OK or InvalidArgument naming the field and the accepted range.
Status validate(const RetryOptions& options);
Status validate(const CircuitBreakerOptions& options);
Status validate(const ConnectivityOptions& options);
Status validate(const CompressionOptions& options);
Status validate(const BatchSizeOptions& options);
Status validate(const OrderOptions& options);
Status validate(const SelectOptions& options);
Status validate(const BandwidthOptions& options);

}  // namespace spool
