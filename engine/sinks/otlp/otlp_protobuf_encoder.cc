// OtlpProtobufEncoder: records -> OTLP/protobuf. Field numbers are those of
// opentelemetry-proto v1 (opentelemetry/proto/{common,resource,trace,logs,metrics}/v1/*.proto
// and collector/*/v1/*_service.proto), cited next to each use.
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"

#include <bit>
#include <cstring>
#include <optional>

#include "engine/sinks/otlp/protobuf_writer.h"
#include "spool/records_generated.h"

namespace spool::engine {

namespace {

using LD = WireType;
using fb_attributes = flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>;

// All three Export*ServiceRequest messages have the same envelope:
//   Export*ServiceRequest { Resource* resource_* = 1 }
//   Resource*             { Resource resource = 1; Scope* scope_* = 2 }
//   Scope*                { InstrumentationScope scope = 1; repeated <item> <items> = 2 }
constexpr std::uint32_t kRequestResourceItems = 1;
constexpr std::uint32_t kResourceItemsResource = 1;
constexpr std::uint32_t kResourceItemsScopeItems = 2;
constexpr std::uint32_t kScopeItemsScope = 1;
constexpr std::uint32_t kScopeItemsItems = 2;  // spans / log_records / metrics

//   Resource* and Scope* also have { string schema_url = 3 }.
constexpr std::uint32_t kSchemaUrl = 3;

// common.proto: KeyValue { string key = 1; AnyValue value = 2; }
// AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
//            double double_value = 4; ArrayValue array_value = 5;
//            KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
// ArrayValue { repeated AnyValue values = 1; }  KeyValueList { repeated KeyValue values = 1; }
// InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
//   uint32 dropped_attributes_count = 4; }
// resource.proto: Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
constexpr std::uint32_t kKeyValueKey = 1;
constexpr std::uint32_t kKeyValueValue = 2;
constexpr std::uint32_t kAnyString = 1;
constexpr std::uint32_t kAnyBool = 2;
constexpr std::uint32_t kAnyInt = 3;
constexpr std::uint32_t kAnyDouble = 4;
constexpr std::uint32_t kAnyArray = 5;
constexpr std::uint32_t kAnyKvList = 6;
constexpr std::uint32_t kAnyBytes = 7;
constexpr std::uint32_t kListValues = 1;
constexpr std::uint32_t kScopeName = 1;
constexpr std::uint32_t kScopeVersion = 2;
constexpr std::uint32_t kScopeAttributes = 3;
constexpr std::uint32_t kScopeDroppedAttributes = 4;
constexpr std::uint32_t kResourceAttributes = 1;
constexpr std::uint32_t kResourceDroppedAttributes = 2;

// trace.proto: Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//   bytes parent_span_id = 4; fixed32 flags = 16; string name = 5; SpanKind kind = 6;
//   fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
//   repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
//   repeated Event events = 11; uint32 dropped_events_count = 12; repeated Link links = 13;
//   uint32 dropped_links_count = 14; Status status = 15; }
// Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
//   uint32 dropped_attributes_count = 4; }
// Span.Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
//   repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
// Status { string message = 2; StatusCode code = 3; }
constexpr std::uint32_t kSpanTraceId = 1;
constexpr std::uint32_t kSpanSpanId = 2;
constexpr std::uint32_t kSpanTraceState = 3;
constexpr std::uint32_t kSpanParentSpanId = 4;
constexpr std::uint32_t kSpanName = 5;
constexpr std::uint32_t kSpanKind = 6;
constexpr std::uint32_t kSpanStart = 7;
constexpr std::uint32_t kSpanEnd = 8;
constexpr std::uint32_t kSpanAttributes = 9;
constexpr std::uint32_t kSpanDroppedAttributes = 10;
constexpr std::uint32_t kSpanEvents = 11;
constexpr std::uint32_t kSpanDroppedEvents = 12;
constexpr std::uint32_t kSpanLinks = 13;
constexpr std::uint32_t kSpanDroppedLinks = 14;
constexpr std::uint32_t kSpanStatus = 15;
constexpr std::uint32_t kSpanFlags = 16;
constexpr std::uint32_t kEventTime = 1;
constexpr std::uint32_t kEventName = 2;
constexpr std::uint32_t kEventAttributes = 3;
constexpr std::uint32_t kEventDroppedAttributes = 4;
constexpr std::uint32_t kLinkTraceId = 1;
constexpr std::uint32_t kLinkSpanId = 2;
constexpr std::uint32_t kLinkTraceState = 3;
constexpr std::uint32_t kLinkAttributes = 4;
constexpr std::uint32_t kLinkDroppedAttributes = 5;
constexpr std::uint32_t kLinkFlags = 6;
constexpr std::uint32_t kStatusMessage = 2;
constexpr std::uint32_t kStatusCode = 3;

// logs.proto: LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
//   string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
//   uint32 dropped_attributes_count = 7; fixed32 flags = 8; bytes trace_id = 9;
//   bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12; }
constexpr std::uint32_t kLogTime = 1;
constexpr std::uint32_t kLogSeverityNumber = 2;
constexpr std::uint32_t kLogSeverityText = 3;
constexpr std::uint32_t kLogBody = 5;
constexpr std::uint32_t kLogAttributes = 6;
constexpr std::uint32_t kLogTraceId = 9;
constexpr std::uint32_t kLogSpanId = 10;
constexpr std::uint32_t kLogObservedTime = 11;
constexpr std::uint32_t kLogDroppedAttributes = 7;
constexpr std::uint32_t kLogFlags = 8;
constexpr std::uint32_t kLogEventName = 12;

// metrics.proto: Metric { string name = 1; string description = 2; string unit = 3;
//   oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9;
//   ExponentialHistogram exponential_histogram = 10; Summary summary = 11; } }
// Gauge { repeated NumberDataPoint data_points = 1; }   Summary { ... data_points = 1; }
// Sum { repeated NumberDataPoint data_points = 1; AggregationTemporality
//   aggregation_temporality = 2; bool is_monotonic = 3; }
// Histogram, ExponentialHistogram { repeated ...DataPoint data_points = 1;
//   aggregation_temporality = 2; }
// Every data point: fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3.
// NumberDataPoint { double as_double = 4; sfixed64 as_int = 6; repeated KeyValue attributes = 7;
//   uint32 flags = 8; }
// HistogramDataPoint { fixed64 count = 4; optional double sum = 5;
//   repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
//   repeated KeyValue attributes = 9; uint32 flags = 10; optional double min = 11;
//   optional double max = 12; }
// ExponentialHistogramDataPoint { repeated KeyValue attributes = 1; fixed64 count = 4;
//   optional double sum = 5; sint32 scale = 6; fixed64 zero_count = 7; Buckets positive = 8;
//   Buckets negative = 9; uint32 flags = 10; optional double min = 12;
//   optional double max = 13; double zero_threshold = 14; }
//   Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
// SummaryDataPoint { fixed64 count = 4; double sum = 5;
//   repeated ValueAtQuantile quantile_values = 6; repeated KeyValue attributes = 7;
//   uint32 flags = 8; }   ValueAtQuantile { double quantile = 1; double value = 2; }
constexpr std::uint32_t kMetricName = 1;
constexpr std::uint32_t kMetricDescription = 2;
constexpr std::uint32_t kMetricUnit = 3;
constexpr std::uint32_t kMetricGauge = 5;
constexpr std::uint32_t kMetricSum = 7;
constexpr std::uint32_t kMetricHistogram = 9;
constexpr std::uint32_t kMetricExponentialHistogram = 10;
constexpr std::uint32_t kMetricSummary = 11;
constexpr std::uint32_t kDataPoints = 1;
constexpr std::uint32_t kTemporality = 2;
constexpr std::uint32_t kSumIsMonotonic = 3;
constexpr std::uint32_t kPointStart = 2;
constexpr std::uint32_t kNumberTime = 3;
constexpr std::uint32_t kNumberAsDouble = 4;
constexpr std::uint32_t kNumberAsInt = 6;
constexpr std::uint32_t kNumberAttributes = 7;
constexpr std::uint32_t kNumberFlags = 8;
constexpr std::uint32_t kHistogramCount = 4;
constexpr std::uint32_t kHistogramSum = 5;
constexpr std::uint32_t kHistogramBucketCounts = 6;
constexpr std::uint32_t kHistogramExplicitBounds = 7;
constexpr std::uint32_t kHistogramAttributes = 9;
constexpr std::uint32_t kHistogramFlags = 10;
constexpr std::uint32_t kHistogramMin = 11;
constexpr std::uint32_t kHistogramMax = 12;
constexpr std::uint32_t kExpAttributes = 1;
constexpr std::uint32_t kExpScale = 6;
constexpr std::uint32_t kExpZeroCount = 7;
constexpr std::uint32_t kExpPositive = 8;
constexpr std::uint32_t kExpNegative = 9;
constexpr std::uint32_t kExpFlags = 10;
constexpr std::uint32_t kExpMin = 12;
constexpr std::uint32_t kExpMax = 13;
constexpr std::uint32_t kExpZeroThreshold = 14;
constexpr std::uint32_t kBucketsOffset = 1;
constexpr std::uint32_t kBucketsCounts = 2;
constexpr std::uint32_t kSummaryQuantileValues = 6;
constexpr std::uint32_t kSummaryAttributes = 7;
constexpr std::uint32_t kSummaryFlags = 8;
constexpr std::uint32_t kQuantile = 1;
constexpr std::uint32_t kQuantileValue = 2;

std::string_view view(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

template <std::size_t N>
bool all_zero(const std::uint8_t* bytes) {
  for (std::size_t i = 0; i < N; ++i)
    if (bytes[i] != 0) return false;
  return true;
}

// KeyValue whose AnyValue holds `value_bytes` of payload in `any_field`; the sizes are
// known up front, so no back-patching for the commonest messages of all.
// Flattened: the hottest code of the encoder (every attribute), kept free of calls whatever
// the compiler decides for the rest of this file.
[[gnu::flatten]] void key_value_header(ProtobufWriter& w, std::uint32_t field, std::string_view key,
                      std::size_t any_size) {
  const std::size_t kv_size = length_delimited_size(kKeyValueKey, key.size()) +
                              length_delimited_size(kKeyValueValue, any_size);
  w.key(field, LD::kLengthDelimited);
  w.varint(kv_size);
  w.field_string(kKeyValueKey, key);
  w.key(kKeyValueValue, LD::kLengthDelimited);
  w.varint(any_size);
}

void string_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key,
                      std::string_view value) {
  key_value_header(w, field, key, length_delimited_size(kAnyString, value.size()));
  w.field_string(kAnyString, value);
}

void bytes_attribute_value(ProtobufWriter& w, std::uint32_t field, const void* data, std::size_t n) {
  // AnyValue { bytes bytes_value = 7 } as a field of its own (a log record's body).
  w.key(field, LD::kLengthDelimited);
  w.varint(length_delimited_size(kAnyBytes, n));
  w.field_bytes(kAnyBytes, data, n);
}

void int_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);  // int64 varint: two's complement, 10 bytes if < 0
  key_value_header(w, field, key, 1 + varint_size(u));
  w.field_varint(kAnyInt, u);
}

