// Field numbers are those of opentelemetry-proto v1, cited next to each message's decoder
// (opentelemetry/proto/{common,resource,trace,logs,metrics}/v1/*.proto and
// collector/*/v1/*_service.proto). Fields this decoder does not know are skipped by wire type.
//
// A message holding more than one repeated field (a Span's attributes, events and links) is
// walked once per such field: the children of one field are built one after another into the
// builder, so that each field's offsets end up in one vector (OtlpTableWriter's stack).
#include "engine/ingest/otlp_protobuf_request.h"

#include <bit>
#include <string>
#include <vector>

#include "engine/ingest/otlp_record_fields.h"
#include "engine/ingest/protobuf_reader.h"

namespace spool::engine {

namespace {

using Off = flatbuffers::uoffset_t;

// Export*ServiceRequest { repeated Resource* resource_* = 1; }
// Resource* { Resource resource = 1; repeated Scope* scope_* = 2; string schema_url = 3; }
// Scope*    { InstrumentationScope scope = 1; repeated <item> <items> = 2; string schema_url = 3; }
constexpr std::uint32_t kRequestResourceItems = 1;
constexpr std::uint32_t kEnvelopeHead = 1;  // resource / scope
constexpr std::uint32_t kEnvelopeItems = 2;
constexpr std::uint32_t kEnvelopeSchemaUrl = 3;

// What every record of one Scope* message carries.
struct Origin {
  std::string_view resource;
  std::string_view resource_schema_url;
  std::string_view scope;
  std::string_view scope_schema_url;
};

// An AnyValue's content before it is written (a string log body is not an Attribute).
struct ParsedAny {
  fb::AttributeType type = fb::AttributeType::Empty;
  std::string_view text;  // string or bytes
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string_view children;  // ArrayValue / KeyValueList message
};

std::int32_t zigzag32(std::uint64_t n) noexcept {
  const auto u = static_cast<std::uint32_t>(n);
  return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

class Decoder {
 public:
  Decoder(OtlpSignal signal, OtlpRecordStore& store)
      : signal_(signal), store_(store), w_(store.builder()) {}

  bool request(std::string_view body) {
    ProtobufReader r(body);
    while (r.next()) {
      if (r.field() != kRequestResourceItems) continue;
      if (!expect(r, WireType::kLengthDelimited, "request", "resource items") || !resource_items(r.bytes())) {
        return false;
      }
    }
    return done(r, "request");
  }

  const std::string& error() const noexcept { return error_; }

 private:
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  template <typename Table>
  bool keep(RecordKind kind, Priority priority, flatbuffers::Offset<Table> root) {
    return store_.keep(kind, priority, root) ||
           fail("its records take more than " + std::to_string(store_.budget()) + " bytes");
  }
  bool expect(const ProtobufReader& r, WireType want, std::string_view message, std::string_view field) {
    if (r.wire() == want) return true;
    return fail(std::string(message) + "." + std::string(field) + ": wrong wire type " +
                std::to_string(static_cast<std::uint32_t>(r.wire())));
  }
  // After a walk: false (and the reader's complaint) when the message was malformed.
  bool done(const ProtobufReader& r, std::string_view message) {
    if (r.error() == nullptr) return error_.empty();
    return fail(std::string(message) + ": " + r.error());
  }

  bool u32(const ProtobufReader& r, std::string_view message, std::string_view field, std::uint32_t& out) {
    if (!expect(r, WireType::kVarint, message, field)) return false;
    out = static_cast<std::uint32_t>(r.number());
    return true;
  }
  bool fixed32(const ProtobufReader& r, std::string_view message, std::string_view field, std::uint32_t& out) {
    if (!expect(r, WireType::kFixed32, message, field)) return false;
    out = static_cast<std::uint32_t>(r.number());
    return true;
  }
  bool fixed64(const ProtobufReader& r, std::string_view message, std::string_view field, std::uint64_t& out) {
    if (!expect(r, WireType::kFixed64, message, field)) return false;
    out = r.number();
    return true;
  }
  bool dbl(const ProtobufReader& r, std::string_view message, std::string_view field, double& out) {
    if (!expect(r, WireType::kFixed64, message, field)) return false;
    out = r.as_double();
    return true;
  }
  bool text(const ProtobufReader& r, std::string_view message, std::string_view field, std::string_view& out) {
    if (!expect(r, WireType::kLengthDelimited, message, field)) return false;
    out = r.bytes();
    return true;
  }
  bool id(const ProtobufReader& r, std::string_view message, std::string_view field, ReceivedId& out) {
    if (!expect(r, WireType::kLengthDelimited, message, field)) return false;
    out.set_bytes(r.bytes());
    return true;
  }
  // repeated fixed64 / double: packed (one length-delimited run) or not (one field each).
  bool repeated_fixed64(const ProtobufReader& r, std::string_view message, std::string_view field,
                        std::vector<std::uint64_t>& out) {
    if (r.wire() == WireType::kFixed64) {
      out.push_back(r.number());
      return true;
    }
    if (!expect(r, WireType::kLengthDelimited, message, field)) return false;
    const std::string_view run = r.bytes();
    if (run.size() % 8 != 0) return fail(std::string(message) + "." + std::string(field) + ": packed length not a multiple of 8");
    for (std::size_t i = 0; i < run.size(); i += 8) out.push_back(ProtobufReader::load_fixed64(run.data() + i));
    return true;
  }
  bool repeated_double(const ProtobufReader& r, std::string_view message, std::string_view field,
                       std::vector<double>& out) {
    const std::size_t before = bits_.size();
    if (!repeated_fixed64(r, message, field, bits_)) return false;
    for (std::size_t i = before; i < bits_.size(); ++i) out.push_back(std::bit_cast<double>(bits_[i]));
    bits_.resize(before);
    return true;
  }
  // repeated uint64 (varints): packed or not.
  bool repeated_varint(const ProtobufReader& r, std::string_view message, std::string_view field,
                       std::vector<std::uint64_t>& out) {
    if (r.wire() == WireType::kVarint) {
      out.push_back(r.number());
      return true;
    }
    if (!expect(r, WireType::kLengthDelimited, message, field)) return false;
    std::string_view run = r.bytes();
    while (!run.empty()) {
      std::uint64_t v = 0;
      if (!ProtobufReader::take_varint(run, v)) {
        return fail(std::string(message) + "." + std::string(field) + ": truncated packed varint");
      }
      out.push_back(v);
    }
    return true;
  }

  // ---- common.proto ------------------------------------------------------------------------
  // AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
  //   double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6;
  //   bytes bytes_value = 7; } }   ArrayValue { repeated AnyValue values = 1; }
  // KeyValueList { repeated KeyValue values = 1; }   KeyValue { string key = 1; AnyValue value = 2; }
  bool parse_any(std::string_view msg, ParsedAny& out) {
    ProtobufReader r(msg);
    while (r.next()) {
      switch (r.field()) {
        case 1:
          if (!text(r, "AnyValue", "string_value", out.text)) return false;
          out.type = fb::AttributeType::String;
          break;
        case 2:
          if (!expect(r, WireType::kVarint, "AnyValue", "bool_value")) return false;
          out.type = fb::AttributeType::Bool;
          out.b = r.number() != 0;
          break;
        case 3:
          if (!expect(r, WireType::kVarint, "AnyValue", "int_value")) return false;
          out.type = fb::AttributeType::Int;
          out.i = static_cast<std::int64_t>(r.number());
          break;
        case 4:
          if (!dbl(r, "AnyValue", "double_value", out.d)) return false;
          out.type = fb::AttributeType::Double;
          break;
        case 5:
          if (!text(r, "AnyValue", "array_value", out.children)) return false;
          out.type = fb::AttributeType::Array;
          break;
        case 6:
          if (!text(r, "AnyValue", "kvlist_value", out.children)) return false;
          out.type = fb::AttributeType::KvList;
          break;
        case 7:
          if (!text(r, "AnyValue", "bytes_value", out.text)) return false;
          out.type = fb::AttributeType::Bytes;
          break;
        default:
          break;
      }
    }
    return done(r, "AnyValue");
  }

  bool build_any(std::string_view key, const ParsedAny& v, int depth, Off& out) {
    AttributeList values;
    if (v.type == fb::AttributeType::Array || v.type == fb::AttributeType::KvList) {
      if (depth >= kMaxAnyValueDepth) return fail("AnyValue nested more than 32 deep");
      const bool array = v.type == fb::AttributeType::Array;
      const std::size_t mark = w_.mark();
      ProtobufReader r(v.children);
      while (r.next()) {
        if (r.field() != 1) continue;
        if (!expect(r, WireType::kLengthDelimited, array ? "ArrayValue" : "KeyValueList", "values")) return false;
        if (array) {
          ParsedAny element;
          Off off = 0;
          if (!parse_any(r.bytes(), element) || !build_any({}, element, depth + 1, off)) return false;
          w_.push(off);
        } else if (!key_value(r.bytes(), depth + 1)) {
          return false;
        }
      }
      if (!done(r, array ? "ArrayValue" : "KeyValueList")) return false;
      values = w_.take<fb::Attribute>(mark);
    }
    out = w_.attribute(key, v.type, v.text, v.i, v.d, v.b, values);
    return true;
  }

  // Pushes the attribute.
  bool key_value(std::string_view msg, int depth) {
    std::string_view key;
    std::string_view value;
    bool has_value = false;
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == 1) {
        if (!text(r, "KeyValue", "key", key)) return false;
      } else if (r.field() == 2) {
        if (!text(r, "KeyValue", "value", value)) return false;
        has_value = true;
      }
    }
    if (!done(r, "KeyValue")) return false;
    ParsedAny v;
    if (has_value && !parse_any(value, v)) return false;
    Off off = 0;
    if (!build_any(key, v, depth, off)) return false;
    w_.push(off);
    return true;
  }

