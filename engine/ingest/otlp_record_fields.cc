#include "engine/ingest/otlp_record_fields.h"

#include <cstring>

namespace spool::engine {

void ReceivedId::set_bytes(std::string_view raw) {
  size = raw.size();
  not_hex = false;
  bytes = {};
  if (size <= bytes.size()) std::memcpy(bytes.data(), raw.data(), size);
}

namespace {
int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void ReceivedId::set_hex(std::string_view text) {
  bytes = {};
  size = text.size() / 2;
  not_hex = text.size() % 2 != 0;
  for (std::size_t i = 0; i + 1 < text.size() && !not_hex; i += 2) {
    const int hi = hex_digit(text[i]);
    const int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) {
      not_hex = true;
    } else if (i / 2 < bytes.size()) {
      bytes[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
  }
}

bool ReceivedId::all_zero() const noexcept {
  for (std::size_t i = 0; i < size && i < bytes.size(); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

std::string id_problem(std::string_view name, const ReceivedId& id, std::size_t want, bool empty_ok,
                       bool zero_ok) {
  std::string out(name);
  if (id.not_hex) return out + " is not hex";
  if (id.size == 0 && empty_ok) return {};
  if (id.size != want) return out + " is " + std::to_string(id.size) + " bytes, want " + std::to_string(want);
  if (!zero_ok && id.all_zero()) return out + " is all zero";
  return {};
}

std::string span_problem(const SpanFields& s) {
  std::string why = id_problem("trace_id", s.trace_id, 16, false, false);
  if (why.empty()) why = id_problem("span_id", s.span_id, 8, false, false);
  // An all-zero parent is how some senders say "no parent".
  if (why.empty()) why = id_problem("parent_span_id", s.parent_span_id, 8, true, true);
  return why;
}

std::string link_problem(const LinkFields& l) {
  std::string why = id_problem("link trace_id", l.trace_id, 16, false, true);
  if (why.empty()) why = id_problem("link span_id", l.span_id, 8, false, true);
  return why;
}

std::string log_problem(const LogFields& l) {
  std::string why = id_problem("trace_id", l.trace_id, 16, true, true);
  if (why.empty()) why = id_problem("span_id", l.span_id, 8, true, true);
  return why;
}

Priority span_priority(const SpanFields& s) noexcept {
  return s.status_code == 2 ? Priority::kHigh : Priority::kNormal;  // STATUS_CODE_ERROR
}

Priority log_priority(const LogFields& l) noexcept {
  // SeverityNumber: 17-20 ERROR..ERROR4, 21-24 FATAL..FATAL4.
  if (l.severity_number >= 21) return Priority::kCritical;
  if (l.severity_number >= 17) return Priority::kHigh;
  return Priority::kNormal;
}

flatbuffers::Offset<flatbuffers::String> OtlpTableWriter::string(std::string_view s) {
  if (s.empty()) return 0;
  return fbb_.CreateString(s.data(), s.size());
}

flatbuffers::uoffset_t OtlpTableWriter::attribute(std::string_view key, fb::AttributeType type,
                                                  std::string_view text, std::int64_t i, double d, bool b,
                                                  AttributeList values) {
  const auto k = string(key);
  flatbuffers::Offset<flatbuffers::String> s;
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> bytes;
  if (type == fb::AttributeType::String) s = string(text);
  if (type == fb::AttributeType::Bytes && !text.empty()) {
    bytes = fbb_.CreateVector(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  }
  fb::AttributeBuilder a(fbb_);
  a.add_key(k);
  a.add_type(type);
  if (type == fb::AttributeType::String) a.add_string_value(s);
  if (type == fb::AttributeType::Int) a.add_int_value(i);
  if (type == fb::AttributeType::Double) a.add_double_value(d);
  if (type == fb::AttributeType::Bool) a.add_bool_value(b);
  if (type == fb::AttributeType::Bytes) a.add_bytes_value(bytes);
  a.add_values(values);
  return a.Finish().o;
}

flatbuffers::Offset<fb::Resource> OtlpTableWriter::resource(AttributeList attributes, std::uint32_t dropped,
                                                            std::string_view schema_url) {
  const auto url = string(schema_url);
  fb::ResourceBuilder r(fbb_);
  r.add_attributes(attributes);
  r.add_dropped_attributes_count(dropped);
  r.add_schema_url(url);
  return r.Finish();
}

flatbuffers::Offset<fb::Scope> OtlpTableWriter::scope(std::string_view name, std::string_view version,
                                                      AttributeList attributes, std::uint32_t dropped,
                                                      std::string_view schema_url) {
  const auto n = string(name);
  const auto v = string(version);
  const auto url = string(schema_url);
  fb::ScopeBuilder s(fbb_);
  s.add_name(n);
  s.add_version(v);
  s.add_attributes(attributes);
  s.add_dropped_attributes_count(dropped);
  s.add_schema_url(url);
  return s.Finish();
}

flatbuffers::uoffset_t OtlpTableWriter::event(std::string_view name, std::uint64_t time_ns,
                                              AttributeList attributes, std::uint32_t dropped) {
  const auto n = string(name);
  fb::SpanEventBuilder e(fbb_);
  e.add_name(n);
  e.add_time_ns(static_cast<std::int64_t>(time_ns));
  e.add_attributes(attributes);
  e.add_dropped_attributes_count(dropped);
  return e.Finish().o;
}

flatbuffers::uoffset_t OtlpTableWriter::link(const LinkFields& l, AttributeList attributes) {
  const auto state = string(l.trace_state);
  const fb::TraceId trace_id(flatbuffers::span<const std::uint8_t, 16>(l.trace_id.bytes.data(), 16));
  const fb::SpanId span_id(flatbuffers::span<const std::uint8_t, 8>(l.span_id.bytes.data(), 8));
  fb::SpanLinkBuilder b(fbb_);
  b.add_trace_id(&trace_id);
  b.add_span_id(&span_id);
  b.add_trace_state(state);
  b.add_attributes(attributes);
  b.add_dropped_attributes_count(l.dropped_attributes);
  b.add_flags(l.flags);
  return b.Finish().o;
}

flatbuffers::Offset<fb::Span> OtlpTableWriter::span(
    const SpanFields& s, AttributeList attributes,
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SpanEvent>>> events,
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SpanLink>>> links,
    flatbuffers::Offset<fb::Resource> resource, flatbuffers::Offset<fb::Scope> scope) {
  const auto name = string(s.name);
  const auto message = string(s.status_message);
  const auto state = string(s.trace_state);
  const fb::TraceId trace_id(flatbuffers::span<const std::uint8_t, 16>(s.trace_id.bytes.data(), 16));
  const fb::SpanId span_id(flatbuffers::span<const std::uint8_t, 8>(s.span_id.bytes.data(), 8));
  const fb::SpanId parent(flatbuffers::span<const std::uint8_t, 8>(s.parent_span_id.bytes.data(), 8));
  const auto start = static_cast<std::int64_t>(s.start_ns);
  const auto end = static_cast<std::int64_t>(s.end_ns);
  fb::SpanBuilder b(fbb_);
  b.add_trace_id(&trace_id);
  b.add_span_id(&span_id);
  if (s.parent_span_id.size == 8 && !s.parent_span_id.all_zero()) b.add_parent_span_id(&parent);
  b.add_name(name);
  b.add_start_ns(start);
  b.add_end_ns(end);
  // Wraps like the int64 arithmetic it stands for would, without the undefined behaviour.
  b.add_duration_ns(static_cast<std::int64_t>(s.end_ns - s.start_ns));
  // fb::SpanStatus has OTLP's numbers; a code this version does not know is kept as it is
  // (when it fits the field).
  b.add_status(static_cast<fb::SpanStatus>(s.status_code <= 0xff ? s.status_code : 0));
  b.add_status_message(message);
  b.add_attributes(attributes);
  b.add_events(events);
  b.add_kind(static_cast<std::uint8_t>(s.kind <= 0xff ? s.kind : 0));  // SpanKind is 0-5; nonsense is unset
  b.add_trace_state(state);
  b.add_flags(s.flags);
  b.add_links(links);
  b.add_dropped_attributes_count(s.dropped_attributes);
  b.add_dropped_events_count(s.dropped_events);
  b.add_dropped_links_count(s.dropped_links);
  b.add_resource(resource);
  b.add_scope(scope);
  return b.Finish();
}

flatbuffers::Offset<fb::LogRecord> OtlpTableWriter::log(const LogFields& l, bool has_string_body,
                                                        std::string_view body,
                                                        flatbuffers::Offset<fb::Attribute> body_value,
                                                        AttributeList attributes,
                                                        flatbuffers::Offset<fb::Resource> resource,
                                                        flatbuffers::Offset<fb::Scope> scope) {
  flatbuffers::Offset<flatbuffers::String> text;
  if (has_string_body) text = fbb_.CreateString(body.data(), body.size());  // "" is a body too
  const auto severity_text = string(l.severity_text);
  const auto event_name = string(l.event_name);
  const fb::TraceId trace_id(flatbuffers::span<const std::uint8_t, 16>(l.trace_id.bytes.data(), 16));
  const fb::SpanId span_id(flatbuffers::span<const std::uint8_t, 8>(l.span_id.bytes.data(), 8));
  fb::LogRecordBuilder b(fbb_);
  b.add_time_ns(static_cast<std::int64_t>(l.time_ns));
  b.add_severity_number(l.severity_number);
  b.add_severity_text(severity_text);
  b.add_body(text);
  b.add_attributes(attributes);
  // An invalid (all-zero) id is not written (records.fbs).
  if (l.trace_id.size == 16 && !l.trace_id.all_zero()) b.add_trace_id(&trace_id);
  if (l.span_id.size == 8 && !l.span_id.all_zero()) b.add_span_id(&span_id);
  b.add_observed_time_ns(static_cast<std::int64_t>(l.observed_time_ns));
  b.add_flags(l.flags);
  b.add_dropped_attributes_count(l.dropped_attributes);
  b.add_event_name(event_name);
  b.add_body_value(body_value);
  b.add_resource(resource);
  b.add_scope(scope);
  return b.Finish();
}

flatbuffers::Offset<fb::Metric> OtlpTableWriter::point(const PointFields& p, const PointLists& lists,
                                                       flatbuffers::Offset<fb::Resource> resource,
                                                       flatbuffers::Offset<fb::Scope> scope) {
  const auto name = string(p.name);
  const auto unit = string(p.unit);
  const auto description = string(p.description);
  fb::MetricBuilder b(fbb_);
  b.add_name(name);
  b.add_unit(unit);
  b.add_kind(p.kind);
  b.add_time_ns(static_cast<std::int64_t>(p.time_ns));
  b.add_value(p.value);
  b.add_count(p.count);
  b.add_sum(p.sum);
  b.add_bucket_bounds(lists.bucket_bounds);
  b.add_bucket_counts(lists.bucket_counts);
  b.add_attributes(lists.attributes);
  b.add_description(description);
  b.add_start_time_ns(static_cast<std::int64_t>(p.start_time_ns));
  b.add_temporality(static_cast<std::uint8_t>(p.temporality));
  b.add_not_monotonic(p.kind == fb::MetricKind::Counter && !p.monotonic);
  b.add_value_is_int(p.value_is_int);
  b.add_int_value(p.int_value);
  b.add_flags(p.flags);
  b.add_min(p.min);
  b.add_max(p.max);
  b.add_has_min(p.has_min);
  b.add_has_max(p.has_max);
  b.add_quantiles(lists.quantiles);
  b.add_quantile_values(lists.quantile_values);
  b.add_scale(p.scale);
  b.add_zero_count(p.zero_count);
  b.add_zero_threshold(p.zero_threshold);
  b.add_positive_offset(p.positive_offset);
  b.add_positive_bucket_counts(lists.positive_bucket_counts);
  b.add_negative_offset(p.negative_offset);
  b.add_negative_bucket_counts(lists.negative_bucket_counts);
  b.add_resource(resource);
  b.add_scope(scope);
  return b.Finish();
}

}  // namespace spool::engine