void double_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key, double v) {
  key_value_header(w, field, key, 1 + 8);
  w.field_double(kAnyDouble, v);
}

void bool_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key, bool v) {
  key_value_header(w, field, key, 1 + 1);
  w.field_varint(kAnyBool, v ? 1 : 0);
}

void any_value_fields(ProtobufWriter& w, const fb::Attribute& a);

std::span<const std::uint8_t> bytes_of(const fb::Attribute& a) {
  const auto* b = a.bytes_value();
  return b == nullptr ? std::span<const std::uint8_t>() : std::span<const std::uint8_t>(b->data(), b->size());
}

// ArrayValue (field 5) or KeyValueList (field 6) of an Array / KvList attribute: lengths
// unknown up front, so written with back-patching.
void nested_value(ProtobufWriter& w, const fb::Attribute& a);

// One KeyValue of `a` under `key`. Scalars take the sized path; nested values back-patch.
void key_value(ProtobufWriter& w, std::uint32_t field, std::string_view key, const fb::Attribute& a) {
  switch (a.type()) {
    case fb::AttributeType::String:
      string_attribute(w, field, key, view(a.string_value()));
      break;
    case fb::AttributeType::Int:
      int_attribute(w, field, key, a.int_value());
      break;
    case fb::AttributeType::Double:
      double_attribute(w, field, key, a.double_value());
      break;
    case fb::AttributeType::Bool:
      bool_attribute(w, field, key, a.bool_value());
      break;
    case fb::AttributeType::Bytes: {
      const auto b = bytes_of(a);
      key_value_header(w, field, key, length_delimited_size(kAnyBytes, b.size()));
      w.field_bytes(kAnyBytes, b.data(), b.size());
      break;
    }
    case fb::AttributeType::Array:
    case fb::AttributeType::KvList: {
      const auto kv = w.begin_message(field, 1);
      w.field_string(kKeyValueKey, key);
      const auto any = w.begin_message(kKeyValueValue, 1);
      nested_value(w, a);
      w.end_message(any);
      w.end_message(kv);
      break;
    }
    case fb::AttributeType::Empty:
      key_value_header(w, field, key, 0);  // an AnyValue with no value set
      break;
    default:
      break;  // a type a later version added: nothing this version can say about it
  }
}

