// OtlpProtobufEncoder: records -> OTLP/protobuf. Field numbers are those of
// opentelemetry-proto v1 (opentelemetry/proto/{common,resource,trace,logs,metrics}/v1/*.proto
// and collector/*/v1/*_service.proto), cited next to each use.
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"

#include <bit>
#include <cstring>

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

// common.proto: KeyValue { string key = 1; AnyValue value = 2; }
// AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
//            double double_value = 4; ...; bytes bytes_value = 7; } }
// InstrumentationScope { string name = 1; string version = 2; }
// resource.proto: Resource { repeated KeyValue attributes = 1; }
constexpr std::uint32_t kKeyValueKey = 1;
constexpr std::uint32_t kKeyValueValue = 2;
constexpr std::uint32_t kAnyString = 1;
constexpr std::uint32_t kAnyBool = 2;
constexpr std::uint32_t kAnyInt = 3;
constexpr std::uint32_t kAnyDouble = 4;
constexpr std::uint32_t kAnyBytes = 7;
constexpr std::uint32_t kScopeName = 1;
constexpr std::uint32_t kScopeVersion = 2;
constexpr std::uint32_t kResourceAttributes = 1;

// trace.proto: Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4;
//   string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7;
//   fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
//   repeated Event events = 11; Status status = 15; }
// Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
// Status { string message = 2; StatusCode code = 3; }
constexpr std::uint32_t kSpanTraceId = 1;
constexpr std::uint32_t kSpanSpanId = 2;
constexpr std::uint32_t kSpanParentSpanId = 4;
constexpr std::uint32_t kSpanName = 5;
constexpr std::uint32_t kSpanKind = 6;
constexpr std::uint32_t kSpanStart = 7;
constexpr std::uint32_t kSpanEnd = 8;
constexpr std::uint32_t kSpanAttributes = 9;
constexpr std::uint32_t kSpanEvents = 11;
constexpr std::uint32_t kSpanStatus = 15;
constexpr std::uint32_t kEventTime = 1;
constexpr std::uint32_t kEventName = 2;
constexpr std::uint32_t kEventAttributes = 3;
constexpr std::uint32_t kStatusMessage = 2;
constexpr std::uint32_t kStatusCode = 3;

// logs.proto: LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
//   string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
//   bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11; }
constexpr std::uint32_t kLogTime = 1;
constexpr std::uint32_t kLogSeverityNumber = 2;
constexpr std::uint32_t kLogSeverityText = 3;
constexpr std::uint32_t kLogBody = 5;
constexpr std::uint32_t kLogAttributes = 6;
constexpr std::uint32_t kLogTraceId = 9;
constexpr std::uint32_t kLogSpanId = 10;
constexpr std::uint32_t kLogObservedTime = 11;

