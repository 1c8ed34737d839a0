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

// Always inlined: called for nearly every member, and a call costs more than its body.
[[gnu::always_inline]] inline void key(std::string& out, std::string_view name) {
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

// Replaces a list's trailing comma (if any) with `close`.
void close_list(std::string& out, char close) {
  if (out.back() == ',') out.back() = close;
  else out.push_back(close);
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

// The members of an AnyValue object holding `a` (nothing for Empty and unknown types).
void any_value_members(std::string& out, const fb::Attribute& a);

void values_list(std::string& out, const fb::Attribute& a) {
  const bool kvlist = a.type() == fb::AttributeType::KvList;
  out += kvlist ? "\"kvlistValue\":{\"values\":[" : "\"arrayValue\":{\"values\":[";
  if (a.values() != nullptr) {
    for (const fb::Attribute* v : *a.values()) {
      if (kvlist) {
        kv_open(out, view(v->key()));
      } else {
        out.push_back('{');
      }
      any_value_members(out, *v);
      out += kvlist ? "}}," : "},";
    }
  }
  close_list(out, ']');
  out.push_back('}');
}

void any_value_members(std::string& out, const fb::Attribute& a) {
  switch (a.type()) {
    case fb::AttributeType::String:
      out += "\"stringValue\":";
      append_json_string(out, view(a.string_value()));
      break;
    case fb::AttributeType::Int:
      out += "\"intValue\":";
      append_quoted_decimal(out, a.int_value());
      break;
    case fb::AttributeType::Double:
      out += "\"doubleValue\":";
      append_json_double(out, a.double_value());
      break;
    case fb::AttributeType::Bool:
      out += a.bool_value() ? "\"boolValue\":true" : "\"boolValue\":false";
      break;
    case fb::AttributeType::Bytes: {
      out += "\"bytesValue\":\"";
      if (a.bytes_value() != nullptr) append_base64(out, a.bytes_value()->data(), a.bytes_value()->size());
      out.push_back('"');
      break;
    }
    case fb::AttributeType::Array:
    case fb::AttributeType::KvList:
      values_list(out, a);
      break;
    default:
      break;  // Empty (and a type a later version added): {}
  }
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
      case fb::AttributeType::Bool:
      case fb::AttributeType::Bytes:
      case fb::AttributeType::Array:
      case fb::AttributeType::KvList:
      case fb::AttributeType::Empty:
        kv_open(out, view(a->key()));
        any_value_members(out, *a);
        out += "}},";
        break;
      default:
        break;  // a type a later version added
    }
  }
}

// Not inlined: most of these fields are unset, and copies of the attribute writer in span()
// only slow it down.
[[gnu::noinline]] void optional_string_attribute(std::string& out, std::string_view k, const flatbuffers::String* v) {
  if (v != nullptr && v->size() != 0) string_attribute(out, k, view(v));
}

void time_field(std::string& out, std::string_view name, std::int64_t ns) {
  if (ns == 0) return;
  key(out, name);
  append_quoted_decimal(out, static_cast<std::uint64_t>(ns));  // fixed64
  out.push_back(',');
}

// proto3 JSON leaves scalars at their default out.
void count_field(std::string& out, std::string_view name, std::uint64_t v) {
  if (v == 0) return;
  key(out, name);
  append_decimal(out, v);
  out.push_back(',');
}

void string_field(std::string& out, std::string_view name, const flatbuffers::String* s) {
  if (s == nullptr || s->size() == 0) return;
  key(out, name);
  append_json_string(out, view(s));
  out.push_back(',');
}

// "attributes":[...], (an empty list left out)
void attributes_field(std::string& out, const fb_attributes* list) {
  if (list == nullptr || list->size() == 0) return;
  out += "\"attributes\":[";
  attributes(out, list);
  close_list(out, ']');
  out.push_back(',');
}