void nested_value(ProtobufWriter& w, const fb::Attribute& a) {
  const bool kvlist = a.type() == fb::AttributeType::KvList;
  const auto list = w.begin_message(kvlist ? kAnyKvList : kAnyArray, 1);
  if (a.values() != nullptr) {
    for (const fb::Attribute* v : *a.values()) {
      if (kvlist) {
        key_value(w, kListValues, view(v->key()), *v);
      } else {
        const auto element = w.begin_message(kListValues, 1);
        any_value_fields(w, *v);
        w.end_message(element);
      }
    }
  }
  w.end_message(list);
}

// The fields inside an AnyValue message holding `a` (none for Empty and unknown types).
void any_value_fields(ProtobufWriter& w, const fb::Attribute& a) {
  switch (a.type()) {
    case fb::AttributeType::String:
      w.field_string(kAnyString, view(a.string_value()));
      break;
    case fb::AttributeType::Int:
      w.field_varint(kAnyInt, static_cast<std::uint64_t>(a.int_value()));
      break;
    case fb::AttributeType::Double:
      w.field_double(kAnyDouble, a.double_value());
      break;
    case fb::AttributeType::Bool:
      w.field_varint(kAnyBool, a.bool_value() ? 1 : 0);
      break;
    case fb::AttributeType::Bytes: {
      const auto b = bytes_of(a);
      w.field_bytes(kAnyBytes, b.data(), b.size());
      break;
    }
    case fb::AttributeType::Array:
    case fb::AttributeType::KvList:
      nested_value(w, a);
      break;
    default:
      break;
  }
}

