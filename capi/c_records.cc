#include "capi/c_records.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

namespace spool::capi {
namespace {

std::string_view view(spool_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len); }

// `in` copied over a default-initialized T up to in->struct_size (fields a caller built
// against an older header does not know keep their defaults). InvalidArgument when
// struct_size is not set.
template <typename T, typename Init>
Status sized_copy(const T* in, Init init, T* out, const char* what) {
  if (in == nullptr) return Status::invalid_argument(std::string(what) + " is NULL");
  init(out);
  if (in->struct_size < offsetof(T, struct_size) + sizeof(std::size_t) + 1) {
    return Status::invalid_argument(std::string(what) + ".struct_size is not set (call " + what + "_init first)");
  }
  std::memcpy(static_cast<void*>(out), in, std::min(in->struct_size, sizeof(T)));
  return Status::ok();
}

template <std::size_t N>
void copy_id(const std::uint8_t (&in)[N], std::array<std::uint8_t, N>* out) {
  std::memcpy(out->data(), in, N);
}

// Count and pointer agree (a count with a NULL array is a caller's bug, not an empty list).
Status check_array(const void* p, std::size_t count, const char* what) {
  if (p == nullptr && count != 0) return Status::invalid_argument(std::string(what) + " is NULL with a count of " + std::to_string(count));
  return Status::ok();
}

}  // namespace

Priority priority_of(int p, Status* error) {
  if (p < 0 || p > 3) {
    *error = Status::invalid_argument("priority " + std::to_string(p) + " is not 0 (low) to 3 (critical)");
    return Priority::kNormal;
  }
  return static_cast<Priority>(p);
}

RecordViews& RecordViews::for_this_thread() {
  thread_local RecordViews views;
  return views;
}

std::span<const Attribute> RecordViews::attributes(const spool_attribute* in, std::size_t count, Status* error) {
  const std::size_t start = attributes_.size();
  for (std::size_t i = 0; i < count; ++i) {
    const spool_attribute& a = in[i];
    switch (a.type) {
      case SPOOL_ATTRIBUTE_STRING: attributes_.push_back(Attribute::string(view(a.key), view(a.string_value))); break;
      case SPOOL_ATTRIBUTE_INT: attributes_.push_back(Attribute::integer(view(a.key), a.int_value)); break;
      case SPOOL_ATTRIBUTE_DOUBLE: attributes_.push_back(Attribute::floating(view(a.key), a.double_value)); break;
      case SPOOL_ATTRIBUTE_BOOL: attributes_.push_back(Attribute::boolean(view(a.key), a.bool_value != 0)); break;
      default:
        *error = Status::invalid_argument("attribute '" + std::string(view(a.key)) + "' has type " +
                                          std::to_string(a.type) + " (0 string, 1 int, 2 double, 3 bool)");
        return {};
    }
  }
  return std::span<const Attribute>(attributes_.data() + start, count);
}

