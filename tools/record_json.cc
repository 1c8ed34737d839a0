// record_to_json: verified FlatBuffers payload -> JSON object, field by field.
#include "tools/record_json.h"

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "spool/record_verify.h"
#include "spool/records.h"
#include "spool/records_generated.h"
#include "engine/sinks/base64.h"

namespace spool::tools {

namespace {

using nlohmann::ordered_json;

// Names of enum values as JSON shows them; a value beyond the list (written by a later
// version) is shown as its number.
template <typename Enum, std::size_t N>
ordered_json enum_json(Enum value, const std::array<std::string_view, N>& names) {
  const auto i = static_cast<std::size_t>(value);
  if (i < N) return std::string(names[i]);
  return i;
}

constexpr std::array<std::string_view, 5> kSpanTypeNames = {"span", "generation", "tool",
                                                            "retrieval", "event"};
constexpr std::array<std::string_view, 3> kSpanStatusNames = {"unset", "ok", "error"};
constexpr std::array<std::string_view, 8> kAttributeTypeNames = {"string", "int",   "double", "bool",
                                                                 "bytes",  "array", "kvlist", "empty"};
constexpr std::array<std::string_view, 5> kMetricKindNames = {"gauge", "counter", "histogram", "summary",
                                                              "exponential_histogram"};
// OTLP SpanKind and AggregationTemporality (trace.proto, metrics.proto).
constexpr std::array<std::string_view, 6> kSpanKindNames = {"unspecified", "internal", "server",
                                                            "client",      "producer", "consumer"};
constexpr std::array<std::string_view, 3> kTemporalityNames = {"unspecified", "delta", "cumulative"};

std::string str(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->data(), s->size());
}

ordered_json id_json(const fb::TraceId* id) {
  if (id == nullptr) return nullptr;
  TraceId t;
  std::memcpy(t.bytes.data(), id->bytes()->data(), t.bytes.size());
  return t.hex();
}
ordered_json id_json(const fb::SpanId* id) {
  if (id == nullptr) return nullptr;
  SpanId t;
  std::memcpy(t.bytes.data(), id->bytes()->data(), t.bytes.size());
  return t.hex();
}

std::string base64_of(const flatbuffers::Vector<std::uint8_t>* bytes) {
  return bytes == nullptr ? std::string()
                          : engine::base64_encode(std::span<const std::uint8_t>(bytes->data(), bytes->size()));
}

using fb_attributes = flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>;

ordered_json attributes_json(const fb_attributes* attributes, bool with_keys = true);

// One attribute: {"key", "type", "value"}; bytes as "value_b64", arrays and kvlists as
// "values" (a list of attributes, an array's without keys).
ordered_json attribute_json(const fb::Attribute& a, bool with_key) {
  ordered_json j;
  if (with_key) j["key"] = str(a.key());
  j["type"] = enum_json(a.type(), kAttributeTypeNames);
  switch (a.type()) {
    case fb::AttributeType::String:
      j["value"] = str(a.string_value());
      break;
    case fb::AttributeType::Int:
      j["value"] = a.int_value();
      break;
    case fb::AttributeType::Double:
      j["value"] = a.double_value();
      break;
    case fb::AttributeType::Bool:
      j["value"] = a.bool_value();
      break;
    case fb::AttributeType::Bytes:
      j["value_b64"] = base64_of(a.bytes_value());
      break;
    case fb::AttributeType::Array:
      j["values"] = attributes_json(a.values(), /*with_keys=*/false);
      break;
    case fb::AttributeType::KvList:
      j["values"] = attributes_json(a.values());
      break;
    default:
      j["value"] = nullptr;  // Empty, or a type this version does not know
      break;
  }
  return j;
}

ordered_json attributes_json(const fb_attributes* attributes, bool with_keys) {
  ordered_json out = ordered_json::array();
  if (attributes == nullptr) return out;
  for (const fb::Attribute* a : *attributes) out.push_back(attribute_json(*a, with_keys));
  return out;
}

// The OTLP fields below are shown only when set: records a producer appends have none of
// them, and their dumps stay as they were.
void set_if(ordered_json& j, const char* name, const flatbuffers::String* s) {
  if (s != nullptr && s->size() != 0) j[name] = str(s);
}
template <typename T>
void set_if(ordered_json& j, const char* name, T v) {
  if (v != T{}) j[name] = v;
}
void set_if(ordered_json& j, const char* name, const fb_attributes* list) {
  if (list != nullptr && list->size() != 0) j[name] = attributes_json(list);
}

ordered_json resource_json(const fb::Resource& r) {
  ordered_json j;
  j["attributes"] = attributes_json(r.attributes());
  set_if(j, "dropped_attributes_count", r.dropped_attributes_count());
  set_if(j, "schema_url", r.schema_url());
  return j;
}

ordered_json scope_json(const fb::Scope& s) {
  ordered_json j;
  j["name"] = str(s.name());
  set_if(j, "version", s.version());
  set_if(j, "attributes", s.attributes());
  set_if(j, "dropped_attributes_count", s.dropped_attributes_count());
  set_if(j, "schema_url", s.schema_url());
  return j;
}

void origin_json(ordered_json& j, const fb::Resource* resource, const fb::Scope* scope) {
  if (resource != nullptr) j["resource"] = resource_json(*resource);
  if (scope != nullptr) j["scope"] = scope_json(*scope);
}

template <typename T>
ordered_json scalars_json(const flatbuffers::Vector<T>* v) {
  ordered_json out = ordered_json::array();
  if (v == nullptr) return out;
  for (T x : *v) out.push_back(x);
  return out;
}

template <typename T>
void set_if(ordered_json& j, const char* name, const flatbuffers::Vector<T>* v) {
  if (v != nullptr && v->size() != 0) j[name] = scalars_json(v);
}

ordered_json span_json(const fb::Span& s) {
  ordered_json j;
  j["trace_id"] = id_json(s.trace_id());
  j["span_id"] = id_json(s.span_id());
  j["parent_span_id"] = id_json(s.parent_span_id());
  j["name"] = str(s.name());
  j["type"] = enum_json(s.type(), kSpanTypeNames);
  j["component_type"] = str(s.component_type());
  j["start_ns"] = s.start_ns();
  j["end_ns"] = s.end_ns();
  j["duration_ns"] = s.duration_ns();
  j["status"] = enum_json(s.status(), kSpanStatusNames);
  j["status_message"] = str(s.status_message());
  j["attributes"] = attributes_json(s.attributes());
  j["model"] = str(s.model());
  j["input"] = str(s.input());
  j["output"] = str(s.output());
  j["input_tokens"] = s.input_tokens();
  j["output_tokens"] = s.output_tokens();
  j["tool_name"] = str(s.tool_name());
  j["tool_input"] = str(s.tool_input());
  j["tool_output"] = str(s.tool_output());
  ordered_json events = ordered_json::array();
  if (s.events() != nullptr) {
    for (const fb::SpanEvent* e : *s.events()) {
      ordered_json ej;
      ej["name"] = str(e->name());
      ej["time_ns"] = e->time_ns();
      ej["attributes"] = attributes_json(e->attributes());
      set_if(ej, "dropped_attributes_count", e->dropped_attributes_count());
      events.push_back(std::move(ej));
    }
  }
  j["events"] = std::move(events);
  if (s.kind() != 0) j["kind"] = enum_json(s.kind(), kSpanKindNames);
  set_if(j, "trace_state", s.trace_state());
  set_if(j, "flags", s.flags());
  if (s.links() != nullptr && s.links()->size() != 0) {
    ordered_json links = ordered_json::array();
    for (const fb::SpanLink* l : *s.links()) {
      ordered_json lj;
      lj["trace_id"] = id_json(l->trace_id());
      lj["span_id"] = id_json(l->span_id());
      set_if(lj, "trace_state", l->trace_state());
      lj["attributes"] = attributes_json(l->attributes());
      set_if(lj, "dropped_attributes_count", l->dropped_attributes_count());
      set_if(lj, "flags", l->flags());
      links.push_back(std::move(lj));
    }
    j["links"] = std::move(links);
  }
  set_if(j, "dropped_attributes_count", s.dropped_attributes_count());
  set_if(j, "dropped_events_count", s.dropped_events_count());
  set_if(j, "dropped_links_count", s.dropped_links_count());
  origin_json(j, s.resource(), s.scope());
  return j;
}

ordered_json log_json(const fb::LogRecord& l) {
  ordered_json j;
  j["time_ns"] = l.time_ns();
  j["severity_number"] = l.severity_number();
  j["severity_text"] = str(l.severity_text());
  j["body"] = str(l.body());
  j["attributes"] = attributes_json(l.attributes());
  j["trace_id"] = id_json(l.trace_id());
  j["span_id"] = id_json(l.span_id());
  set_if(j, "observed_time_ns", l.observed_time_ns());
  set_if(j, "flags", l.flags());
  set_if(j, "dropped_attributes_count", l.dropped_attributes_count());
  set_if(j, "event_name", l.event_name());
  if (l.body_value() != nullptr) j["body_value"] = attribute_json(*l.body_value(), /*with_key=*/false);
  origin_json(j, l.resource(), l.scope());
  return j;
}

ordered_json metric_json(const fb::Metric& m) {
  ordered_json j;
  j["name"] = str(m.name());
  j["unit"] = str(m.unit());
  j["kind"] = enum_json(m.kind(), kMetricKindNames);
  j["time_ns"] = m.time_ns();
  j["value"] = m.value();
  j["count"] = m.count();
  j["sum"] = m.sum();
  j["bucket_bounds"] = scalars_json(m.bucket_bounds());
  j["bucket_counts"] = scalars_json(m.bucket_counts());
  j["attributes"] = attributes_json(m.attributes());
  set_if(j, "description", m.description());
  set_if(j, "start_time_ns", m.start_time_ns());
  if (m.temporality() != 0) j["temporality"] = enum_json(m.temporality(), kTemporalityNames);
  set_if(j, "not_monotonic", m.not_monotonic());
  if (m.value_is_int()) {
    j["value_is_int"] = true;
    j["int_value"] = m.int_value();
  }
  set_if(j, "flags", m.flags());
  if (m.has_min()) j["min"] = m.min();
  if (m.has_max()) j["max"] = m.max();
  set_if(j, "quantiles", m.quantiles());
  set_if(j, "quantile_values", m.quantile_values());
  set_if(j, "scale", m.scale());
  set_if(j, "zero_count", m.zero_count());
  set_if(j, "zero_threshold", m.zero_threshold());
  set_if(j, "positive_offset", m.positive_offset());
  set_if(j, "positive_bucket_counts", m.positive_bucket_counts());
  set_if(j, "negative_offset", m.negative_offset());
  set_if(j, "negative_bucket_counts", m.negative_bucket_counts());
  origin_json(j, m.resource(), m.scope());
  return j;
}

ordered_json raw_record_json(const fb::Record& r) {
  ordered_json j;
  j["type_tag"] = str(r.type_tag());
  const auto* data = r.data();
  j["data_b64"] = data == nullptr
                      ? std::string()
                      : engine::base64_encode(std::span<const std::uint8_t>(data->data(), data->size()));
  return j;
}

}  // namespace