void attributes(ProtobufWriter& w, std::uint32_t field, const fb_attributes* list) {
  if (list == nullptr) return;
  for (const fb::Attribute* a : *list) key_value(w, field, view(a->key()), *a);
}

void field_fixed32(ProtobufWriter& w, std::uint32_t field, std::uint32_t v) {
  w.key(field, LD::kFixed32);
  const std::uint8_t le[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  w.raw(le, 4);
}

// proto3 scalars at their default are not written.
void optional_varint(ProtobufWriter& w, std::uint32_t field, std::uint64_t v) {
  if (v != 0) w.field_varint(field, v);
}
void optional_string(ProtobufWriter& w, std::uint32_t field, const flatbuffers::String* s) {
  if (s != nullptr && s->size() != 0) w.field_string(field, view(s));
}

void optional_string_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key,
                               const flatbuffers::String* value) {
  if (value != nullptr && value->size() != 0) string_attribute(w, field, key, view(value));
}

void span(ProtobufWriter& w, const fb::Span& s, std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 2);  // a standard span is 128 B..16 KiB
  if (s.trace_id() != nullptr) w.field_bytes(kSpanTraceId, s.trace_id()->bytes()->data(), 16);
  if (s.span_id() != nullptr) w.field_bytes(kSpanSpanId, s.span_id()->bytes()->data(), 8);
  optional_string(w, kSpanTraceState, s.trace_state());
  if (s.parent_span_id() != nullptr && !all_zero<8>(s.parent_span_id()->bytes()->data())) {
    w.field_bytes(kSpanParentSpanId, s.parent_span_id()->bytes()->data(), 8);
  }
  w.field_string(kSpanName, view(s.name()));
  w.field_varint(kSpanKind, otlp_span_kind(s));
  if (s.start_ns() != 0) w.field_fixed64(kSpanStart, static_cast<std::uint64_t>(s.start_ns()));
  if (s.end_ns() != 0) w.field_fixed64(kSpanEnd, static_cast<std::uint64_t>(s.end_ns()));

  attributes(w, kSpanAttributes, s.attributes());
  string_attribute(w, kSpanAttributes, otlp_keys::kSpanType, span_type_name(s.type()));
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kComponentType, s.component_type());
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kModel, s.model());
  if (s.input_tokens() != 0) int_attribute(w, kSpanAttributes, otlp_keys::kInputTokens, s.input_tokens());
  if (s.output_tokens() != 0) {
    int_attribute(w, kSpanAttributes, otlp_keys::kOutputTokens, s.output_tokens());
  }
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kInput, s.input());
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kOutput, s.output());
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kToolName, s.tool_name());
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kToolInput, s.tool_input());
  optional_string_attribute(w, kSpanAttributes, otlp_keys::kToolOutput, s.tool_output());
  string_attribute(w, kSpanAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
  optional_varint(w, kSpanDroppedAttributes, s.dropped_attributes_count());

  if (s.events() != nullptr) {
    for (const fb::SpanEvent* e : *s.events()) {
      const auto em = w.begin_message(kSpanEvents, 1);
      if (e->time_ns() != 0) w.field_fixed64(kEventTime, static_cast<std::uint64_t>(e->time_ns()));
      w.field_string(kEventName, view(e->name()));
      attributes(w, kEventAttributes, e->attributes());
      optional_varint(w, kEventDroppedAttributes, e->dropped_attributes_count());
      w.end_message(em);
    }
  }
  optional_varint(w, kSpanDroppedEvents, s.dropped_events_count());
  if (s.links() != nullptr) {
    for (const fb::SpanLink* l : *s.links()) {
      const auto lm = w.begin_message(kSpanLinks, 1);
      if (l->trace_id() != nullptr) w.field_bytes(kLinkTraceId, l->trace_id()->bytes()->data(), 16);
      if (l->span_id() != nullptr) w.field_bytes(kLinkSpanId, l->span_id()->bytes()->data(), 8);
      optional_string(w, kLinkTraceState, l->trace_state());
      attributes(w, kLinkAttributes, l->attributes());
      optional_varint(w, kLinkDroppedAttributes, l->dropped_attributes_count());
      if (l->flags() != 0) field_fixed32(w, kLinkFlags, l->flags());
      w.end_message(lm);
    }
  }
  optional_varint(w, kSpanDroppedLinks, s.dropped_links_count());
  const std::string_view message = view(s.status_message());
  if (s.status() != fb::SpanStatus::Unset || !message.empty()) {
    // StatusCode: 0 UNSET, 1 OK, 2 ERROR, the same numbers as fb::SpanStatus.
    const auto code = static_cast<std::uint64_t>(s.status());
    const std::size_t size = (message.empty() ? 0 : length_delimited_size(kStatusMessage, message.size())) +
                             (code == 0 ? 0 : 1 + varint_size(code));
    w.key(kSpanStatus, LD::kLengthDelimited);
    w.varint(size);
    if (!message.empty()) w.field_string(kStatusMessage, message);
    if (code != 0) w.field_varint(kStatusCode, code);
  }
  if (s.flags() != 0) field_fixed32(w, kSpanFlags, s.flags());
  w.end_message(m);
}