Status RecordViews::span(const spool_span* in, Span* out) {
  spool_span s;
  SPOOL_RETURN_IF_ERROR(sized_copy(in, spool_span_init, &s, "spool_span"));
  SPOOL_RETURN_IF_ERROR(check_array(s.attributes, s.attribute_count, "spool_span.attributes"));
  SPOOL_RETURN_IF_ERROR(check_array(s.events, s.event_count, "spool_span.events"));
  if (s.type < 0 || s.type > 4) return Status::invalid_argument("spool_span.type " + std::to_string(s.type) + " is not 0 to 4");
  if (s.status < 0 || s.status > 2) return Status::invalid_argument("spool_span.status " + std::to_string(s.status) + " is not 0 to 2");
  // Every attribute first, so that the spans into attributes_ stay valid (one reservation).
  std::size_t total = s.attribute_count;
  for (std::size_t i = 0; i < s.event_count; ++i) {
    SPOOL_RETURN_IF_ERROR(check_array(s.events[i].attributes, s.events[i].attribute_count, "spool_event.attributes"));
    total += s.events[i].attribute_count;
  }
  attributes_.clear();
  attributes_.reserve(total);
  events_.clear();
  Status error;
  Span& o = *out;
  o = Span{};
  copy_id(s.trace_id, &o.trace_id.bytes);
  copy_id(s.span_id, &o.span_id.bytes);
  copy_id(s.parent_span_id, &o.parent_span_id.bytes);
  o.name = view(s.name);
  o.type = static_cast<SpanType>(s.type);
  o.component_type = view(s.component_type);
  o.start_ns = s.start_ns;
  o.end_ns = s.end_ns;
  o.status = static_cast<SpanStatus>(s.status);
  o.status_message = view(s.status_message);
  o.attributes = attributes(s.attributes, s.attribute_count, &error);
  o.model = view(s.model);
  o.input = view(s.input);
  o.output = view(s.output);
  o.input_tokens = s.input_tokens;
  o.output_tokens = s.output_tokens;
  o.tool_name = view(s.tool_name);
  o.tool_input = view(s.tool_input);
  o.tool_output = view(s.tool_output);
  for (std::size_t i = 0; i < s.event_count; ++i) {
    SpanEvent e;
    e.name = view(s.events[i].name);
    e.time_ns = s.events[i].time_ns;
    e.attributes = attributes(s.events[i].attributes, s.events[i].attribute_count, &error);
    events_.push_back(e);
  }
  o.events = events_;
  o.priority = priority_of(s.priority, &error);
  return error;
}

Status RecordViews::log(const spool_log* in, LogRecord* out) {
  spool_log l;
  SPOOL_RETURN_IF_ERROR(sized_copy(in, spool_log_init, &l, "spool_log"));
  SPOOL_RETURN_IF_ERROR(check_array(l.attributes, l.attribute_count, "spool_log.attributes"));
  attributes_.clear();
  attributes_.reserve(l.attribute_count);
  Status error;
  LogRecord& o = *out;
  o = LogRecord{};
  o.time_ns = l.time_ns;
  o.severity_number = l.severity_number;
  o.severity_text = view(l.severity_text);
  o.body = view(l.body);
  o.attributes = attributes(l.attributes, l.attribute_count, &error);
  copy_id(l.trace_id, &o.trace_id.bytes);
  copy_id(l.span_id, &o.span_id.bytes);
  o.priority = priority_of(l.priority, &error);
  return error;
}

Status RecordViews::metric(const spool_metric* in, Metric* out) {
  spool_metric m;
  SPOOL_RETURN_IF_ERROR(sized_copy(in, spool_metric_init, &m, "spool_metric"));
  SPOOL_RETURN_IF_ERROR(check_array(m.attributes, m.attribute_count, "spool_metric.attributes"));
  SPOOL_RETURN_IF_ERROR(check_array(m.bucket_bounds, m.bucket_bound_count, "spool_metric.bucket_bounds"));
  SPOOL_RETURN_IF_ERROR(check_array(m.bucket_counts, m.bucket_count_count, "spool_metric.bucket_counts"));
  if (m.kind < 0 || m.kind > 2) return Status::invalid_argument("spool_metric.kind " + std::to_string(m.kind) + " is not 0 to 2");
  if (m.bucket_count_count != 0 && m.bucket_count_count != m.bucket_bound_count + 1) {
    return Status::invalid_argument("spool_metric: " + std::to_string(m.bucket_count_count) + " bucket counts for " +
                                    std::to_string(m.bucket_bound_count) + " bounds (want bounds + 1)");
  }
  attributes_.clear();
  attributes_.reserve(m.attribute_count);
  Status error;
  Metric& o = *out;
  o = Metric{};
  o.name = view(m.name);
  o.unit = view(m.unit);
  o.kind = static_cast<MetricKind>(m.kind);
  o.time_ns = m.time_ns;
  o.value = m.value;
  o.count = m.count;
  o.sum = m.sum;
  o.bucket_bounds = std::span<const double>(m.bucket_bounds, m.bucket_bound_count);
  o.bucket_counts = std::span<const std::uint64_t>(m.bucket_counts, m.bucket_count_count);
  o.attributes = attributes(m.attributes, m.attribute_count, &error);
  o.priority = priority_of(m.priority, &error);
  return error;
}

}  // namespace spool::capi
