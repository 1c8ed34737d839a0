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
constexpr std::array<std::string_view, 4> kAttributeTypeNames = {"string", "int", "double", "bool"};
constexpr std::array<std::string_view, 3> kMetricKindNames = {"gauge", "counter", "histogram"};

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

ordered_json attributes_json(
    const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* attributes) {
  ordered_json out = ordered_json::array();
  if (attributes == nullptr) return out;
  for (const fb::Attribute* a : *attributes) {
    ordered_json j;
    j["key"] = str(a->key());
    j["type"] = enum_json(a->type(), kAttributeTypeNames);
    switch (a->type()) {
      case fb::AttributeType::String:
        j["value"] = str(a->string_value());
        break;
      case fb::AttributeType::Int:
        j["value"] = a->int_value();
        break;
      case fb::AttributeType::Double:
        j["value"] = a->double_value();
        break;
      case fb::AttributeType::Bool:
        j["value"] = a->bool_value();
        break;
      default:
        j["value"] = nullptr;
        break;  // a type this version does not know
    }
    out.push_back(std::move(j));
  }
  return out;
}

template <typename T>
ordered_json scalars_json(const flatbuffers::Vector<T>* v) {
  ordered_json out = ordered_json::array();
  if (v == nullptr) return out;
  for (T x : *v) out.push_back(x);
  return out;
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
      events.push_back(std::move(ej));
    }
  }
  j["events"] = std::move(events);
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