void span(std::string& out, const fb::Span& s, std::string_view idempotency_key) {
  out.push_back('{');
  if (s.trace_id() != nullptr) hex_id(out, "traceId", s.trace_id()->bytes()->data(), 16);
  if (s.span_id() != nullptr) hex_id(out, "spanId", s.span_id()->bytes()->data(), 8);
  string_field(out, "traceState", s.trace_state());
  if (s.parent_span_id() != nullptr) {
    const std::uint8_t* p = s.parent_span_id()->bytes()->data();
    bool zero = true;
    for (int i = 0; i < 8; ++i) zero = zero && p[i] == 0;
    if (!zero) hex_id(out, "parentSpanId", p, 8);
  }
  key(out, "name");
  append_json_string(out, view(s.name()));
  out += ",\"kind\":";
  append_decimal(out, std::uint64_t{otlp_span_kind(s)});
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
  count_field(out, "droppedAttributesCount", s.dropped_attributes_count());

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
      if (e->dropped_attributes_count() != 0) {
        out += ",\"droppedAttributesCount\":";
        append_decimal(out, std::uint64_t{e->dropped_attributes_count()});
      }
      out += "},";
    }
    close_list(out, ']');
    out.push_back(',');
  }
  count_field(out, "droppedEventsCount", s.dropped_events_count());
  if (s.links() != nullptr && s.links()->size() != 0) {
    out += "\"links\":[";
    for (const fb::SpanLink* l : *s.links()) {
      out.push_back('{');
      if (l->trace_id() != nullptr) hex_id(out, "traceId", l->trace_id()->bytes()->data(), 16);
      if (l->span_id() != nullptr) hex_id(out, "spanId", l->span_id()->bytes()->data(), 8);
      string_field(out, "traceState", l->trace_state());
      attributes_field(out, l->attributes());
      count_field(out, "droppedAttributesCount", l->dropped_attributes_count());
      count_field(out, "flags", l->flags());
      close_list(out, '}');
      out.push_back(',');
    }
    close_list(out, ']');
    out.push_back(',');
  }
  count_field(out, "droppedLinksCount", s.dropped_links_count());
  count_field(out, "flags", s.flags());
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

// buffered_ns stands for the observed time when the record has none of its own.
void log_record(std::string& out, const fb::LogRecord& l, std::int64_t buffered_ns,
                std::string_view idempotency_key) {
  const std::int64_t observed_ns = l.observed_time_ns() != 0 ? l.observed_time_ns() : buffered_ns;
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
  } else if (l.body_value() != nullptr) {
    out += "\"body\":{";
    any_value_members(out, *l.body_value());
    out += "},";
  }
  out += "\"attributes\":[";
  attributes(out, l.attributes());
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out.push_back(',');
  count_field(out, "droppedAttributesCount", l.dropped_attributes_count());
  count_field(out, "flags", l.flags());
  if (l.trace_id() != nullptr) hex_id(out, "traceId", l.trace_id()->bytes()->data(), 16);
  if (l.span_id() != nullptr) hex_id(out, "spanId", l.span_id()->bytes()->data(), 8);
  string_field(out, "eventName", l.event_name());
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

void double_field(std::string& out, std::string_view name, double v) {
  key(out, name);
  append_json_double(out, v);
  out.push_back(',');
}

// ExponentialHistogramDataPoint.Buckets: {"offset":n,"bucketCounts":["n",...]}
void buckets(std::string& out, std::string_view name, std::int32_t offset,
             const flatbuffers::Vector<std::uint64_t>* counts) {
  if (offset == 0 && (counts == nullptr || counts->size() == 0)) return;
  key(out, name);
  out.push_back('{');
  if (offset != 0) {
    out += "\"offset\":";
    append_decimal(out, std::int64_t{offset});
    out.push_back(',');
  }
  number_list(out, "bucketCounts", counts);
  close_list(out, '}');
  out.push_back(',');
}

