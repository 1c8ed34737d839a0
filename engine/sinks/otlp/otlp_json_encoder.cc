// OtlpJsonEncoder: records -> OTLP/JSON. Field names are the proto3 JSON names
// (lowerCamelCase) of the opentelemetry-proto v1 fields the protobuf encoder writes.
#include "engine/sinks/otlp/otlp_json_encoder.h"

#include <array>
#include <type_traits>

#include "engine/sinks/base64.h"
#include "engine/sinks/json_text.h"
#include "io/hex.h"
#include "spool/records_generated.h"

namespace spool::engine {

namespace {

using fb_attributes = flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>;

std::string_view view(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

void key(std::string& out, std::string_view name) {
  out.push_back('"');
  out.append(name);
  out += "\":";
}

void hex_id(std::string& out, std::string_view name, const std::uint8_t* bytes, std::size_t n) {
  key(out, name);
  char buf[32];
  io::write_hex(bytes, n, buf);
  out.push_back('"');
  out.append(buf, 2 * n);
  out += "\",";
}

// KeyValue {"key":..., "value": AnyValue}; every attribute ends with a comma, which the
// closing of its list removes (see close_list).
void kv_open(std::string& out, std::string_view k) {
  out += "{\"key\":";
  append_json_string(out, k);
  out += ",\"value\":{";
}

void string_attribute(std::string& out, std::string_view k, std::string_view v) {
  kv_open(out, k);
  out += "\"stringValue\":";
  append_json_string(out, v);
  out += "}},";
}

void int_attribute(std::string& out, std::string_view k, std::int64_t v) {
  kv_open(out, k);
  out += "\"intValue\":";
  append_quoted_decimal(out, v);
  out += "}},";
}

void attributes(std::string& out, const fb_attributes* list) {
  if (list == nullptr) return;
  for (const fb::Attribute* a : *list) {
    switch (a->type()) {
      case fb::AttributeType::String:
        string_attribute(out, view(a->key()), view(a->string_value()));
        break;
      case fb::AttributeType::Int:
        int_attribute(out, view(a->key()), a->int_value());
        break;
      case fb::AttributeType::Double:
        kv_open(out, view(a->key()));
        out += "\"doubleValue\":";
        append_json_double(out, a->double_value());
        out += "}},";
        break;
      case fb::AttributeType::Bool:
        kv_open(out, view(a->key()));
        out += a->bool_value() ? "\"boolValue\":true}}," : "\"boolValue\":false}},";
        break;
      default:
        break;  // a type a later version added
    }
  }
}

void optional_string_attribute(std::string& out, std::string_view k, const flatbuffers::String* v) {
  if (v != nullptr && v->size() != 0) string_attribute(out, k, view(v));
}

// Replaces a list's trailing comma (if any) with `close`.
void close_list(std::string& out, char close) {
  if (out.back() == ',') out.back() = close;
  else out.push_back(close);
}

void time_field(std::string& out, std::string_view name, std::int64_t ns) {
  if (ns == 0) return;
  key(out, name);
  append_quoted_decimal(out, static_cast<std::uint64_t>(ns));  // fixed64
  out.push_back(',');
}

void span(std::string& out, const fb::Span& s, std::string_view idempotency_key) {
  out.push_back('{');
  if (s.trace_id() != nullptr) hex_id(out, "traceId", s.trace_id()->bytes()->data(), 16);
  if (s.span_id() != nullptr) hex_id(out, "spanId", s.span_id()->bytes()->data(), 8);
  if (s.parent_span_id() != nullptr) {
    const std::uint8_t* p = s.parent_span_id()->bytes()->data();
    bool zero = true;
    for (int i = 0; i < 8; ++i) zero = zero && p[i] == 0;
    if (!zero) hex_id(out, "parentSpanId", p, 8);
  }
  key(out, "name");
  append_json_string(out, view(s.name()));
  out += ",\"kind\":";
  append_decimal(out, std::uint64_t{otlp_span_kind(s.type())});
  out.push_back(',');
  time_field(out, "startTimeUnixNano", s.start_ns());
  time_field(out, "endTimeUnixNano", s.end_ns());

  out += "\"attributes\":[";
  attributes(out, s.attributes());
  string_attribute(out, otlp_keys::kSpanType, span_type_name(s.type()));
  optional_string_attribute(out, otlp_keys::kComponentType, s.component_type());
  optional_string_attribute(out, otlp_keys::kModel, s.model());
  if (s.input_tokens() != 0) int_attribute(out, otlp_keys::kInputTokens, s.input_tokens());
  if (s.output_tokens() != 0) int_attribute(out, otlp_keys::kOutputTokens, s.output_tokens());
  optional_string_attribute(out, otlp_keys::kInput, s.input());
  optional_string_attribute(out, otlp_keys::kOutput, s.output());
  optional_string_attribute(out, otlp_keys::kToolName, s.tool_name());
  optional_string_attribute(out, otlp_keys::kToolInput, s.tool_input());
  optional_string_attribute(out, otlp_keys::kToolOutput, s.tool_output());
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out.push_back(',');

  if (s.events() != nullptr && s.events()->size() != 0) {
    out += "\"events\":[";
    for (const fb::SpanEvent* e : *s.events()) {
      out.push_back('{');
      time_field(out, "timeUnixNano", e->time_ns());
      key(out, "name");
      append_json_string(out, view(e->name()));
      out += ",\"attributes\":[";
      attributes(out, e->attributes());
      close_list(out, ']');
      out += "},";
    }
    close_list(out, ']');
    out.push_back(',');
  }
  const std::string_view message = view(s.status_message());
  if (s.status() != fb::SpanStatus::Unset || !message.empty()) {
    out += "\"status\":{\"code\":";
    append_decimal(out, static_cast<std::uint64_t>(s.status()));
    if (!message.empty()) {
      out += ",\"message\":";
      append_json_string(out, message);
    }
    out += "},";
  }
  close_list(out, '}');
}

void log_record(std::string& out, const fb::LogRecord& l, std::int64_t observed_ns,
                std::string_view idempotency_key) {
  out.push_back('{');
  time_field(out, "timeUnixNano", l.time_ns());
  time_field(out, "observedTimeUnixNano", observed_ns);
  if (l.severity_number() != 0) {
    out += "\"severityNumber\":";
    append_decimal(out, std::int64_t{l.severity_number()});
    out.push_back(',');
  }
  if (l.severity_text() != nullptr && l.severity_text()->size() != 0) {
    key(out, "severityText");
    append_json_string(out, view(l.severity_text()));
    out.push_back(',');
  }
  if (l.body() != nullptr) {
    out += "\"body\":{\"stringValue\":";
    append_json_string(out, view(l.body()));
    out += "},";
  }
  out += "\"attributes\":[";
  attributes(out, l.attributes());
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out.push_back(',');
  if (l.trace_id() != nullptr) hex_id(out, "traceId", l.trace_id()->bytes()->data(), 16);
  if (l.span_id() != nullptr) hex_id(out, "spanId", l.span_id()->bytes()->data(), 8);
  close_list(out, '}');
}

void bytes_log_record(std::string& out, std::span<const std::uint8_t> bytes, std::string_view type,
                      std::int64_t time_ns, std::string_view idempotency_key) {
  out.push_back('{');
  time_field(out, "timeUnixNano", time_ns);
  time_field(out, "observedTimeUnixNano", time_ns);
  out += "\"body\":{\"bytesValue\":\"";
  append_base64(out, bytes.data(), bytes.size());
  out += "\"},\"attributes\":[";
  string_attribute(out, otlp_keys::kRecordType, type);
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out.push_back('}');
}

template <typename T>
void number_list(std::string& out, std::string_view name, const flatbuffers::Vector<T>* v) {
  if (v == nullptr || v->size() == 0) return;
  key(out, name);
  out.push_back('[');
  for (T x : *v) {
    if constexpr (std::is_same_v<T, double>) append_json_double(out, x);
    else append_quoted_decimal(out, static_cast<std::uint64_t>(x));  // fixed64
    out.push_back(',');
  }
  close_list(out, ']');
  out.push_back(',');
}

void metric(std::string& out, const fb::Metric& mt, std::string_view idempotency_key) {
  out += "{\"name\":";
  append_json_string(out, view(mt.name()));
  out.push_back(',');
  if (mt.unit() != nullptr && mt.unit()->size() != 0) {
    key(out, "unit");
    append_json_string(out, view(mt.unit()));
    out.push_back(',');
  }
  const bool histogram = mt.kind() == fb::MetricKind::Histogram;
  const bool counter = mt.kind() == fb::MetricKind::Counter;
  out += histogram ? "\"histogram\":" : counter ? "\"sum\":" : "\"gauge\":";
  out += "{\"dataPoints\":[{";
  time_field(out, "timeUnixNano", mt.time_ns());
  if (histogram) {
    out += "\"count\":";
    append_quoted_decimal(out, mt.count());
    out += ",\"sum\":";
    append_json_double(out, mt.sum());
    out.push_back(',');
    number_list(out, "bucketCounts", mt.bucket_counts());
    number_list(out, "explicitBounds", mt.bucket_bounds());
  } else {
    out += "\"asDouble\":";
    append_json_double(out, mt.value());
    out.push_back(',');
  }
  out += "\"attributes\":[";
  attributes(out, mt.attributes());
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out += "}]";
  if (histogram) {
    out += ",\"aggregationTemporality\":";
    append_decimal(out, std::uint64_t{kHistogramTemporality});
  } else if (counter) {
    out += ",\"aggregationTemporality\":";
    append_decimal(out, std::uint64_t{kCounterTemporality});
    out += ",\"isMonotonic\":true";
  }
  out += "}}";
}

// {"resourceSpans":[{...,"scopeSpans":[{"scope":{...},"spans":[ — and the closing text.
struct Envelope {
  std::string_view open;
  std::string_view items;
};
Envelope envelope(OtlpSignal signal) {
  switch (signal) {
    case OtlpSignal::kTraces:
      return {"{\"resourceSpans\":[{", ",\"scopeSpans\":[{"};
    case OtlpSignal::kMetrics:
      return {"{\"resourceMetrics\":[{", ",\"scopeMetrics\":[{"};
    case OtlpSignal::kLogs:
      break;
  }
  return {"{\"resourceLogs\":[{", ",\"scopeLogs\":[{"};
}
std::string_view items_name(OtlpSignal signal) {
  switch (signal) {
    case OtlpSignal::kTraces:
      return "spans";
    case OtlpSignal::kMetrics:
      return "metrics";
    case OtlpSignal::kLogs:
      break;
  }
  return "logRecords";
}

}  // namespace

OtlpJsonEncoder::OtlpJsonEncoder(std::span<const std::pair<std::string, std::string>> resource_attributes) {
  resource_ = "\"resource\":{\"attributes\":[";
  for (const auto& [k, v] : resource_attributes) string_attribute(resource_, k, v);
  close_list(resource_, ']');
  resource_.push_back('}');
}

Status OtlpJsonEncoder::append_record(const ForwardRecord& r, std::uint64_t log_id, std::string* out) {
  Status error;
  const std::span<const std::uint8_t> payload = checked_payload(r, scratch_, &error);
  if (!error) return error;
  const IdempotencyKeyText k(log_id, r.offset);
  switch (r.kind) {
    case RecordKind::kSpan:
      span(*out, *flatbuffers::GetRoot<fb::Span>(payload.data()), k.view());
      break;
    case RecordKind::kLog:
      log_record(*out, *flatbuffers::GetRoot<fb::LogRecord>(payload.data()), r.timestamp_ns, k.view());
      break;
    case RecordKind::kMetric:
      metric(*out, *flatbuffers::GetRoot<fb::Metric>(payload.data()), k.view());
      break;
    case RecordKind::kRecord: {
      const auto* rec = flatbuffers::GetRoot<fb::Record>(payload.data());
      std::span<const std::uint8_t> data;
      if (rec->data() != nullptr) data = {rec->data()->data(), rec->data()->size()};
      bytes_log_record(*out, data, view(rec->type_tag()), r.timestamp_ns, k.view());
      break;
    }
    default: {
      std::array<char, 32> buf;
      bytes_log_record(*out, payload, raw_record_type(r.kind, buf), r.timestamp_ns, k.view());
      break;
    }
  }
  return Status::ok();
}

std::size_t OtlpJsonEncoder::encode(const ForwardBatch& batch, OtlpSignal signal, std::string* out,
                                    std::vector<std::uint64_t>* malformed) {
  out->clear();
  const Envelope env = envelope(signal);
  out->append(env.open);
  out->append(resource_);
  out->append(env.items);
  out->append("\"scope\":{\"name\":");
  append_json_string(*out, kOtlpScopeName);
  out->append(",\"version\":");
  append_json_string(*out, kOtlpScopeVersion);
  out->append("},");
  key(*out, items_name(signal));
  out->push_back('[');
  std::size_t count = 0;
  for (const ForwardRecord& r : batch.records) {
    if (otlp_signal_for(r.kind) != signal) continue;
    if (!append_record(r, batch.log_id, out).is_ok()) {
      if (malformed != nullptr) malformed->push_back(r.offset);
      continue;
    }
    out->push_back(',');
    ++count;
  }
  close_list(*out, ']');
  out->append("}]}]}");
  if (count == 0) out->clear();
  return count;
}

}  // namespace spool::engine
