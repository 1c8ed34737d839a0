// The records a producer hands to spool, as plain views: nothing here owns memory, so filling
// one costs no allocation. The views must stay valid until Buffer::append returns (append
// serializes them into the producer's queue before it returns).
//
// On disk each record is a FlatBuffers table (include/spool/records.fbs) inside one log
// frame. The frame header carries what every record has in common: the buffered-at time
// (frame timestamp, set by Buffer::append from the coarse wall clock: millisecond
// resolution, a quarter of the cost of a precise read), the record kind (frame type) and the
// priority (frame flags, see frame_flags_for()).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spool {

// Frame type of each kind of record. 0 is left for raw frames written below the Buffer
// (spoolctl append); FlatBuffers records start at 1.
enum class RecordKind : std::uint16_t {
  kRawFrame = 0,
  kSpan = 1,
  kLog = 2,
  kMetric = 3,
  kRecord = 4,
};

// Forwarding order and what the full-queue policies may drop: kSample never samples out
// kHigh or kCritical records.
enum class Priority : std::uint8_t { kLow = 0, kNormal = 1, kHigh = 2, kCritical = 3 };

// Frame flags layout: bits 0-1 priority; bit 2 kVerifiedFlag; the other bits are reserved
// (zero).
inline constexpr std::uint16_t kPriorityFlagMask = 0x3;
// Set by spool's log writer on a record of a FlatBuffers kind whose payload it checked with
// verify_encoded() before appending it (producers cannot set it: the writer refuses entries
// with flags beyond a priority). The frame checksum covers flags and payload, so a reader
// that found the checksum right reads the bytes that were verified and need not verify them
// again (the forwarder's OTLP and Kafka encoders skip that pass).
inline constexpr std::uint16_t kVerifiedFlag = 0x4;
constexpr std::uint16_t frame_flags_for(Priority p) noexcept { return static_cast<std::uint16_t>(p); }
constexpr Priority priority_from_flags(std::uint16_t flags) noexcept {
  return static_cast<Priority>(flags & kPriorityFlagMask);
}

// W3C trace-context ids. All-zero ids are invalid (no trace / no parent).
struct TraceId {
  std::array<std::uint8_t, 16> bytes{};
  bool valid() const noexcept;
  std::string hex() const;  // 32 lowercase hex chars
  friend bool operator==(const TraceId&, const TraceId&) = default;
};
struct SpanId {
  std::array<std::uint8_t, 8> bytes{};
  bool valid() const noexcept;
  std::string hex() const;  // 16 lowercase hex chars
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

enum class AttributeType : std::uint8_t { kString = 0, kInt = 1, kDouble = 2, kBool = 3 };

// A typed key/value. Build with the named constructors: Attribute::string("env", "prod").
struct Attribute {
  std::string_view key;
  AttributeType type = AttributeType::kString;
  std::string_view string_value;
  std::int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;

  static Attribute string(std::string_view k, std::string_view v) noexcept {
    Attribute a;
    a.key = k;
    a.type = AttributeType::kString;
    a.string_value = v;
    return a;
  }
  static Attribute integer(std::string_view k, std::int64_t v) noexcept {
    Attribute a;
    a.key = k;
    a.type = AttributeType::kInt;
    a.int_value = v;
    return a;
  }
  static Attribute floating(std::string_view k, double v) noexcept {
    Attribute a;
    a.key = k;
    a.type = AttributeType::kDouble;
    a.double_value = v;
    return a;
  }
  static Attribute boolean(std::string_view k, bool v) noexcept {
    Attribute a;
    a.key = k;
    a.type = AttributeType::kBool;
    a.bool_value = v;
    return a;
  }
};

enum class SpanType : std::uint8_t { kSpan = 0, kGeneration = 1, kTool = 2, kRetrieval = 3, kEvent = 4 };
enum class SpanStatus : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };

// Something that happened at a point in a span's life.
struct SpanEvent {
  std::string_view name;
  std::int64_t time_ns = 0;
  std::span<const Attribute> attributes;
};

// One span of a trace (an LLM call, a tool call, a retrieval, ...). duration_ns is stored as
// end_ns - start_ns.
struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // invalid (zero) for a root span
  std::string_view name;
  SpanType type = SpanType::kSpan;
  std::string_view component_type;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  SpanStatus status = SpanStatus::kUnset;
  std::string_view status_message;
  std::span<const Attribute> attributes;
  // Generation spans.
  std::string_view model;
  std::string_view input;
  std::string_view output;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  // Tool spans.
  std::string_view tool_name;
  std::string_view tool_input;
  std::string_view tool_output;
  std::span<const SpanEvent> events;
  Priority priority = Priority::kNormal;
};

// A log line (OpenTelemetry log data model). severity_number follows OTLP (1-24, 0 unset).
struct LogRecord {
  std::int64_t time_ns = 0;
  std::int32_t severity_number = 0;
  std::string_view severity_text;
  std::string_view body;
  std::span<const Attribute> attributes;
  TraceId trace_id;  // optional correlation
  SpanId span_id;
  Priority priority = Priority::kNormal;
};

enum class MetricKind : std::uint8_t { kGauge = 0, kCounter = 1, kHistogram = 2 };

// One metric data point. Gauges and counters use `value`; histograms use count, sum and
// buckets: bucket_counts has bucket_bounds.size() + 1 entries (the last is +inf).
struct Metric {
  std::string_view name;
  std::string_view unit;
  MetricKind kind = MetricKind::kGauge;
  std::int64_t time_ns = 0;
  double value = 0;
  std::uint64_t count = 0;
  double sum = 0;
  std::span<const double> bucket_bounds;
  std::span<const std::uint64_t> bucket_counts;
  std::span<const Attribute> attributes;
  Priority priority = Priority::kNormal;
};

// Opaque bytes with a type tag ("prediction", "run"): whatever the application defines.
struct RawRecord {
  std::string_view type_tag;
  std::span<const std::uint8_t> data;
  Priority priority = Priority::kNormal;
};

// A record already serialized (by RecordEncoder or SpanBuilder): appending it is a copy.
struct EncodedRecord {
  RecordKind kind = RecordKind::kRecord;
  Priority priority = Priority::kNormal;
  std::span<const std::uint8_t> bytes;  // a verified FlatBuffers table of `kind`
};

}  // namespace spool