void metric(std::string& out, const fb::Metric& mt, std::string_view idempotency_key) {
  out += "{\"name\":";
  append_json_string(out, view(mt.name()));
  out.push_back(',');
  string_field(out, "description", mt.description());
  string_field(out, "unit", mt.unit());
  const fb::MetricKind kind = mt.kind();
  const bool histogram = kind == fb::MetricKind::Histogram;
  const bool exponential = kind == fb::MetricKind::ExponentialHistogram;
  const bool summary = kind == fb::MetricKind::Summary;
  const bool counter = kind == fb::MetricKind::Counter;
  out += histogram     ? "\"histogram\":"
         : exponential ? "\"exponentialHistogram\":"
         : summary     ? "\"summary\":"
         : counter     ? "\"sum\":"
                       : "\"gauge\":";
  out += "{\"dataPoints\":[{";
  time_field(out, "startTimeUnixNano", mt.start_time_ns());
  time_field(out, "timeUnixNano", mt.time_ns());
  if (histogram || exponential || summary) {
    out += "\"count\":";
    append_quoted_decimal(out, mt.count());
    out += ",\"sum\":";
    append_json_double(out, mt.sum());
    out.push_back(',');
  }
  if (histogram) {
    number_list(out, "bucketCounts", mt.bucket_counts());
    number_list(out, "explicitBounds", mt.bucket_bounds());
  } else if (exponential) {
    if (mt.scale() != 0) {
      out += "\"scale\":";
      append_decimal(out, std::int64_t{mt.scale()});
      out.push_back(',');
    }
    if (mt.zero_count() != 0) {
      out += "\"zeroCount\":";
      append_quoted_decimal(out, mt.zero_count());
      out.push_back(',');
    }
    buckets(out, "positive", mt.positive_offset(), mt.positive_bucket_counts());
    buckets(out, "negative", mt.negative_offset(), mt.negative_bucket_counts());
    if (mt.zero_threshold() != 0) double_field(out, "zeroThreshold", mt.zero_threshold());
  } else if (summary) {
    const auto* q = mt.quantiles();
    const auto* qv = mt.quantile_values();
    if (q != nullptr && qv != nullptr && q->size() != 0 && qv->size() != 0) {
      out += "\"quantileValues\":[";
      const std::uint32_t n = q->size() < qv->size() ? q->size() : qv->size();
      for (std::uint32_t i = 0; i < n; ++i) {
        out += "{\"quantile\":";
        append_json_double(out, q->Get(i));
        out += ",\"value\":";
        append_json_double(out, qv->Get(i));
        out += "},";
      }
      close_list(out, ']');
      out.push_back(',');
    }
  } else if (mt.value_is_int()) {
    out += "\"asInt\":";
    append_quoted_decimal(out, mt.int_value());
    out.push_back(',');
  } else {
    out += "\"asDouble\":";
    append_json_double(out, mt.value());
    out.push_back(',');
  }
  if ((histogram || exponential) && mt.has_min()) double_field(out, "min", mt.min());
  if ((histogram || exponential) && mt.has_max()) double_field(out, "max", mt.max());
  count_field(out, "flags", mt.flags());
  out += "\"attributes\":[";
  attributes(out, mt.attributes());
  string_attribute(out, otlp_keys::kIdempotencyKey, idempotency_key);
  close_list(out, ']');
  out += "}]";
  if (histogram || exponential || counter) {
    out += ",\"aggregationTemporality\":";
    append_decimal(out, std::uint64_t{otlp_temporality(kind, mt.temporality())});
  }
  if (counter && !mt.not_monotonic()) out += ",\"isMonotonic\":true";
  out += "}}";
}

// "resourceSpans", "scopeSpans", "spans" and the other signals' names.
struct Names {
  std::string_view resources;
  std::string_view scopes;
  std::string_view items;
};
Names names(OtlpSignal signal) {
  switch (signal) {
    case OtlpSignal::kTraces:
      return {"resourceSpans", "scopeSpans", "spans"};
    case OtlpSignal::kMetrics:
      return {"resourceMetrics", "scopeMetrics", "metrics"};
    case OtlpSignal::kLogs:
      break;
  }
  return {"resourceLogs", "scopeLogs", "logRecords"};
}

// One record (its payload checked) as the object it is sent as.
void append_item(const ForwardRecord& r, std::span<const std::uint8_t> payload, std::string_view key,
                 std::string* out) {
  switch (r.kind) {
    case RecordKind::kSpan:
      span(*out, *flatbuffers::GetRoot<fb::Span>(payload.data()), key);
      break;
    case RecordKind::kLog:
      log_record(*out, *flatbuffers::GetRoot<fb::LogRecord>(payload.data()), r.timestamp_ns, key);
      break;
    case RecordKind::kMetric:
      metric(*out, *flatbuffers::GetRoot<fb::Metric>(payload.data()), key);
      break;
    case RecordKind::kRecord: {
      const auto* rec = flatbuffers::GetRoot<fb::Record>(payload.data());
      std::span<const std::uint8_t> data;
      if (rec->data() != nullptr) data = {rec->data()->data(), rec->data()->size()};
      bytes_log_record(*out, data, view(rec->type_tag()), r.timestamp_ns, key);
      break;
    }
    default: {
      std::array<char, 32> buf;
      bytes_log_record(*out, payload, raw_record_type(r.kind, buf), r.timestamp_ns, key);
      break;
    }
  }
}

}  // namespace

OtlpJsonEncoder::OtlpJsonEncoder(std::span<const std::pair<std::string, std::string>> resource_attributes)
    : configured_(resource_attributes.begin(), resource_attributes.end()) {
  resource_ = "\"resource\":{\"attributes\":[";
  for (const auto& [k, v] : resource_attributes) string_attribute(resource_, k, v);
  close_list(resource_, ']');
  resource_.push_back('}');
  scope_ = "\"scope\":{\"name\":";
  append_json_string(scope_, kOtlpScopeName);
  scope_ += ",\"version\":";
  append_json_string(scope_, kOtlpScopeVersion);
  scope_.push_back('}');
}

