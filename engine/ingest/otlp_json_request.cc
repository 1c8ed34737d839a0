// Field names are the proto3 JSON names of the opentelemetry-proto v1 fields that
// otlp_protobuf_request.cc decodes (its comments give the messages); null means "not set".
#include "engine/ingest/otlp_json_request.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/ingest/otlp_record_fields.h"
#include "engine/sinks/base64.h"

namespace spool::engine {

namespace {

using json = nlohmann::json;
using Off = flatbuffers::uoffset_t;

// A field's proto3 JSON name and its proto name (what some senders write instead).
struct Name {
  std::string_view camel;
  std::string_view snake;
};

// Enum values by name (OTLP/JSON senders must send numbers, but some send names).
struct EnumName {
  std::string_view name;
  std::uint32_t value;
};
constexpr EnumName kSpanKinds[] = {{"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1},
                                   {"SPAN_KIND_SERVER", 2},      {"SPAN_KIND_CLIENT", 3},
                                   {"SPAN_KIND_PRODUCER", 4},    {"SPAN_KIND_CONSUMER", 5}};
constexpr EnumName kStatusCodes[] = {{"STATUS_CODE_UNSET", 0}, {"STATUS_CODE_OK", 1}, {"STATUS_CODE_ERROR", 2}};
constexpr EnumName kTemporalities[] = {{"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
                                       {"AGGREGATION_TEMPORALITY_DELTA", 1},
                                       {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2}};
// SeverityNumber: SEVERITY_NUMBER_UNSPECIFIED 0, then TRACE, TRACE2..4, DEBUG.., INFO..,
// WARN.., ERROR.., FATAL.. (1-24): worked out from the name rather than listed.
std::optional<std::uint32_t> severity_by_name(std::string_view name) {
  constexpr std::string_view kPrefix = "SEVERITY_NUMBER_";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  if (name == "UNSPECIFIED") return 0;
  constexpr std::string_view kLevels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  for (std::uint32_t level = 0; level < 6; ++level) {
    const std::string_view l = kLevels[level];
    if (name.substr(0, l.size()) != l) continue;
    const std::string_view rest = name.substr(l.size());
    if (rest.empty()) return level * 4 + 1;
    if (rest.size() == 1 && rest[0] >= '2' && rest[0] <= '4') return level * 4 + static_cast<std::uint32_t>(rest[0] - '0');
  }
  return std::nullopt;
}

class Decoder {
 public:
  Decoder(OtlpSignal signal, OtlpRecordStore& store) : signal_(signal), store_(store), w_(store.builder()) {}

  bool request(const json& root) {
    if (!root.is_object()) return fail("the request is not a JSON object");
    static constexpr Name kResourceItems[] = {{"resourceSpans", "resource_spans"},
                                              {"resourceLogs", "resource_logs"},
                                              {"resourceMetrics", "resource_metrics"}};
    static constexpr Name kScopeItems[] = {{"scopeSpans", "scope_spans"},
                                           {"scopeLogs", "scope_logs"},
                                           {"scopeMetrics", "scope_metrics"}};
    static constexpr Name kItems[] = {{"spans", "spans"}, {"logRecords", "log_records"}, {"metrics", "metrics"}};
    const auto s = static_cast<std::size_t>(signal_);
    const json* resources = nullptr;
    if (!array(root, kResourceItems[s], resources)) return false;
    if (resources == nullptr) return true;
    for (const json& ri : *resources) {
      if (!object(ri, "resource items")) return false;
      Origin origin;
      const json* scopes = nullptr;
      if (!object_field(ri, {"resource", "resource"}, origin.resource) ||
          !str(ri, {"schemaUrl", "schema_url"}, origin.resource_schema_url) || !array(ri, kScopeItems[s], scopes)) {
        return false;
      }
      if (scopes == nullptr) continue;
      for (const json& si : *scopes) {
        if (!object(si, "scope items")) return false;
        const json* items = nullptr;
        if (!object_field(si, {"scope", "scope"}, origin.scope) ||
            !str(si, {"schemaUrl", "schema_url"}, origin.scope_schema_url) || !array(si, kItems[s], items)) {
          return false;
        }
        if (items == nullptr) continue;
        for (const json& item : *items) {
          bool ok = false;
          switch (signal_) {
            case OtlpSignal::kTraces: ok = span(item, origin); break;
            case OtlpSignal::kLogs: ok = log_record(item, origin); break;
            case OtlpSignal::kMetrics: ok = metric(item, origin); break;
          }
          if (!ok) return false;
        }
      }
    }
    return true;
  }

  const std::string& error() const noexcept { return error_; }

 private:
  struct Origin {
    const json* resource = nullptr;
    std::string_view resource_schema_url;
    const json* scope = nullptr;
    std::string_view scope_schema_url;
  };

  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  template <typename Table>
  bool keep(RecordKind kind, Priority priority, flatbuffers::Offset<Table> root) {
    return store_.keep(kind, priority, root) ||
           fail("its records take more than " + std::to_string(store_.budget()) + " bytes");
  }
  bool wrong(Name n, std::string_view want) {
    return fail(std::string(n.camel) + ": want " + std::string(want));
  }
  bool object(const json& v, std::string_view what) {
    return v.is_object() || fail(std::string(what) + ": want an object");
  }

  // The field's value; nullptr when absent or null.
  static const json* find(const json& obj, Name n) {
    auto it = obj.find(n.camel);
    if (it == obj.end() && n.snake != n.camel) it = obj.find(n.snake);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  bool array(const json& obj, Name n, const json*& out) {
    out = find(obj, n);
    return out == nullptr || out->is_array() || wrong(n, "an array");
  }
  bool object_field(const json& obj, Name n, const json*& out) {
    out = find(obj, n);
    return out == nullptr || out->is_object() || wrong(n, "an object");
  }
  bool str(const json& obj, Name n, std::string_view& out) {
    const json* v = find(obj, n);
    if (v == nullptr) return true;
    if (!v->is_string()) return wrong(n, "a string");
    const auto& s = v->get_ref<const std::string&>();
    out = s;
    return true;
  }
  bool id(const json& obj, Name n, ReceivedId& out) {
    std::string_view hex;
    if (!str(obj, n, hex)) return false;
    out.set_hex(hex);
    if (out.not_hex) {
      // The generic proto3 JSON mapping writes bytes as base64; OTLP/JSON says hex, but a
      // sender using a stock JSON marshaller writes base64 ids, which are unambiguous here.
      if (const std::optional<std::string> raw = base64_decode(hex)) out.set_bytes(*raw);
    }
    return true;
  }

  static bool u64_of(const json& v, std::uint64_t& out) {
    if (v.is_number_unsigned()) {
      out = v.get<std::uint64_t>();
      return true;
    }
    if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      out = static_cast<std::uint64_t>(i);
      return i >= 0;
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d >= 0 && d < 18446744073709551616.0) || d != std::floor(d)) return false;
      out = static_cast<std::uint64_t>(d);
      return true;
    }
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
    }
    return false;
  }
  static bool i64_of(const json& v, std::int64_t& out) {
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      out = v.get<std::int64_t>();
      return true;
    }
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      out = static_cast<std::int64_t>(u);
      return u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::floor(d)) return false;
      out = static_cast<std::int64_t>(d);
      return true;
    }
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
    }
    return false;
  }
  static bool double_of(const json& v, double& out) {
    if (v.is_number()) {
      out = v.get<double>();
      return true;
    }
    if (!v.is_string()) return false;
    const auto& s = v.get_ref<const std::string&>();
    if (s == "NaN") {
      out = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "Infinity") {
      out = std::numeric_limits<double>::infinity();
    } else if (s == "-Infinity") {
      out = -std::numeric_limits<double>::infinity();
    } else {
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
    }
    return true;
  }

  bool u64(const json& obj, Name n, std::uint64_t& out) {
    const json* v = find(obj, n);
    return v == nullptr || u64_of(*v, out) || wrong(n, "an unsigned 64-bit integer");
  }
  bool u32(const json& obj, Name n, std::uint32_t& out) {
    const json* v = find(obj, n);
    if (v == nullptr) return true;
    std::uint64_t u = 0;
    if (!u64_of(*v, u) || u > std::numeric_limits<std::uint32_t>::max()) return wrong(n, "an unsigned 32-bit integer");
    out = static_cast<std::uint32_t>(u);
    return true;
  }
  bool dbl(const json& obj, Name n, double& out, bool* present = nullptr) {
    const json* v = find(obj, n);
    if (v == nullptr) return true;
    if (present != nullptr) *present = true;
    return double_of(*v, out) || wrong(n, "a number");
  }
  template <std::size_t N>
  bool enumeration(const json& obj, Name n, const EnumName (&names)[N], std::uint32_t& out) {
    const json* v = find(obj, n);
    if (v == nullptr) return true;
    if (v->is_string()) {
      const auto& s = v->get_ref<const std::string&>();
      for (const EnumName& e : names) {
        if (e.name == s) {
          out = e.value;
          return true;
        }
      }
    }
    std::int64_t i = 0;
    if (!i64_of(*v, i) || i < std::numeric_limits<std::int32_t>::min() || i > std::numeric_limits<std::int32_t>::max()) {
      return wrong(n, "an enum number or name");
    }
    out = static_cast<std::uint32_t>(i);
    return true;
  }

  // ---- AnyValue ------------------------------------------------------------------------------
  // `v` an AnyValue object (or nullptr: no value). A string (when `string_out`) is handed
  // back instead of written.
  bool any_value(std::string_view key, const json* v, int depth, Off& out, bool* is_string = nullptr,
                 std::string_view* string_out = nullptr) {
    if (v == nullptr) {
      out = w_.attribute(key, fb::AttributeType::Empty, {}, 0, 0, false, 0);
      return true;
    }
    if (!object(*v, "AnyValue")) return false;
    if (const json* s = find(*v, {"stringValue", "string_value"})) {
      if (!s->is_string()) return wrong({"stringValue", ""}, "a string");
      const std::string_view text = s->get_ref<const std::string&>();
      if (is_string != nullptr) {
        *is_string = true;
        *string_out = text;
        return true;
      }
      out = w_.attribute(key, fb::AttributeType::String, text, 0, 0, false, 0);
      return true;
    }
    if (const json* b = find(*v, {"boolValue", "bool_value"})) {
      if (!b->is_boolean()) return wrong({"boolValue", ""}, "a boolean");
      out = w_.attribute(key, fb::AttributeType::Bool, {}, 0, 0, b->get<bool>(), 0);
      return true;
    }
    if (const json* i = find(*v, {"intValue", "int_value"})) {
      std::int64_t n = 0;
      if (!i64_of(*i, n)) return wrong({"intValue", ""}, "a 64-bit integer");
      out = w_.attribute(key, fb::AttributeType::Int, {}, n, 0, false, 0);
      return true;
    }
    if (const json* d = find(*v, {"doubleValue", "double_value"})) {
      double x = 0;
      if (!double_of(*d, x)) return wrong({"doubleValue", ""}, "a number");
      out = w_.attribute(key, fb::AttributeType::Double, {}, 0, x, false, 0);
      return true;
    }
    if (const json* b = find(*v, {"bytesValue", "bytes_value"})) {
      if (!b->is_string()) return wrong({"bytesValue", ""}, "a base64 string");
      const std::optional<std::string> bytes = base64_decode(b->get_ref<const std::string&>());
      if (!bytes) return wrong({"bytesValue", ""}, "base64");
      out = w_.attribute(key, fb::AttributeType::Bytes, *bytes, 0, 0, false, 0);
      return true;
    }
    const json* a = find(*v, {"arrayValue", "array_value"});
    const json* kv = a == nullptr ? find(*v, {"kvlistValue", "kvlist_value"}) : nullptr;
    if (a == nullptr && kv == nullptr) {
      out = w_.attribute(key, fb::AttributeType::Empty, {}, 0, 0, false, 0);
      return true;
    }
    if (depth >= kMaxAnyValueDepth) return fail("AnyValue nested more than 32 deep");
    const json& holder = a != nullptr ? *a : *kv;
    if (!object(holder, a != nullptr ? "arrayValue" : "kvlistValue")) return false;
    const json* values = nullptr;
    if (!array(holder, {"values", "values"}, values)) return false;
    const std::size_t mark = w_.mark();
    if (values != nullptr) {
      for (const json& element : *values) {
        if (a != nullptr) {
          Off off = 0;
          if (!any_value({}, &element, depth + 1, off)) return false;
          w_.push(off);
        } else if (!key_value(element, depth + 1)) {
          return false;
        }
      }
    }
    const AttributeList list = w_.take<fb::Attribute>(mark);
    out = w_.attribute(key, a != nullptr ? fb::AttributeType::Array : fb::AttributeType::KvList, {}, 0, 0, false,
                       list);
    return true;
  }

  // Pushes the attribute.
  bool key_value(const json& kv, int depth) {
    if (!object(kv, "KeyValue")) return false;
    std::string_view key;
    if (!str(kv, {"key", "key"}, key)) return false;
    Off off = 0;
    if (!any_value(key, find(kv, {"value", "value"}), depth, off)) return false;
    w_.push(off);
    return true;
  }

  bool attributes(const json& obj, AttributeList& out) {
    const json* list = nullptr;
    if (!array(obj, {"attributes", "attributes"}, list)) return false;
    const std::size_t mark = w_.mark();
    if (list != nullptr) {
      for (const json& kv : *list)
        if (!key_value(kv, 0)) return false;
    }
    out = w_.take<fb::Attribute>(mark);
    return true;
  }

  // Every received record carries both tables, empty when the sender named none.
  bool origin_tables(const Origin& o, flatbuffers::Offset<fb::Resource>& resource,
                     flatbuffers::Offset<fb::Scope>& scope) {
    static const json kEmpty = json::object();
    const json& r = o.resource != nullptr ? *o.resource : kEmpty;
    AttributeList attrs;
    std::uint32_t dropped = 0;
    if (!attributes(r, attrs) || !u32(r, {"droppedAttributesCount", "dropped_attributes_count"}, dropped)) return false;
    resource = w_.resource(attrs, dropped, o.resource_schema_url);

    const json& s = o.scope != nullptr ? *o.scope : kEmpty;
    std::string_view name;
    std::string_view version;
    AttributeList scope_attrs;
    std::uint32_t scope_dropped = 0;
    if (!str(s, {"name", "name"}, name) || !str(s, {"version", "version"}, version) || !attributes(s, scope_attrs) ||
        !u32(s, {"droppedAttributesCount", "dropped_attributes_count"}, scope_dropped)) {
      return false;
    }
    scope = w_.scope(name, version, scope_attrs, scope_dropped, o.scope_schema_url);
    return true;
  }

  // ---- spans ---------------------------------------------------------------------------------
  bool link_fields(const json& l, LinkFields& out) {
    return object(l, "Span.Link") && id(l, {"traceId", "trace_id"}, out.trace_id) &&
           id(l, {"spanId", "span_id"}, out.span_id) && str(l, {"traceState", "trace_state"}, out.trace_state) &&
           u32(l, {"droppedAttributesCount", "dropped_attributes_count"}, out.dropped_attributes) &&
           u32(l, {"flags", "flags"}, out.flags);
  }

  bool span(const json& sp, const Origin& origin) {
    if (!object(sp, "Span")) return false;
    SpanFields s;
    const json* status = nullptr;
    const json* events = nullptr;
    const json* links = nullptr;
    if (!id(sp, {"traceId", "trace_id"}, s.trace_id) || !id(sp, {"spanId", "span_id"}, s.span_id) ||
        !id(sp, {"parentSpanId", "parent_span_id"}, s.parent_span_id) ||
        !str(sp, {"traceState", "trace_state"}, s.trace_state) || !str(sp, {"name", "name"}, s.name) ||
        !enumeration(sp, {"kind", "kind"}, kSpanKinds, s.kind) ||
        !u64(sp, {"startTimeUnixNano", "start_time_unix_nano"}, s.start_ns) ||
        !u64(sp, {"endTimeUnixNano", "end_time_unix_nano"}, s.end_ns) || !u32(sp, {"flags", "flags"}, s.flags) ||
        !u32(sp, {"droppedAttributesCount", "dropped_attributes_count"}, s.dropped_attributes) ||
        !u32(sp, {"droppedEventsCount", "dropped_events_count"}, s.dropped_events) ||
        !u32(sp, {"droppedLinksCount", "dropped_links_count"}, s.dropped_links) ||
        !object_field(sp, {"status", "status"}, status) || !array(sp, {"events", "events"}, events) ||
        !array(sp, {"links", "links"}, links)) {
      return false;
    }
    if (status != nullptr && (!str(*status, {"message", "message"}, s.status_message) ||
                              !enumeration(*status, {"code", "code"}, kStatusCodes, s.status_code))) {
      return false;
    }
    const std::uint64_t index = items_++;
    std::string why = span_problem(s);
    if (why.empty() && links != nullptr) {
      std::size_t n = 0;
      for (const json& l : *links) {
        LinkFields lf;
        if (!link_fields(l, lf)) return false;
        const std::string problem = link_problem(lf);
        if (!problem.empty()) {
          why = "link " + std::to_string(n) + ": " + problem;
          break;
        }
        ++n;
      }
    }
    if (!why.empty()) {
      store_.reject(kSpanNouns.one, kSpanNouns.many, index, why);
      return true;
    }

    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    AttributeList attrs;
    if (!origin_tables(origin, resource, scope) || !attributes(sp, attrs)) return false;
    std::size_t mark = w_.mark();
    if (events != nullptr) {
      for (const json& e : *events) {
        if (!object(e, "Span.Event")) return false;
        std::uint64_t time = 0;
        std::string_view name;
        std::uint32_t dropped = 0;
        AttributeList event_attrs;
        if (!u64(e, {"timeUnixNano", "time_unix_nano"}, time) || !str(e, {"name", "name"}, name) ||
            !u32(e, {"droppedAttributesCount", "dropped_attributes_count"}, dropped) || !attributes(e, event_attrs)) {
          return false;
        }
        w_.push(w_.event(name, time, event_attrs, dropped));
      }
    }
    const auto event_list = w_.take<fb::SpanEvent>(mark);
    mark = w_.mark();
    if (links != nullptr) {
      for (const json& l : *links) {
        LinkFields lf;
        AttributeList link_attrs;
        if (!link_fields(l, lf) || !attributes(l, link_attrs)) return false;
        w_.push(w_.link(lf, link_attrs));
      }
    }
    const auto link_list = w_.take<fb::SpanLink>(mark);
    return keep(RecordKind::kSpan, span_priority(s), w_.span(s, attrs, event_list, link_list, resource, scope));
  }

  // ---- logs ----------------------------------------------------------------------------------
  bool log_record(const json& lr, const Origin& origin) {
    if (!object(lr, "LogRecord")) return false;
    LogFields l;
    std::uint32_t severity = 0;
    if (!u64(lr, {"timeUnixNano", "time_unix_nano"}, l.time_ns) ||
        !u64(lr, {"observedTimeUnixNano", "observed_time_unix_nano"}, l.observed_time_ns) ||
        !severity_number(lr, severity) || !str(lr, {"severityText", "severity_text"}, l.severity_text) ||
        !u32(lr, {"droppedAttributesCount", "dropped_attributes_count"}, l.dropped_attributes) ||
        !u32(lr, {"flags", "flags"}, l.flags) || !id(lr, {"traceId", "trace_id"}, l.trace_id) ||
        !id(lr, {"spanId", "span_id"}, l.span_id) || !str(lr, {"eventName", "event_name"}, l.event_name)) {
      return false;
    }
    l.severity_number = static_cast<std::int32_t>(severity);
    const std::uint64_t index = items_++;
    const std::string why = log_problem(l);
    if (!why.empty()) {
      store_.reject(kLogNouns.one, kLogNouns.many, index, why);
      return true;
    }
    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    AttributeList attrs;
    if (!origin_tables(origin, resource, scope) || !attributes(lr, attrs)) return false;
    const json* body = find(lr, {"body", "body"});
    bool string_body = false;
    std::string_view body_text;
    Off body_value = 0;
    if (body != nullptr && !any_value({}, body, 0, body_value, &string_body, &body_text)) return false;
    return keep(RecordKind::kLog, log_priority(l),
                w_.log(l, string_body, body_text, flatbuffers::Offset<fb::Attribute>(string_body ? 0 : body_value),
                       attrs, resource, scope));
  }

  bool severity_number(const json& lr, std::uint32_t& out) {
    const json* v = find(lr, {"severityNumber", "severity_number"});
    if (v != nullptr && v->is_string()) {
      if (const auto n = severity_by_name(v->get_ref<const std::string&>())) {
        out = *n;
        return true;
      }
    }
    static constexpr EnumName kNone[] = {{"", 0}};
    return enumeration(lr, {"severityNumber", "severity_number"}, kNone, out);
  }

  // ---- metrics -------------------------------------------------------------------------------
  // Exemplars are not stored: records.fbs has no place for them.
  bool metric(const json& m, const Origin& origin) {
    if (!object(m, "Metric")) return false;
    PointFields p;
    if (!str(m, {"name", "name"}, p.name) || !str(m, {"description", "description"}, p.description) ||
        !str(m, {"unit", "unit"}, p.unit)) {
      return false;
    }
    static constexpr struct {
      Name name;
      fb::MetricKind kind;
    } kKinds[] = {{{"gauge", "gauge"}, fb::MetricKind::Gauge},
                  {{"sum", "sum"}, fb::MetricKind::Counter},
                  {{"histogram", "histogram"}, fb::MetricKind::Histogram},
                  {{"exponentialHistogram", "exponential_histogram"}, fb::MetricKind::ExponentialHistogram},
                  {{"summary", "summary"}, fb::MetricKind::Summary}};
    const json* data = nullptr;
    for (const auto& k : kKinds) {
      if (!object_field(m, k.name, data)) return false;
      if (data != nullptr) {
        p.kind = k.kind;
        break;
      }
    }
    if (data == nullptr) return true;  // no data points: nothing to store
    const json* points = nullptr;
    if (!enumeration(*data, {"aggregationTemporality", "aggregation_temporality"}, kTemporalities, p.temporality) ||
        !array(*data, {"dataPoints", "data_points"}, points)) {
      return false;
    }
    if (p.kind == fb::MetricKind::Counter) {
      const json* mono = find(*data, {"isMonotonic", "is_monotonic"});
      if (mono != nullptr && !mono->is_boolean()) return wrong({"isMonotonic", ""}, "a boolean");
      p.monotonic = mono != nullptr && mono->get<bool>();
    }
    if (points == nullptr) return true;
    for (const json& dp : *points)
      if (!point(dp, p, origin)) return false;
    return true;
  }

  bool counts(const json& obj, Name n, std::vector<std::uint64_t>& out) {
    const json* list = nullptr;
    if (!array(obj, n, list)) return false;
    if (list == nullptr) return true;
    for (const json& v : *list) {
      std::uint64_t u = 0;
      if (!u64_of(v, u)) return wrong(n, "unsigned 64-bit integers");
      out.push_back(u);
    }
    return true;
  }

  bool point(const json& dp, PointFields p, const Origin& origin) {
    if (!object(dp, "data point")) return false;
    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    PointLists lists;
    if (!origin_tables(origin, resource, scope) || !attributes(dp, lists.attributes) ||
        !u64(dp, {"startTimeUnixNano", "start_time_unix_nano"}, p.start_time_ns) ||
        !u64(dp, {"timeUnixNano", "time_unix_nano"}, p.time_ns) || !u32(dp, {"flags", "flags"}, p.flags)) {
      return false;
    }
    auto& fbb = w_.fbb();
    if (p.kind == fb::MetricKind::Gauge || p.kind == fb::MetricKind::Counter) {
      if (const json* i = find(dp, {"asInt", "as_int"})) {
        if (!i64_of(*i, p.int_value)) return wrong({"asInt", ""}, "a 64-bit integer");
        p.value_is_int = true;
      } else if (!dbl(dp, {"asDouble", "as_double"}, p.value)) {
        return false;
      }
    } else {
      if (!u64(dp, {"count", "count"}, p.count) || !dbl(dp, {"sum", "sum"}, p.sum) ||
          !dbl(dp, {"min", "min"}, p.min, &p.has_min) || !dbl(dp, {"max", "max"}, p.max, &p.has_max)) {
        return false;
      }
      std::vector<std::uint64_t> list;
      if (p.kind == fb::MetricKind::Histogram) {
        if (!counts(dp, {"bucketCounts", "bucket_counts"}, list)) return false;
        std::vector<double> bounds;
        const json* b = nullptr;
        if (!array(dp, {"explicitBounds", "explicit_bounds"}, b)) return false;
        if (b != nullptr) {
          for (const json& v : *b) {
            double d = 0;
            if (!double_of(v, d)) return wrong({"explicitBounds", ""}, "numbers");
            bounds.push_back(d);
          }
        }
        if (!list.empty()) lists.bucket_counts = fbb.CreateVector(list);
        if (!bounds.empty()) lists.bucket_bounds = fbb.CreateVector(bounds);
      } else if (p.kind == fb::MetricKind::ExponentialHistogram) {
        std::uint64_t zero = 0;
        std::int64_t scale = 0;
        const json* s = find(dp, {"scale", "scale"});
        if (s != nullptr && (!i64_of(*s, scale) || scale < INT32_MIN || scale > INT32_MAX)) {
          return wrong({"scale", ""}, "a 32-bit integer");
        }
        p.scale = static_cast<std::int32_t>(scale);
        if (!u64(dp, {"zeroCount", "zero_count"}, zero) ||
            !dbl(dp, {"zeroThreshold", "zero_threshold"}, p.zero_threshold) ||
            !buckets(dp, {"positive", "positive"}, p.positive_offset, lists.positive_bucket_counts) ||
            !buckets(dp, {"negative", "negative"}, p.negative_offset, lists.negative_bucket_counts)) {
          return false;
        }
        p.zero_count = zero;
      } else {
        const json* q = nullptr;
        if (!array(dp, {"quantileValues", "quantile_values"}, q)) return false;
        std::vector<double> quantiles;
        std::vector<double> values;
        if (q != nullptr) {
          for (const json& v : *q) {
            double quantile = 0;
            double value = 0;
            if (!object(v, "ValueAtQuantile") || !dbl(v, {"quantile", "quantile"}, quantile) ||
                !dbl(v, {"value", "value"}, value)) {
              return false;
            }
            quantiles.push_back(quantile);
            values.push_back(value);
          }
        }
        if (!quantiles.empty()) {
          lists.quantiles = fbb.CreateVector(quantiles);
          lists.quantile_values = fbb.CreateVector(values);
        }
      }
    }
    return keep(RecordKind::kMetric, Priority::kNormal, w_.point(p, lists, resource, scope));
  }

  bool buckets(const json& dp, Name n, std::int32_t& offset, CountList& out) {
    const json* b = nullptr;
    if (!object_field(dp, n, b)) return false;
    if (b == nullptr) return true;
    std::int64_t off = 0;
    const json* o = find(*b, {"offset", "offset"});
    if (o != nullptr && (!i64_of(*o, off) || off < INT32_MIN || off > INT32_MAX)) {
      return wrong({"offset", ""}, "a 32-bit integer");
    }
    offset = static_cast<std::int32_t>(off);
    std::vector<std::uint64_t> list;
    if (!counts(*b, {"bucketCounts", "bucket_counts"}, list)) return false;
    if (!list.empty()) out = w_.fbb().CreateVector(list);
    return true;
  }

  OtlpSignal signal_;
  OtlpRecordStore& store_;
  OtlpTableWriter w_;
  std::string error_;
  std::uint64_t items_ = 0;
};

}  // namespace

Status decode_otlp_json_request(OtlpSignal signal, std::string_view body, OtlpRecordStore& store) {
  const std::string prefix = "not an OTLP/JSON " + std::string(otlp_signal_name(signal)) + " request: ";
  // No exceptions: a body that is not JSON parses to a "discarded" value.
  const json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::invalid_argument(prefix + "not valid JSON");
  Decoder decoder(signal, store);
  if (decoder.request(root)) return Status::ok();
  return Status::invalid_argument(prefix + decoder.error());
}

}  // namespace spool::engine
