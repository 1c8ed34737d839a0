// decode_otlp_request: the body of an OTLP/HTTP request (POST /v1/traces, /v1/logs,
// /v1/metrics; protobuf or JSON, already without its Content-Encoding, see
// http_body_decoder.h) -> the spool records it holds:
//
//   - each Span -> one fb::Span (type Span; OTLP's kind, trace_state, flags, links, events,
//     dropped counts and status kept; attributes stay attributes);
//   - each LogRecord -> one fb::LogRecord (a body that is not a string in `body_value`);
//   - each data point -> one fb::Metric, its Metric's name, description and unit repeated
//     (Gauge -> Gauge, Sum -> Counter, Histogram, ExponentialHistogram, Summary; exemplars
//     are not stored);
//
// each carrying its Resource and InstrumentationScope (attributes, dropped counts and the
// schema_url of its ResourceX / ScopeX message) as `resource` and `scope` tables.
//
// Priority: a span with status ERROR is kHigh; a log record of severity ERROR (17) or more is
// kHigh, FATAL (21) or more kCritical; everything else kNormal.
//
// Items that cannot be stored are rejected (counted, named in rejection_message(), not an
// error of the request, which OTLP answers with partial_success): a span whose trace_id is
// not 16 bytes or span_id not 8, or either all zero; a parent_span_id or link id of the wrong
// length; a log record with a trace_id / span_id of the wrong length (absent is fine). A body
// that is not such a request at all is an error (InvalidArgument; the server answers 400), and
// so is one whose records would take more than otlp_record_budget() bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/ingest/otlp_record_store.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "spool/records.h"
#include "spool/status.h"

namespace spool::engine {

enum class OtlpFormat : std::uint8_t { kProtobuf, kJson };

// Each record repeats its Resource and scope, so a request may decode to more bytes than it
// has; one whose records would take more than this is refused (an error, like a malformed
// one) before it takes more memory: 64 MiB plus 16 times the body.
constexpr std::size_t otlp_record_budget(std::size_t body_bytes) noexcept {
  constexpr std::size_t kBase = std::size_t{64} << 20;
  return body_bytes > (SIZE_MAX - kBase) / 16 ? SIZE_MAX : kBase + 16 * body_bytes;
}

// What one Export*ServiceRequest decoded into. Reuse one per thread: its storage is kept.
class OtlpDecodedRequest {
 public:
  // Each a finished FlatBuffers table of records.fbs (the root of its kind), 8-byte aligned,
  // valid until the next decode into this object or clear().
  std::span<const EncodedRecord> records() const noexcept { return store_.records(); }
  // Items not stored.
  std::uint64_t rejected() const noexcept { return store_.rejected(); }
  // "" when none; else e.g. "2 spans rejected: span 3: trace_id is 5 bytes, want 16" (the
  // count, then the first item's index in the request and reason).
  const std::string& rejection_message() const noexcept { return store_.rejection_message(); }
  void clear() { store_.clear(); }

 private:
  friend Status decode_otlp_request(OtlpSignal signal, OtlpFormat format, std::span<const std::uint8_t> body,
                                    OtlpDecodedRequest* out);
  OtlpRecordStore store_;
};

// Replaces *out with the records of `body`. On error *out holds no records.
Status decode_otlp_request(OtlpSignal signal, OtlpFormat format, std::span<const std::uint8_t> body,
                           OtlpDecodedRequest* out);

}  // namespace spool::engine