Status OtlpJsonEncoder::append_record(const ForwardRecord& r, std::uint64_t log_id, std::string* out) {
  Status error;
  const std::span<const std::uint8_t> payload = checked_payload(r, scratch_, &error);
  if (!error) return error;
  const IdempotencyKeyText k(log_id, r.offset);
  append_item(r, payload, k.view(), out);
  return Status::ok();
}

// "resource":{...} and, when the resource has one, ,"schemaUrl":"..."
void OtlpJsonEncoder::append_resource(std::string& out, std::size_t group) const {
  const fb::Resource* r = groups_.resource(group).resource;
  if (r == nullptr) {
    out += resource_;
    return;
  }
  out += "\"resource\":{\"attributes\":[";
  attributes(out, r->attributes());
  // The sink's attributes fill what the record's resource lacks, never override it.
  for (const auto& [k, v] : configured_) {
    if (!has_attribute_key(r->attributes(), k)) string_attribute(out, k, v);
  }
  close_list(out, ']');
  if (r->dropped_attributes_count() != 0) {
    out += ",\"droppedAttributesCount\":";
    append_decimal(out, std::uint64_t{r->dropped_attributes_count()});
  }
  out.push_back('}');
  if (r->schema_url() != nullptr && r->schema_url()->size() != 0) {
    out += ",\"schemaUrl\":";
    append_json_string(out, view(r->schema_url()));
  }
}

// "scope":{...}, and "schemaUrl":"...", when the scope has one (ends with a comma).
void OtlpJsonEncoder::append_scope(std::string& out, std::size_t group) const {
  const fb::Scope* s = groups_.scope(group).scope;
  if (s == nullptr) {
    out += scope_;
    out.push_back(',');
    return;
  }
  out += "\"scope\":{";
  string_field(out, "name", s->name());
  string_field(out, "version", s->version());
  attributes_field(out, s->attributes());
  count_field(out, "droppedAttributesCount", s->dropped_attributes_count());
  close_list(out, '}');
  out.push_back(',');
  string_field(out, "schemaUrl", s->schema_url());
}

std::size_t OtlpJsonEncoder::encode(const ForwardBatch& batch, OtlpSignal signal, std::string* out,
                                    std::vector<std::uint64_t>* malformed) {
  out->clear();
  groups_.clear();
  const Names n = names(signal);
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
      // The first record's group (group 0) is written in place; the others aside, then
      // appended (the common request has no other).
      out->append("{\"");
      out->append(n.resources);
      out->append("\":[{");
      append_resource(*out, 0);
      out->append(",\"");
      out->append(n.scopes);
      out->append("\":[{");
      append_scope(*out, 0);
      key(*out, n.items);
      out->push_back('[');
    }
    std::string* items = out;
    if (group != 0) {
      if (sides_.size() <= group) sides_.resize(group + 1);
      items = &sides_[group];
      if (group + 1 > sides_used_) {  // the group's first record in this request
        sides_used_ = group + 1;
        items->clear();
      }
    }
    const IdempotencyKeyText k(batch.log_id, r.offset);
    append_item(r, payload, k.view(), items);
    items->push_back(',');
    ++count;
  }
  if (count == 0) return 0;
  close_list(*out, ']');
  out->push_back('}');
  // The other scopes of the first resource, then every other resource with its scopes; both
  // in order of their first record.
  auto append_scopes_of = [&](std::size_t resource) {
    for (std::size_t s = 1; s < groups_.scope_count(); ++s) {
      if (groups_.scope(s).resource != resource) continue;
      if (out->back() == '}') out->push_back(',');
      out->push_back('{');
      append_scope(*out, s);
      key(*out, n.items);
      out->push_back('[');
      out->append(sides_[s]);
      close_list(*out, ']');
      out->push_back('}');
    }
  };
  append_scopes_of(0);
  out->append("]}");
  for (std::size_t res = 1; res < groups_.resource_count(); ++res) {
    out->append(",{");
    append_resource(*out, res);
    out->append(",\"");
    out->append(n.scopes);
    out->append("\":[");
    append_scopes_of(res);
    out->append("]}");
  }
  out->append("]}");
  sides_used_ = 0;
  return count;
}

}  // namespace spool::engine