// metrics.proto: Metric { string name = 1; string unit = 3; oneof data { Gauge gauge = 5;
//   Sum sum = 7; Histogram histogram = 9; } }
// Gauge { repeated NumberDataPoint data_points = 1; }
// Sum { repeated NumberDataPoint data_points = 1; AggregationTemporality
//   aggregation_temporality = 2; bool is_monotonic = 3; }
// Histogram { repeated HistogramDataPoint data_points = 1; aggregation_temporality = 2; }
// NumberDataPoint { fixed64 time_unix_nano = 3; double as_double = 4;
//   repeated KeyValue attributes = 7; }
// HistogramDataPoint { fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
//   repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
//   repeated KeyValue attributes = 9; }
constexpr std::uint32_t kMetricName = 1;
constexpr std::uint32_t kMetricUnit = 3;
constexpr std::uint32_t kMetricGauge = 5;
constexpr std::uint32_t kMetricSum = 7;
constexpr std::uint32_t kMetricHistogram = 9;
constexpr std::uint32_t kDataPoints = 1;
constexpr std::uint32_t kTemporality = 2;
constexpr std::uint32_t kSumIsMonotonic = 3;
constexpr std::uint32_t kNumberTime = 3;
constexpr std::uint32_t kNumberAsDouble = 4;
constexpr std::uint32_t kNumberAttributes = 7;
constexpr std::uint32_t kHistogramTime = 3;
constexpr std::uint32_t kHistogramCount = 4;
constexpr std::uint32_t kHistogramSum = 5;
constexpr std::uint32_t kHistogramBucketCounts = 6;
constexpr std::uint32_t kHistogramExplicitBounds = 7;
constexpr std::uint32_t kHistogramAttributes = 9;

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
void key_value_header(ProtobufWriter& w, std::uint32_t field, std::string_view key,
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

void attributes(ProtobufWriter& w, std::uint32_t field, const fb_attributes* list) {
  if (list == nullptr) return;
  for (const fb::Attribute* a : *list) {
    const std::string_view key = view(a->key());
    switch (a->type()) {
      case fb::AttributeType::String:
        string_attribute(w, field, key, view(a->string_value()));
        break;
      case fb::AttributeType::Int:
        int_attribute(w, field, key, a->int_value());
        break;
      case fb::AttributeType::Double:
        double_attribute(w, field, key, a->double_value());
        break;
      case fb::AttributeType::Bool:
        bool_attribute(w, field, key, a->bool_value());
        break;
      default:
        break;  // a type a later version added: nothing this version can say about it
    }
  }
}

void optional_string_attribute(ProtobufWriter& w, std::uint32_t field, std::string_view key,
                               const flatbuffers::String* value) {
  if (value != nullptr && value->size() != 0) string_attribute(w, field, key, view(value));
}

void span(ProtobufWriter& w, const fb::Span& s, std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 2);  // a standard span is 128 B..16 KiB
  if (s.trace_id() != nullptr) w.field_bytes(kSpanTraceId, s.trace_id()->bytes()->data(), 16);
  if (s.span_id() != nullptr) w.field_bytes(kSpanSpanId, s.span_id()->bytes()->data(), 8);
  if (s.parent_span_id() != nullptr && !all_zero<8>(s.parent_span_id()->bytes()->data())) {
    w.field_bytes(kSpanParentSpanId, s.parent_span_id()->bytes()->data(), 8);
  }
  w.field_string(kSpanName, view(s.name()));
  w.field_varint(kSpanKind, otlp_span_kind(s.type()));
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

  if (s.events() != nullptr) {
    for (const fb::SpanEvent* e : *s.events()) {
      const auto em = w.begin_message(kSpanEvents, 1);
      if (e->time_ns() != 0) w.field_fixed64(kEventTime, static_cast<std::uint64_t>(e->time_ns()));
      w.field_string(kEventName, view(e->name()));
      attributes(w, kEventAttributes, e->attributes());
      w.end_message(em);
    }
  }
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
  w.end_message(m);
}