  // The attributes (repeated KeyValue `field`) of `msg` as one vector.
  bool attributes(std::string_view msg, std::uint32_t field, std::string_view message, AttributeList& out) {
    const std::size_t mark = w_.mark();
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() != field) continue;
      if (!expect(r, WireType::kLengthDelimited, message, "attributes") || !key_value(r.bytes(), 0)) return false;
    }
    if (!done(r, message)) return false;
    out = w_.take<fb::Attribute>(mark);
    return true;
  }

  // resource.proto: Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
  // common.proto: InstrumentationScope { string name = 1; string version = 2;
  //   repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
  // Every received record carries both tables, empty when the sender named none: that is
  // how the forwarder tells it from a record a producer appended.
  bool origin_tables(const Origin& o, flatbuffers::Offset<fb::Resource>& resource,
                     flatbuffers::Offset<fb::Scope>& scope) {
    AttributeList attrs;
    std::uint32_t dropped = 0;
    if (!attributes(o.resource, 1, "Resource", attrs)) return false;
    ProtobufReader r(o.resource);
    while (r.next()) {
      if (r.field() == 2 && !u32(r, "Resource", "dropped_attributes_count", dropped)) return false;
    }
    if (!done(r, "Resource")) return false;
    resource = w_.resource(attrs, dropped, o.resource_schema_url);

    std::string_view name;
    std::string_view version;
    std::uint32_t scope_dropped = 0;
    AttributeList scope_attrs;
    if (!attributes(o.scope, 3, "InstrumentationScope", scope_attrs)) return false;
    ProtobufReader s(o.scope);
    while (s.next()) {
      bool ok = true;
      if (s.field() == 1) ok = text(s, "InstrumentationScope", "name", name);
      if (s.field() == 2) ok = text(s, "InstrumentationScope", "version", version);
      if (s.field() == 4) ok = u32(s, "InstrumentationScope", "dropped_attributes_count", scope_dropped);
      if (!ok) return false;
    }
    if (!done(s, "InstrumentationScope")) return false;
    scope = w_.scope(name, version, scope_attrs, scope_dropped, o.scope_schema_url);
    return true;
  }

  // ---- envelopes -----------------------------------------------------------------------------
  bool resource_items(std::string_view msg) {
    Origin origin;
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == kEnvelopeHead && !text(r, "Resource*", "resource", origin.resource)) return false;
      if (r.field() == kEnvelopeSchemaUrl && !text(r, "Resource*", "schema_url", origin.resource_schema_url)) {
        return false;
      }
    }
    if (!done(r, "Resource*")) return false;
    ProtobufReader items(msg);
    while (items.next()) {
      if (items.field() != kEnvelopeItems) continue;
      if (!expect(items, WireType::kLengthDelimited, "Resource*", "scope items") ||
          !scope_items(items.bytes(), origin)) {
        return false;
      }
    }
    return done(items, "Resource*");
  }

  bool scope_items(std::string_view msg, Origin origin) {
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == kEnvelopeHead && !text(r, "Scope*", "scope", origin.scope)) return false;
      if (r.field() == kEnvelopeSchemaUrl && !text(r, "Scope*", "schema_url", origin.scope_schema_url)) return false;
    }
    if (!done(r, "Scope*")) return false;
    ProtobufReader items(msg);
    while (items.next()) {
      if (items.field() != kEnvelopeItems) continue;
      if (!expect(items, WireType::kLengthDelimited, "Scope*", "items")) return false;
      bool ok = false;
      switch (signal_) {
        case OtlpSignal::kTraces:
          ok = span(items.bytes(), origin);
          break;
        case OtlpSignal::kLogs:
          ok = log_record(items.bytes(), origin);
          break;
        case OtlpSignal::kMetrics:
          ok = metric(items.bytes(), origin);
          break;
      }
      if (!ok) return false;
    }
    return done(items, "Scope*");
  }

  // ---- trace.proto ---------------------------------------------------------------------------
  // Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  //   fixed32 flags = 16; string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7;
  //   fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  //   uint32 dropped_attributes_count = 10; repeated Event events = 11;
  //   uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14;
  //   Status status = 15; }
  // Status { string message = 2; StatusCode code = 3; }
  bool span(std::string_view msg, const Origin& origin) {
    SpanFields s;
    ProtobufReader r(msg);
    while (r.next()) {
      bool ok = true;
      switch (r.field()) {
        case 1: ok = id(r, "Span", "trace_id", s.trace_id); break;
        case 2: ok = id(r, "Span", "span_id", s.span_id); break;
        case 3: ok = text(r, "Span", "trace_state", s.trace_state); break;
        case 4: ok = id(r, "Span", "parent_span_id", s.parent_span_id); break;
        case 5: ok = text(r, "Span", "name", s.name); break;
        case 6: ok = u32(r, "Span", "kind", s.kind); break;
        case 7: ok = fixed64(r, "Span", "start_time_unix_nano", s.start_ns); break;
        case 8: ok = fixed64(r, "Span", "end_time_unix_nano", s.end_ns); break;
        case 9: ok = expect(r, WireType::kLengthDelimited, "Span", "attributes"); break;
        case 10: ok = u32(r, "Span", "dropped_attributes_count", s.dropped_attributes); break;
        case 11: ok = expect(r, WireType::kLengthDelimited, "Span", "events"); break;
        case 12: ok = u32(r, "Span", "dropped_events_count", s.dropped_events); break;
        case 13: ok = expect(r, WireType::kLengthDelimited, "Span", "links"); break;
        case 14: ok = u32(r, "Span", "dropped_links_count", s.dropped_links); break;
        case 15: ok = expect(r, WireType::kLengthDelimited, "Span", "status") && status(r.bytes(), s); break;
        case 16: ok = fixed32(r, "Span", "flags", s.flags); break;
        default: break;
      }
      if (!ok) return false;
    }
    if (!done(r, "Span")) return false;

    const std::uint64_t index = items_++;
    std::string why = span_problem(s);
    if (why.empty() && !links_problem(msg, why)) return false;
    if (!why.empty()) {
      store_.reject(kSpanNouns.one, kSpanNouns.many, index, why);
      return true;
    }

    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    AttributeList attrs;
    if (!origin_tables(origin, resource, scope) || !attributes(msg, 9, "Span", attrs)) return false;

    std::size_t mark = w_.mark();
    ProtobufReader events(msg);
    while (events.next()) {
      if (events.field() == 11 && !event(events.bytes())) return false;
    }
    if (!done(events, "Span")) return false;
    const auto event_list = w_.take<fb::SpanEvent>(mark);

    mark = w_.mark();
    ProtobufReader links(msg);
    while (links.next()) {
      if (links.field() == 13 && !link(links.bytes(), true)) return false;
    }
    if (!done(links, "Span")) return false;
    const auto link_list = w_.take<fb::SpanLink>(mark);

    return keep(RecordKind::kSpan, span_priority(s), w_.span(s, attrs, event_list, link_list, resource, scope));
  }

  bool status(std::string_view msg, SpanFields& s) {
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == 2 && !text(r, "Status", "message", s.status_message)) return false;
      if (r.field() == 3 && !u32(r, "Status", "code", s.status_code)) return false;
    }
    return done(r, "Status");
  }

  // Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3;
  //   uint32 dropped_attributes_count = 4; }   Pushes the event.
  bool event(std::string_view msg) {
    std::uint64_t time = 0;
    std::string_view name;
    std::uint32_t dropped = 0;
    const std::size_t mark = w_.mark();
    ProtobufReader r(msg);
    while (r.next()) {
      bool ok = true;
      switch (r.field()) {
        case 1: ok = fixed64(r, "Span.Event", "time_unix_nano", time); break;
        case 2: ok = text(r, "Span.Event", "name", name); break;
        case 3: ok = expect(r, WireType::kLengthDelimited, "Span.Event", "attributes") && key_value(r.bytes(), 0); break;
        case 4: ok = u32(r, "Span.Event", "dropped_attributes_count", dropped); break;
        default: break;
      }
      if (!ok) return false;
    }
    if (!done(r, "Span.Event")) return false;
    const AttributeList attrs = w_.take<fb::Attribute>(mark);
    w_.push(w_.event(name, time, attrs, dropped));
    return true;
  }

  // Span.Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
  //   repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
  // With `build`, pushes the link; without, only reads it (into last_link_).
  bool link(std::string_view msg, bool build) {
    LinkFields& l = last_link_;
    l = LinkFields{};
    const std::size_t mark = w_.mark();
    ProtobufReader r(msg);
    while (r.next()) {
      bool ok = true;
      switch (r.field()) {
        case 1: ok = id(r, "Span.Link", "trace_id", l.trace_id); break;
        case 2: ok = id(r, "Span.Link", "span_id", l.span_id); break;
        case 3: ok = text(r, "Span.Link", "trace_state", l.trace_state); break;
        case 4:
          ok = expect(r, WireType::kLengthDelimited, "Span.Link", "attributes") && (!build || key_value(r.bytes(), 0));
          break;
        case 5: ok = u32(r, "Span.Link", "dropped_attributes_count", l.dropped_attributes); break;
        case 6: ok = fixed32(r, "Span.Link", "flags", l.flags); break;
        default: break;
      }
      if (!ok) return false;
    }
    if (!done(r, "Span.Link")) return false;
    if (build) {
      const AttributeList attrs = w_.take<fb::Attribute>(mark);
      w_.push(w_.link(l, attrs));
    }
    return true;
  }

  // Sets `why` for the first link with a wrong id; false when a link is malformed.
  bool links_problem(std::string_view span_msg, std::string& why) {
    ProtobufReader r(span_msg);
    std::size_t n = 0;
    while (r.next()) {
      if (r.field() != 13) continue;
      if (!link(r.bytes(), false)) return false;
      std::string problem = link_problem(last_link_);
      if (!problem.empty()) {
        why = "link " + std::to_string(n) + ": " + problem;
        return true;
      }
      ++n;
    }
    return done(r, "Span");
  }

  // ---- logs.proto ----------------------------------------------------------------------------
  // LogRecord { fixed64 time_unix_nano = 1; fixed64 observed_time_unix_nano = 11;
  //   SeverityNumber severity_number = 2; string severity_text = 3; AnyValue body = 5;
  //   repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7; fixed32 flags = 8;
  //   bytes trace_id = 9; bytes span_id = 10; string event_name = 12; }
  bool log_record(std::string_view msg, const Origin& origin) {
    LogFields l;
    std::string_view body;
    bool has_body = false;
    ProtobufReader r(msg);
    while (r.next()) {
      bool ok = true;
      switch (r.field()) {
        case 1: ok = fixed64(r, "LogRecord", "time_unix_nano", l.time_ns); break;
        case 2:
          ok = expect(r, WireType::kVarint, "LogRecord", "severity_number");
          l.severity_number = static_cast<std::int32_t>(r.number());
          break;
        case 3: ok = text(r, "LogRecord", "severity_text", l.severity_text); break;
        case 5:
          ok = text(r, "LogRecord", "body", body);
          has_body = true;
          break;
        case 6: ok = expect(r, WireType::kLengthDelimited, "LogRecord", "attributes"); break;
        case 7: ok = u32(r, "LogRecord", "dropped_attributes_count", l.dropped_attributes); break;
        case 8: ok = fixed32(r, "LogRecord", "flags", l.flags); break;
        case 9: ok = id(r, "LogRecord", "trace_id", l.trace_id); break;
        case 10: ok = id(r, "LogRecord", "span_id", l.span_id); break;
        case 11: ok = fixed64(r, "LogRecord", "observed_time_unix_nano", l.observed_time_ns); break;
        case 12: ok = text(r, "LogRecord", "event_name", l.event_name); break;
        default: break;
      }
      if (!ok) return false;
    }
    if (!done(r, "LogRecord")) return false;

    const std::uint64_t index = items_++;
    const std::string why = log_problem(l);
    if (!why.empty()) {
      store_.reject(kLogNouns.one, kLogNouns.many, index, why);
      return true;
    }
    ParsedAny body_any;
    if (has_body && !parse_any(body, body_any)) return false;

    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    AttributeList attrs;
    if (!origin_tables(origin, resource, scope) || !attributes(msg, 6, "LogRecord", attrs)) return false;
    const bool string_body = body_any.type == fb::AttributeType::String;
    Off body_value = 0;
    if (has_body && !string_body && !build_any({}, body_any, 0, body_value)) return false;
    return keep(RecordKind::kLog, log_priority(l),
                w_.log(l, string_body, body_any.text, flatbuffers::Offset<fb::Attribute>(body_value), attrs,
                       resource, scope));
  }

  // ---- metrics.proto -------------------------------------------------------------------------
  // Metric { string name = 1; string description = 2; string unit = 3; oneof data {
  //   Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9;
  //   ExponentialHistogram exponential_histogram = 10; Summary summary = 11; } }
  // Gauge / Summary { repeated <Point> data_points = 1; }
  // Sum { repeated NumberDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2;
  //   bool is_monotonic = 3; }
  // Histogram / ExponentialHistogram { repeated <Point> data_points = 1; aggregation_temporality = 2; }
  // Exemplars (in every kind of point) are not stored: records.fbs has no place for them.
  bool metric(std::string_view msg, const Origin& origin) {
    PointFields p;
    std::string_view data;
    bool has_data = false;
    ProtobufReader r(msg);
    while (r.next()) {
      bool ok = true;
      switch (r.field()) {
        case 1: ok = text(r, "Metric", "name", p.name); break;
        case 2: ok = text(r, "Metric", "description", p.description); break;
        case 3: ok = text(r, "Metric", "unit", p.unit); break;
        case 5: case 7: case 9: case 10: case 11:
          ok = text(r, "Metric", "data", data);
          has_data = true;
          p.kind = r.field() == 5    ? fb::MetricKind::Gauge
                   : r.field() == 7  ? fb::MetricKind::Counter
                   : r.field() == 9  ? fb::MetricKind::Histogram
                   : r.field() == 10 ? fb::MetricKind::ExponentialHistogram
                                     : fb::MetricKind::Summary;
          break;
        default: break;
      }
      if (!ok) return false;
    }
    if (!done(r, "Metric")) return false;
    if (!has_data) return true;  // no data points: nothing to store

    ProtobufReader d(data);
    while (d.next()) {
      if (d.field() == 2 && !u32(d, "Metric.data", "aggregation_temporality", p.temporality)) return false;
      if (d.field() == 3 && p.kind == fb::MetricKind::Counter) {
        if (!expect(d, WireType::kVarint, "Sum", "is_monotonic")) return false;
        p.monotonic = d.number() != 0;
      }
    }
    if (!done(d, "Metric.data")) return false;
    ProtobufReader points(data);
    while (points.next()) {
      if (points.field() != 1) continue;
      if (!expect(points, WireType::kLengthDelimited, "Metric.data", "data_points") ||
          !point(points.bytes(), p, origin)) {
        return false;
      }
    }
    return done(points, "Metric.data");
  }

  // NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2;
  //   fixed64 time_unix_nano = 3; oneof value { double as_double = 4; sfixed64 as_int = 6; }
  //   repeated Exemplar exemplars = 5; uint32 flags = 8; }
  // HistogramDataPoint { repeated KeyValue attributes = 9; start = 2; time = 3; fixed64 count = 4;
  //   optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
  //   exemplars = 8; uint32 flags = 10; optional double min = 11; optional double max = 12; }
  // ExponentialHistogramDataPoint { repeated KeyValue attributes = 1; start = 2; time = 3;
  //   fixed64 count = 4; optional double sum = 5; sint32 scale = 6; fixed64 zero_count = 7;
  //   Buckets positive = 8; Buckets negative = 9; uint32 flags = 10; exemplars = 11;
  //   optional double min = 12; optional double max = 13; double zero_threshold = 14; }
  //   Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
  // SummaryDataPoint { repeated KeyValue attributes = 7; start = 2; time = 3; fixed64 count = 4;
  //   double sum = 5; repeated ValueAtQuantile quantile_values = 6; uint32 flags = 8; }
  //   ValueAtQuantile { double quantile = 1; double value = 2; }
  bool point(std::string_view msg, PointFields p, const Origin& origin) {
    store_.begin_record();
    w_.reset();
    flatbuffers::Offset<fb::Resource> resource;
    flatbuffers::Offset<fb::Scope> scope;
    if (!origin_tables(origin, resource, scope)) return false;

    std::uint32_t attributes_field = 7;
    std::uint32_t flags_field = 8;
    switch (p.kind) {
      case fb::MetricKind::Histogram: attributes_field = 9; flags_field = 10; break;
      case fb::MetricKind::ExponentialHistogram: attributes_field = 1; flags_field = 10; break;
      default: break;
    }
    counts_.clear();
    bounds_.clear();
    quantiles_.clear();
    quantile_values_.clear();
    positive_.clear();
    negative_.clear();
    const std::string_view what = "data point";
    const std::size_t mark = w_.mark();
    ProtobufReader r(msg);
    while (r.next()) {
      const std::uint32_t f = r.field();
      bool ok = true;
      if (f == attributes_field) {
        ok = expect(r, WireType::kLengthDelimited, what, "attributes") && key_value(r.bytes(), 0);
      } else if (f == flags_field) {
        ok = u32(r, what, "flags", p.flags);
      } else if (f == 2) {
        ok = fixed64(r, what, "start_time_unix_nano", p.start_time_ns);
      } else if (f == 3) {
        ok = fixed64(r, what, "time_unix_nano", p.time_ns);
      } else if (p.kind == fb::MetricKind::Gauge || p.kind == fb::MetricKind::Counter) {
        if (f == 4) {
          ok = dbl(r, what, "as_double", p.value);
          p.value_is_int = false;
        } else if (f == 6) {
          ok = expect(r, WireType::kFixed64, what, "as_int");
          p.int_value = static_cast<std::int64_t>(r.number());
          p.value_is_int = true;
        }
      } else {
        // count and sum: the same numbers in the three distribution kinds.
        if (f == 4) {
          ok = fixed64(r, what, "count", p.count);
        } else if (f == 5) {
          ok = dbl(r, what, "sum", p.sum);
        } else if (p.kind == fb::MetricKind::Histogram) {
          if (f == 6) ok = repeated_fixed64(r, what, "bucket_counts", counts_);
          if (f == 7) ok = repeated_double(r, what, "explicit_bounds", bounds_);
          if (f == 11) ok = dbl(r, what, "min", p.min) && (p.has_min = true);
          if (f == 12) ok = dbl(r, what, "max", p.max) && (p.has_max = true);
        } else if (p.kind == fb::MetricKind::ExponentialHistogram) {
          if (f == 6) {
            ok = expect(r, WireType::kVarint, what, "scale");
            p.scale = zigzag32(r.number());
          }
          if (f == 7) ok = fixed64(r, what, "zero_count", p.zero_count);
          if (f == 8) ok = expect(r, WireType::kLengthDelimited, what, "positive") &&
                           buckets(r.bytes(), p.positive_offset, positive_);
          if (f == 9) ok = expect(r, WireType::kLengthDelimited, what, "negative") &&
                           buckets(r.bytes(), p.negative_offset, negative_);
          if (f == 12) ok = dbl(r, what, "min", p.min) && (p.has_min = true);
          if (f == 13) ok = dbl(r, what, "max", p.max) && (p.has_max = true);
          if (f == 14) ok = dbl(r, what, "zero_threshold", p.zero_threshold);
        } else if (p.kind == fb::MetricKind::Summary && f == 6) {
          ok = expect(r, WireType::kLengthDelimited, what, "quantile_values") && quantile(r.bytes());
        }
      }
      if (!ok) return false;
    }
    if (!done(r, "data point")) return false;
    PointLists lists;
    lists.attributes = w_.take<fb::Attribute>(mark);
    auto& fbb = w_.fbb();
    if (!counts_.empty()) lists.bucket_counts = fbb.CreateVector(counts_);
    if (!bounds_.empty()) lists.bucket_bounds = fbb.CreateVector(bounds_);
    if (!quantiles_.empty()) {
      lists.quantiles = fbb.CreateVector(quantiles_);
      lists.quantile_values = fbb.CreateVector(quantile_values_);
    }
    if (!positive_.empty()) lists.positive_bucket_counts = fbb.CreateVector(positive_);
    if (!negative_.empty()) lists.negative_bucket_counts = fbb.CreateVector(negative_);
    return keep(RecordKind::kMetric, Priority::kNormal, w_.point(p, lists, resource, scope));
  }

  bool buckets(std::string_view msg, std::int32_t& offset, std::vector<std::uint64_t>& counts) {
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == 1) {
        if (!expect(r, WireType::kVarint, "Buckets", "offset")) return false;
        offset = zigzag32(r.number());
      } else if (r.field() == 2 && !repeated_varint(r, "Buckets", "bucket_counts", counts)) {
        return false;
      }
    }
    return done(r, "Buckets");
  }

  bool quantile(std::string_view msg) {
    double q = 0;
    double v = 0;
    ProtobufReader r(msg);
    while (r.next()) {
      if (r.field() == 1 && !dbl(r, "ValueAtQuantile", "quantile", q)) return false;
      if (r.field() == 2 && !dbl(r, "ValueAtQuantile", "value", v)) return false;
    }
    if (!done(r, "ValueAtQuantile")) return false;
    quantiles_.push_back(q);
    quantile_values_.push_back(v);
    return true;
  }

  OtlpSignal signal_;
  OtlpRecordStore& store_;
  OtlpTableWriter w_;
  std::string error_;
  std::uint64_t items_ = 0;  // spans / log records seen, for rejection messages
  LinkFields last_link_;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint64_t> counts_;
  std::vector<double> bounds_;
  std::vector<double> quantiles_;
  std::vector<double> quantile_values_;
  std::vector<std::uint64_t> positive_;
  std::vector<std::uint64_t> negative_;
};

}  // namespace

Status decode_otlp_protobuf_request(OtlpSignal signal, std::string_view body, OtlpRecordStore& store) {
  Decoder decoder(signal, store);
  if (decoder.request(body)) return Status::ok();
  return Status::invalid_argument("not an OTLP/protobuf " + std::string(otlp_signal_name(signal)) +
                                  " request: " + decoder.error());
}

}  // namespace spool::engine
