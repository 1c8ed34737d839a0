// spool::Sink: where a Forwarder hands batches of records, and what it answers.
//
// A batch is a run of consecutive log records read zero-copy from the segment files: every
// ForwardRecord's payload points into the mmap'd log and stays valid until send() returns.
// The Forwarder commits its cursor past a batch only after the sink answers kSucceeded (or
// kPartial, for the records not named as failed), so delivery is at-least-once. Every
// record's idempotency key is (log_id, offset); a receiver drops duplicates by that key.
//
// Wire conventions every network sink keeps, so receivers can deduplicate:
//   - per record: attribute "spool.idempotency_key" = idempotency_key(log_id, offset);
//   - per request: headers Spool-Log-Id (16 lowercase hex), Spool-First-Offset,
//     Spool-Last-Offset, Spool-Record-Count (decimal).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/health.h"
#include "spool/records.h"

namespace spool {

// One record of a batch, read in place from the log.
struct ForwardRecord {
  std::uint64_t offset = 0;
  std::int64_t timestamp_ns = 0;      // buffered-at (the frame timestamp)
  RecordKind kind = RecordKind::kRawFrame;
  Priority priority = Priority::kNormal;
  std::span<const std::uint8_t> payload;  // FlatBuffers table of `kind` (raw bytes for kRawFrame)
  // The payload was verified as a table of `kind` when it was appended (frame flag
  // kVerifiedFlag, records.h) and its frame checksum was right when read: a sink need not run
  // the FlatBuffers verifier on it again. False: verify before reading it.
  bool verified = false;
};

// A run of records, first_offset..last_offset inclusive, in offset order. Offsets may have
// gaps (records lost to damage before they were durable, or retried records sent alone).
struct ForwardBatch {
  std::uint64_t log_id = 0;
  std::uint64_t first_offset = 0;
  std::uint64_t last_offset = 0;
  std::span<const ForwardRecord> records;
  // spool's native encoding of the batch, zstd-compressed with the forwarder's level (and
  // dictionary, if one is configured): filled only for sinks whose wants_compressed_batch()
  // is true. Layout (before compression), per record: u64 offset, i64 timestamp_ns,
  // u16 kind, u16 flags, u32 payload bytes, payload; all little-endian.
  std::span<const std::uint8_t> compressed;
  std::uint64_t uncompressed_bytes = 0;  // size of the native encoding before compression
  std::uint32_t dictionary_id = 0;       // zstd dictionary id used, 0 = none
  std::uint32_t attempt = 0;             // 0 for the first send of these records
  // The lane the records come from (lane_options.h): "default", or a lane's name. A batch
  // never mixes lanes; log_id is that lane's log's.
  std::string_view lane = "default";
};

// Why a failed send is the sink's outage rather than the records' fault. An outage never
// uses up a record's max_retries and never dead-letters anything: the forwarder backs off,
// opens its circuit and probes until the sink answers again.
enum class SinkOutage : std::uint8_t {
  kNone,           // not an outage: the records failed (counts towards max_retries)
  kUnreachable,    // no answer at all: connection refused or reset, timeout, DNS failure
  kBusy,           // the receiver pushed back: 429, 502, 503, 504 (other 5xx when configured)
  kAuth,           // credentials refused: 401, 403, 407 (health warning sink_auth)
  kMisconfigured,  // nothing at that address takes the request: 404, 405, 3xx, TLS errors
                   // (health warning sink_misconfigured)
};

// What a sink answers for one batch.
struct FlushResult {
  enum class Outcome : std::uint8_t {
    kSucceeded,  // every record delivered
    kPartial,    // delivered except failed_offsets
    kFailed,     // nothing delivered
  };
  Outcome outcome = Outcome::kSucceeded;
  // kPartial: the offsets that failed (each one of the batch's offsets).
  std::vector<std::uint64_t> failed_offsets;
  // false: the failure is permanent (e.g. HTTP 400) and the failed records go straight to
  // the dead-letter log without retries.
  bool retryable = true;
  // > 0: the receiver asked to wait this long before the next attempt (Retry-After).
  std::uint32_t retry_after_ms = 0;
  // Not kNone: the outage is the sink's, not the records', so the retry does not count
  // towards the records' max_retries (a long outage, an expired token or a wrong URL never
  // turns a backlog into dead letters). With kPartial: part of the sink is away (a Kafka
  // partition whose leader is down); the delivered records count, the failed ones wait
  // with back-off and are sent again without using up a retry.
  SinkOutage outage = SinkOutage::kNone;
  // The receiver refused the request as too large (HTTP 413): the forwarder halves the
  // failed records and sends each half on its own; a single record refused this way is a
  // permanent refusal of that record (dead letter).
  bool payload_too_large = false;
  // Records the receiver accepted but reported as rejected without naming them (an OTLP
  // partial_success with a count only): counted, not retried (per the OTLP specification).
  std::uint64_t rejected_unnamed = 0;
  // Human-readable reason (kept with dead letters), e.g. "HTTP 400: <response body>".
  std::string error;
  std::uint64_t bytes_sent = 0;  // bytes on the wire for this batch (request body)

  static FlushResult succeeded(std::uint64_t bytes_sent = 0) {
    FlushResult r;
    r.bytes_sent = bytes_sent;
    return r;
  }
  static FlushResult failed(std::string error, bool retryable = true, std::uint32_t retry_after_ms = 0) {
    FlushResult r;
    r.outcome = Outcome::kFailed;
    r.error = std::move(error);
    r.retryable = retryable;
    r.retry_after_ms = retry_after_ms;
    return r;
  }
  // Transport failure or back-pressure: retried without consuming max_retries.
  static FlushResult unavailable(std::string error, std::uint32_t retry_after_ms = 0,
                                 SinkOutage outage = SinkOutage::kUnreachable) {
    FlushResult r = failed(std::move(error), true, retry_after_ms);
    r.outage = outage;
    return r;
  }
  bool sink_unavailable() const noexcept { return outage != SinkOutage::kNone; }
  static FlushResult partial(std::vector<std::uint64_t> failed_offsets, std::string error, bool retryable = true) {
    FlushResult r;
    r.outcome = Outcome::kPartial;
    r.failed_offsets = std::move(failed_offsets);
    r.error = std::move(error);
    r.retryable = retryable;
    return r;
  }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Delivers one batch. Called by one thread at a time unless max_concurrent_sends() says
  // more; the forwarder's thread calls it when a single batch is in flight, its sender
  // threads when several are.
  virtual FlushResult send(const ForwardBatch& batch) = 0;
  // How many send() calls may run at once, from different threads, each with its own batch
  // (1: the sink is not thread-safe). The forwarder keeps at most
  // min(this, ForwarderOptions::max_in_flight_batches) batches in flight.
  virtual std::uint32_t max_concurrent_sends() const { return 1; }
  // True if send() wants ForwardBatch::compressed filled.
  virtual bool wants_compressed_batch() const { return false; }
  // Short name for stats and logs ("otlp-http", "jsonl", "callback").
  virtual std::string name() const = 0;
  // Standing conditions of the sink's configuration that health() reports while they hold,
  // e.g. {"tls_insecure", ...} while TLS verification is off. Called from any thread.
  virtual std::vector<HealthWarning> configuration_warnings() const { return {}; }
};

// "<log_id as 16 lowercase hex>-<offset in decimal>", e.g. "00c0ffee00c0ffee-42".
std::string idempotency_key(std::uint64_t log_id, std::uint64_t offset);

}  // namespace spool