Result<nlohmann::ordered_json> record_to_json(std::uint16_t frame_type,
                                              std::span<const std::uint8_t> payload) {
  // Log payloads are 8-byte aligned, but a caller's copy may not be; the verifier rejects
  // (and the accessors must not read) misaligned tables, so decode from an aligned copy.
  std::vector<std::uint64_t> aligned;
  if (!payload.empty() &&
      reinterpret_cast<std::uintptr_t>(payload.data()) % alignof(std::uint64_t) != 0) {
    aligned.resize((payload.size() + 7) / 8);
    std::memcpy(aligned.data(), payload.data(), payload.size());
    payload = {reinterpret_cast<const std::uint8_t*>(aligned.data()), payload.size()};
  }
  const auto kind = static_cast<RecordKind>(frame_type);
  Status s = verify_encoded(kind, payload);
  if (!s) return s;
  const std::uint8_t* p = payload.data();
  switch (kind) {
    case RecordKind::kSpan:
      return span_json(*flatbuffers::GetRoot<fb::Span>(p));
    case RecordKind::kLog:
      return log_json(*flatbuffers::GetRoot<fb::LogRecord>(p));
    case RecordKind::kMetric:
      return metric_json(*flatbuffers::GetRoot<fb::Metric>(p));
    case RecordKind::kRecord:
      return raw_record_json(*flatbuffers::GetRoot<fb::Record>(p));
    default:
      break;
  }
  return Status::invalid_argument("frame type " + std::to_string(frame_type) +
                                  " has no record schema");
}

}  // namespace spool::tools