void log_record(ProtobufWriter& w, const fb::LogRecord& l, std::int64_t observed_ns,
                std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 2);
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
  }
  attributes(w, kLogAttributes, l.attributes());
  string_attribute(w, kLogAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
  if (l.trace_id() != nullptr) w.field_bytes(kLogTraceId, l.trace_id()->bytes()->data(), 16);
  if (l.span_id() != nullptr) w.field_bytes(kLogSpanId, l.span_id()->bytes()->data(), 8);
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

void metric(ProtobufWriter& w, const fb::Metric& mt, std::string_view idempotency_key) {
  const auto m = w.begin_message(kScopeItemsItems, 1);
  w.field_string(kMetricName, view(mt.name()));
  if (mt.unit() != nullptr && mt.unit()->size() != 0) w.field_string(kMetricUnit, view(mt.unit()));
  const auto time = static_cast<std::uint64_t>(mt.time_ns());
  if (mt.kind() == fb::MetricKind::Histogram) {
    const auto h = w.begin_message(kMetricHistogram, 1);
    const auto dp = w.begin_message(kDataPoints, 1);
    if (time != 0) w.field_fixed64(kHistogramTime, time);
    w.field_fixed64(kHistogramCount, mt.count());
    w.field_double(kHistogramSum, mt.sum());  // proto3 optional: present even when 0
    packed_fixed64(w, kHistogramBucketCounts, mt.bucket_counts());
    packed_fixed64(w, kHistogramExplicitBounds, mt.bucket_bounds());
    attributes(w, kHistogramAttributes, mt.attributes());
    string_attribute(w, kHistogramAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
    w.end_message(dp);
    w.field_varint(kTemporality, kHistogramTemporality);
    w.end_message(h);
  } else {
    // Gauges, counters, and kinds a later version added (sent as gauges: a value at a time).
    const bool counter = mt.kind() == fb::MetricKind::Counter;
    const auto data = w.begin_message(counter ? kMetricSum : kMetricGauge, 1);
    const auto dp = w.begin_message(kDataPoints, 1);
    if (time != 0) w.field_fixed64(kNumberTime, time);
    w.field_double(kNumberAsDouble, mt.value());  // oneof member: present even when 0
    attributes(w, kNumberAttributes, mt.attributes());
    string_attribute(w, kNumberAttributes, otlp_keys::kIdempotencyKey, idempotency_key);
    w.end_message(dp);
    if (counter) {
      w.field_varint(kTemporality, kCounterTemporality);
      w.field_varint(kSumIsMonotonic, 1);
    }
    w.end_message(data);
  }
  w.end_message(m);
}

}  // namespace

OtlpProtobufEncoder::OtlpProtobufEncoder(
    std::span<const std::pair<std::string, std::string>> resource_attributes) {
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

std::size_t OtlpProtobufEncoder::encode(const ForwardBatch& batch, OtlpSignal signal,
                                        std::string* out, std::vector<std::uint64_t>* malformed) {
  out->clear();
  ProtobufWriter w(out);
  // Length hints of 3 bytes: requests of 16 KiB to 2 MiB are written without a move.
  const auto resource_items = w.begin_message(kRequestResourceItems, 3);
  if (!resource_.empty()) w.field_bytes(kResourceItemsResource, resource_.data(), resource_.size());
  const auto scope_items = w.begin_message(kResourceItemsScopeItems, 3);
  w.field_bytes(kScopeItemsScope, scope_.data(), scope_.size());

  std::size_t count = 0;
  for (const ForwardRecord& r : batch.records) {
    if (otlp_signal_for(r.kind) != signal) continue;
    Status error;
    const std::span<const std::uint8_t> payload = checked_payload(r, scratch_, &error);
    if (!error) {
      if (malformed != nullptr) malformed->push_back(r.offset);
      continue;
    }
    const IdempotencyKeyText key(batch.log_id, r.offset);
    switch (r.kind) {
      case RecordKind::kSpan:
        span(w, *flatbuffers::GetRoot<fb::Span>(payload.data()), key.view());
        break;
      case RecordKind::kLog:
        log_record(w, *flatbuffers::GetRoot<fb::LogRecord>(payload.data()), r.timestamp_ns, key.view());
        break;
      case RecordKind::kMetric:
        metric(w, *flatbuffers::GetRoot<fb::Metric>(payload.data()), key.view());
        break;
      case RecordKind::kRecord: {
        const auto* rec = flatbuffers::GetRoot<fb::Record>(payload.data());
        std::span<const std::uint8_t> data;
        if (rec->data() != nullptr) data = {rec->data()->data(), rec->data()->size()};
        bytes_log_record(w, data, view(rec->type_tag()), r.timestamp_ns, key.view());
        break;
      }
      default: {
        std::array<char, 32> buf;
        bytes_log_record(w, payload, raw_record_type(r.kind, buf), r.timestamp_ns, key.view());
        break;
      }
    }
    ++count;
  }
  w.end_message(scope_items);
  w.end_message(resource_items);
  w.finish();
  if (count == 0) out->clear();
  return count;
}

}  // namespace spool::engine