// The observed time sent is the record's own, or (unset) when spool buffered it (buffered_ns).
void log_record(ProtobufWriter& w, const fb::LogRecord& l, std::int64_t buffered_ns,
                std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 2);
  const std::int64_t observed_ns = l.observed_time_ns() != 0 ? l.observed_time_ns() : buffered_ns;
  if (l.time_ns() != 0) w.field_fixed64(kLogTime, static_cast<std::uint64_t>(l.time_ns()));
  if (observed_ns != 0) w.field_fixed64(kLogObservedTime, static_cast<std::uint64_t>(observed_ns));
  if (l.severity_number() != 0) {
    // An enum is an int32 varint: sign-extended to 64 bits when negative.
    w.field_varint(kLogSeverityNumber, static_cast<std::uint64_t>(static_cast<std::int64_t>(l.severity_number())));
  }
  if (l.severity_text() != nullptr && l.severity_text()->size() != 0) {
    w.field_string(kLogSeverityText, view(l.severity_text()));
  }
  if (l.body() != nullptr) {
    w.key(kLogBody, LD::kLengthDelimited);
    w.varint(length_delimited_size(kAnyString, l.body()->size()));
    w.field_string(kAnyString, view(l.body()));
  } else if (l.body_value() != nullptr) {
    const auto body = w.begin_message(kLogBody, 1);
    any_value_fields(w, *l.body_value());
    w.end_message(body);
  }
  attributes(w, kLogAttributes, l.attributes());
  string_attribute(w, kLogAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
  optional_varint(w, kLogDroppedAttributes, l.dropped_attributes_count());
  if (l.flags() != 0) field_fixed32(w, kLogFlags, l.flags());
  if (l.trace_id() != nullptr) w.field_bytes(kLogTraceId, l.trace_id()->bytes()->data(), 16);
  if (l.span_id() != nullptr) w.field_bytes(kLogSpanId, l.span_id()->bytes()->data(), 8);
  optional_string(w, kLogEventName, l.event_name());
  w.end_message(m);
}

// kRecord / kRawFrame / unknown kinds: a LogRecord with the bytes as body.
void bytes_log_record(ProtobufWriter& w, std::span<const std::uint8_t> bytes, std::string_view type,
                      std::int64_t time_ns, std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 2);
  if (time_ns != 0) {
    w.field_fixed64(kLogTime, static_cast<std::uint64_t>(time_ns));
    w.field_fixed64(kLogObservedTime, static_cast<std::uint64_t>(time_ns));
  }
  bytes_attribute_value(w, kLogBody, bytes.data(), bytes.size());
  string_attribute(w, kLogAttributes, otlp_keys::kRecordType, type);
  string_attribute(w, kLogAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
  w.end_message(m);
}

