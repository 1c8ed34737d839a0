// How spool's records map onto OpenTelemetry (OTLP v1), shared by the protobuf and the JSON
// encoders so both send the same thing:
//
//   RecordKind::kSpan   -> traces  (Span; "spool.span_type" keeps our type)
//   RecordKind::kMetric -> metrics (one Metric with one data point per record)
//   RecordKind::kLog    -> logs    (LogRecord)
//   kRecord, kRawFrame and kinds this version does not know -> logs, as a LogRecord whose body
//   is the bytes (AnyValue.bytes_value) and whose "spool.record_type" says what they are.
//
// Every span, log record and data point carries "spool.idempotency_key" (see spool/sink.h).
//
// Records received over OTLP keep their Resource and InstrumentationScope, and the request
// groups records by them (otlp_encoder_groups.h): a record without them goes under the sink's
// configured resource and the scope "spool"; a record with its own resource goes under that
// resource, to which the configured attributes its resource lacks are added (they fill gaps,
// never override); a record with its own scope goes under that scope.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/forward/idempotency_key.h"
#include "spool/records.h"
#include "spool/records_generated.h"
#include "spool/sink.h"
#include "spool/status.h"

namespace spool::engine {

enum class OtlpSignal : std::uint8_t { kTraces = 0, kLogs = 1, kMetrics = 2 };
inline constexpr std::array<OtlpSignal, 3> kOtlpSignals = {OtlpSignal::kTraces, OtlpSignal::kLogs,
                                                           OtlpSignal::kMetrics};

constexpr OtlpSignal otlp_signal_for(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kSpan:
      return OtlpSignal::kTraces;
    case RecordKind::kMetric:
      return OtlpSignal::kMetrics;
    default:
      return OtlpSignal::kLogs;
  }
}

// The OTLP/HTTP path of each signal ("/v1/traces", ...).
std::string_view otlp_signal_path(OtlpSignal signal) noexcept;
// "traces", "logs", "metrics".
std::string_view otlp_signal_name(OtlpSignal signal) noexcept;

// Attribute keys spool adds.
namespace otlp_keys {
inline constexpr std::string_view kIdempotencyKey = "spool.idempotency_key";
inline constexpr std::string_view kSpanType = "spool.span_type";
inline constexpr std::string_view kComponentType = "spool.component_type";
inline constexpr std::string_view kRecordType = "spool.record_type";
// Generation and tool spans: the OpenTelemetry GenAI semantic conventions' names where they
// have one, so GenAI-aware backends show them without configuration.
inline constexpr std::string_view kModel = "gen_ai.request.model";
inline constexpr std::string_view kInputTokens = "gen_ai.usage.input_tokens";
inline constexpr std::string_view kOutputTokens = "gen_ai.usage.output_tokens";
inline constexpr std::string_view kInput = "gen_ai.prompt";
inline constexpr std::string_view kOutput = "gen_ai.completion";
inline constexpr std::string_view kToolName = "gen_ai.tool.name";
inline constexpr std::string_view kToolInput = "gen_ai.tool.call.arguments";
inline constexpr std::string_view kToolOutput = "gen_ai.tool.call.result";
}  // namespace otlp_keys

// The instrumentation scope every request names.
inline constexpr std::string_view kOtlpScopeName = "spool";
inline constexpr std::string_view kOtlpScopeVersion = "0.1.0";

// OTLP Span.SpanKind (trace.proto): 1 INTERNAL, 3 CLIENT. Generations and retrievals call out
// to a model or an index, so they are CLIENT spans; everything else happens in process.
std::uint32_t otlp_span_kind(fb::SpanType type) noexcept;
// "span", "generation", "tool", "retrieval", "event"; "unknown" for a later version's value.
std::string_view span_type_name(fb::SpanType type) noexcept;
// "spool.record_type" of a record sent as bytes: kRawFrame "raw", kRecord uses its type_tag
// (not here), an unknown kind "frame-type-<n>" (written into `buf`).
std::string_view raw_record_type(RecordKind kind, std::array<char, 32>& buf) noexcept;

// OTLP AggregationTemporality (metrics.proto): 1 DELTA, 2 CUMULATIVE. A counter record holds
// the counter's running total (CUMULATIVE, monotonic); a histogram record holds the
// observations of one reporting interval (DELTA).
inline constexpr std::uint32_t kCounterTemporality = 2;
inline constexpr std::uint32_t kHistogramTemporality = 1;

// The AggregationTemporality a Counter, Histogram or ExponentialHistogram record is sent
// with: its own (records received over OTLP), or when 0 (unset) what its kind implies above
// (an exponential histogram, like a histogram, holds one interval).
constexpr std::uint32_t otlp_temporality(fb::MetricKind kind, std::uint8_t own) noexcept {
  if (own != 0) return own;
  return kind == fb::MetricKind::Counter ? kCounterTemporality : kHistogramTemporality;
}

// The span kind a span is sent with: its own (records received over OTLP), or when 0
// (unset) the one its type implies (otlp_span_kind).
inline std::uint32_t otlp_span_kind(const fb::Span& span) noexcept {
  return span.kind() != 0 ? span.kind() : otlp_span_kind(span.type());
}

// Where a record came from: its Resource and Scope tables (either null when the record has
// none; both null for kRecord, raw and unknown kinds). `payload` is checked_payload's.
struct OtlpOrigin {
  const fb::Resource* resource = nullptr;
  const fb::Scope* scope = nullptr;
};
OtlpOrigin otlp_origin(RecordKind kind, std::span<const std::uint8_t> payload) noexcept;

// Whether `list` holds an attribute with `key` (a configured resource attribute is added to
// a record's own resource only when it does not).
bool has_attribute_key(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* list,
                       std::string_view key) noexcept;

// The payload of a record, checked before any accessor reads it: a FlatBuffers table of its
// kind, verified (records.fbs tables are read in place, so an unverified one could send an
// accessor out of bounds; not again when ForwardRecord::verified says the writer did) and
// 8-byte aligned (copied to `scratch` when it is not).
// Returns an empty span (and sets *error) when the payload is not a valid table of its kind.
// kRawFrame and unknown kinds are bytes, returned as they are.
std::span<const std::uint8_t> checked_payload(const ForwardRecord& record,
                                              std::vector<std::uint64_t>& scratch,
                                              Status* error);

}  // namespace spool::engine