template <typename T>
void packed_fixed64(ProtobufWriter& w, std::uint32_t field, const flatbuffers::Vector<T>* v) {
  static_assert(sizeof(T) == 8);
  if (v == nullptr || v->size() == 0) return;
  w.key(field, LD::kLengthDelimited);
  w.varint(std::size_t{8} * v->size());
  // FlatBuffers stores scalars little-endian, as protobuf's fixed64 and double are.
  w.raw(v->data(), std::size_t{8} * v->size());
}

// Packed repeated uint64 (varints): ExponentialHistogramDataPoint.Buckets.bucket_counts.
void packed_varints(ProtobufWriter& w, std::uint32_t field, const flatbuffers::Vector<std::uint64_t>* v) {
  if (v == nullptr || v->size() == 0) return;
  std::size_t n = 0;
  for (std::uint64_t x : *v) n += varint_size(x);
  w.key(field, LD::kLengthDelimited);
  w.varint(n);
  for (std::uint64_t x : *v) w.varint(x);
}

void buckets(ProtobufWriter& w, std::uint32_t field, std::int32_t offset,
             const flatbuffers::Vector<std::uint64_t>* counts) {
  if (offset == 0 && (counts == nullptr || counts->size() == 0)) return;
  const auto m = w.begin_message(field, 1);
  // sint32: zigzag, so small negative offsets stay short.
  const auto zigzag = (static_cast<std::uint32_t>(offset) << 1) ^ static_cast<std::uint32_t>(offset >> 31);
  optional_varint(w, kBucketsOffset, zigzag);
  packed_varints(w, kBucketsCounts, counts);
  w.end_message(m);
}

// A data point's attributes: the record's, then spool.idempotency_key.
void point_attributes(ProtobufWriter& w, std::uint32_t field, const fb::Metric& mt,
                      std::string_view idempotency_key) {
  attributes(w, field, mt.attributes());
  string_attribute(w, field, otlp_keys::kIdempotencyKey, idempotency_key);
}

void point_times(ProtobufWriter& w, const fb::Metric& mt) {
  if (mt.start_time_ns() != 0) w.field_fixed64(kPointStart, static_cast<std::uint64_t>(mt.start_time_ns()));
  if (mt.time_ns() != 0) w.field_fixed64(kNumberTime, static_cast<std::uint64_t>(mt.time_ns()));
}

void metric(ProtobufWriter& w, const fb::Metric& mt, std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 1);
  w.field_string(kMetricName, view(mt.name()));
  optional_string(w, kMetricDescription, mt.description());
  optional_string(w, kMetricUnit, mt.unit());
  switch (mt.kind()) {
    case fb::MetricKind::Histogram: {
      const auto h = w.begin_message(kMetricHistogram, 1);
      const auto dp = w.begin_message(kDataPoints, 1);
      point_times(w, mt);
      w.field_fixed64(kHistogramCount, mt.count());
      w.field_double(kHistogramSum, mt.sum());  // proto3 optional: present even when 0
      packed_fixed64(w, kHistogramBucketCounts, mt.bucket_counts());
      packed_fixed64(w, kHistogramExplicitBounds, mt.bucket_bounds());
      point_attributes(w, kHistogramAttributes, mt, idempotency_key);
      optional_varint(w, kHistogramFlags, mt.flags());
      if (mt.has_min()) w.field_double(kHistogramMin, mt.min());
      if (mt.has_max()) w.field_double(kHistogramMax, mt.max());
      w.end_message(dp);
      w.field_varint(kTemporality, otlp_temporality(mt.kind(), mt.temporality()));
      w.end_message(h);
      break;
    }
    case fb::MetricKind::ExponentialHistogram: {
      const auto h = w.begin_message(kMetricExponentialHistogram, 1);
      const auto dp = w.begin_message(kDataPoints, 1);
      point_attributes(w, kExpAttributes, mt, idempotency_key);
      point_times(w, mt);
      w.field_fixed64(kHistogramCount, mt.count());
      w.field_double(kHistogramSum, mt.sum());
      const auto scale = mt.scale();
      optional_varint(w, kExpScale, (static_cast<std::uint32_t>(scale) << 1) ^ static_cast<std::uint32_t>(scale >> 31));
      if (mt.zero_count() != 0) w.field_fixed64(kExpZeroCount, mt.zero_count());
      buckets(w, kExpPositive, mt.positive_offset(), mt.positive_bucket_counts());
      buckets(w, kExpNegative, mt.negative_offset(), mt.negative_bucket_counts());
      optional_varint(w, kExpFlags, mt.flags());
      if (mt.has_min()) w.field_double(kExpMin, mt.min());
      if (mt.has_max()) w.field_double(kExpMax, mt.max());
      if (mt.zero_threshold() != 0) w.field_double(kExpZeroThreshold, mt.zero_threshold());
      w.end_message(dp);
      w.field_varint(kTemporality, otlp_temporality(mt.kind(), mt.temporality()));
      w.end_message(h);
      break;
    }
    case fb::MetricKind::Summary: {
      const auto sm = w.begin_message(kMetricSummary, 1);
      const auto dp = w.begin_message(kDataPoints, 1);
      point_times(w, mt);
      w.field_fixed64(kHistogramCount, mt.count());
      w.field_double(kHistogramSum, mt.sum());
      const auto* q = mt.quantiles();
      const auto* qv = mt.quantile_values();
      if (q != nullptr && qv != nullptr) {
        const std::uint32_t n = q->size() < qv->size() ? q->size() : qv->size();
        for (std::uint32_t i = 0; i < n; ++i) {
          w.key(kSummaryQuantileValues, LD::kLengthDelimited);
          w.varint(2 * (1 + 8));
          w.field_double(kQuantile, q->Get(i));
          w.field_double(kQuantileValue, qv->Get(i));
        }
      }
      point_attributes(w, kSummaryAttributes, mt, idempotency_key);
      optional_varint(w, kSummaryFlags, mt.flags());
      w.end_message(dp);
      w.end_message(sm);
      break;
    }
    default: {
      // Gauges, counters, and kinds a later version added (sent as gauges: a value at a time).
      const bool counter = mt.kind() == fb::MetricKind::Counter;
      const auto data = w.begin_message(counter ? kMetricSum : kMetricGauge, 1);
      const auto dp = w.begin_message(kDataPoints, 1);
      point_times(w, mt);
      if (mt.value_is_int()) {
        w.field_fixed64(kNumberAsInt, static_cast<std::uint64_t>(mt.int_value()));  // sfixed64
      } else {
        w.field_double(kNumberAsDouble, mt.value());  // oneof member: present even when 0
      }
      point_attributes(w, kNumberAttributes, mt, idempotency_key);
      optional_varint(w, kNumberFlags, mt.flags());
      w.end_message(dp);
      if (counter) {
        w.field_varint(kTemporality, otlp_temporality(mt.kind(), mt.temporality()));
        if (!mt.not_monotonic()) w.field_varint(kSumIsMonotonic, 1);
      }
      w.end_message(data);
      break;
    }
  }
  w.end_message(m);
}

}  // namespace

OtlpProtobufEncoder::OtlpProtobufEncoder(
    std::span<const std::pair<std::string, std::string>> resource_attributes)
    : configured_(resource_attributes.begin(), resource_attributes.end()) {
  {
    ProtobufWriter w(&resource_);
    for (const auto& [key, value] : resource_attributes) {
      string_attribute(w, kResourceAttributes, key, value);
    }
    w.finish();
  }
  ProtobufWriter w(&scope_);
  w.field_string(kScopeName, kOtlpScopeName);
  w.field_string(kScopeVersion, kOtlpScopeVersion);
  w.finish();
}

OtlpProtobufEncoder::~OtlpProtobufEncoder() = default;

// A request's scope groups after the first are written aside while the records are walked,
// then appended (the first one is written in place: the common request has no other).
struct OtlpProtobufEncoder::Side {
  WireBytes items;                       // the group's spans / log records / metrics
  std::optional<ProtobufWriter> writer;  // over `items` while encoding
};

void OtlpProtobufEncoder::resource_header(ProtobufWriter& w, std::size_t group) const {
  const fb::Resource* r = groups_.resource(group).resource;
  if (r == nullptr) {
    if (!resource_.empty()) w.field_bytes(kResourceItemsResource, resource_.data(), resource_.size());
    return;
  }
  const auto m = w.begin_message(kResourceItemsResource, 2);
  attributes(w, kResourceAttributes, r->attributes());
  // The sink's attributes fill what the record's resource lacks (service.name, a device id),
  // never override what the application said.
  for (const auto& [key, value] : configured_) {
    if (!has_attribute_key(r->attributes(), key)) string_attribute(w, kResourceAttributes, key, value);
  }
  optional_varint(w, kResourceDroppedAttributes, r->dropped_attributes_count());
  w.end_message(m);
  optional_string(w, kSchemaUrl, r->schema_url());
}

void OtlpProtobufEncoder::scope_header(ProtobufWriter& w, std::size_t group) const {
  const fb::Scope* s = groups_.scope(group).scope;
  if (s == nullptr) {
    w.field_bytes(kScopeItemsScope, scope_.data(), scope_.size());
    return;
  }
  const auto m = w.begin_message(kScopeItemsScope, 1);
  optional_string(w, kScopeName, s->name());
  optional_string(w, kScopeVersion, s->version());
  attributes(w, kScopeAttributes, s->attributes());
  optional_varint(w, kScopeDroppedAttributes, s->dropped_attributes_count());
  w.end_message(m);
  optional_string(w, kSchemaUrl, s->schema_url());
}

ProtobufWriter& OtlpProtobufEncoder::side_writer(std::size_t group) {
  while (sides_.size() <= group) sides_.push_back(std::make_unique<Side>());
  Side& side = *sides_[group];
  if (!side.writer) {
    side.items.clear();
    side.writer.emplace(&side.items);
  }
  return *side.writer;
}

void OtlpProtobufEncoder::append_side_scope(ProtobufWriter& w, std::size_t group) {
  Side& side = *sides_[group];
  side.writer->finish();
  side.writer.reset();
  const auto scope_items = w.begin_message(kResourceItemsScopeItems, 3);
  scope_header(w, group);
  w.raw(side.items.data(), side.items.size());
  w.end_message(scope_items);
}

std::size_t OtlpProtobufEncoder::encode(const ForwardBatch& batch, OtlpSignal signal,
                                        std::string* out, std::vector<std::uint64_t>* malformed) {
  const std::size_t count = encode(batch, signal, &copy_, malformed);
  out->assign(copy_.view());
  return count;
}

std::size_t OtlpProtobufEncoder::encode(const ForwardBatch& batch, OtlpSignal signal,
                                        WireBytes* out, std::vector<std::uint64_t>* malformed) {
  out->clear();
  groups_.clear();
  ProtobufWriter w(out);
  ProtobufWriter::Mark resource_items{};
  ProtobufWriter::Mark scope_items{};

  std::size_t count = 0;
  for (const ForwardRecord& r : batch.records) {
    if (otlp_signal_for(r.kind) != signal) continue;
    Status error;
    const std::span<const std::uint8_t> payload = checked_payload(r, scratch_, &error);
    if (!error) {
      if (malformed != nullptr) malformed->push_back(r.offset);
      continue;
    }
    const OtlpOrigin origin = otlp_origin(r.kind, payload);
    const std::uint32_t group =
        groups_.place(origin.resource, origin.scope, scratch_, payload.data() != r.payload.data());
    if (count == 0) {
      // The first record's group (group 0) is written in place. Length hints of 3 bytes:
      // requests of 16 KiB to 2 MiB are written without a move.
      resource_items = w.begin_message(kRequestResourceItems, 3);
      resource_header(w, 0);
      scope_items = w.begin_message(kResourceItemsScopeItems, 3);
      scope_header(w, 0);
    }
    ProtobufWriter& iw = group == 0 ? w : side_writer(group);
    const IdempotencyKeyText key(batch.log_id, r.offset);
    switch (r.kind) {
      case RecordKind::kSpan:
        span(iw, *flatbuffers::GetRoot<fb::Span>(payload.data()), key.view());
        break;
      case RecordKind::kLog:
        log_record(iw, *flatbuffers::GetRoot<fb::LogRecord>(payload.data()), r.timestamp_ns, key.view());
        break;
      case RecordKind::kMetric:
        metric(iw, *flatbuffers::GetRoot<fb::Metric>(payload.data()), key.view());
        break;
      case RecordKind::kRecord: {
        const auto* rec = flatbuffers::GetRoot<fb::Record>(payload.data());
        std::span<const std::uint8_t> data;
        if (rec->data() != nullptr) data = {rec->data()->data(), rec->data()->size()};
        bytes_log_record(iw, data, view(rec->type_tag()), r.timestamp_ns, key.view());
        break;
      }
      default: {
        std::array<char, 32> buf;
        bytes_log_record(iw, payload, raw_record_type(r.kind, buf), r.timestamp_ns, key.view());
        break;
      }
    }
    ++count;
  }
  if (count != 0) {
    w.end_message(scope_items);
    // The other scopes of the first resource, then every other resource with its scopes;
    // both in order of their first record.
    for (std::size_t s = 1; s < groups_.scope_count(); ++s) {
      if (groups_.scope(s).resource == 0) append_side_scope(w, s);
    }
    w.end_message(resource_items);
    for (std::size_t res = 1; res < groups_.resource_count(); ++res) {
      const auto m = w.begin_message(kRequestResourceItems, 3);
      resource_header(w, res);
      for (std::size_t s = 1; s < groups_.scope_count(); ++s) {
        if (groups_.scope(s).resource == res) append_side_scope(w, s);
      }
      w.end_message(m);
    }
  }
  w.finish();
  return count;
}

}  // namespace spool::engine
