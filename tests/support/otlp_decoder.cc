// Hand-written OTLP body decoding: a protobuf wire-format walker, the OTLP/JSON mapping, and
// Content-Encoding undoing. See otlp_decoder.h for the field numbers this relies on.
#include "support/otlp_decoder.h"

#include <zlib.h>
#include <zstd.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/sinks/base64.h"
#include "io/hex.h"

namespace spool::testing {
namespace {

// AnyValue may nest arrays and kvlists; a hostile body must not exhaust the stack.
constexpr int kMaxDepth = 32;

bool fail(std::string& error, const std::string& what) {
  if (error.empty()) error = what;
  return false;
}

std::string double_text(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// ---- protobuf wire format -------------------------------------------------------------------

enum WireType : int { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Walks the fields of one message. next() returns false at the end or on malformed input
// (then error is set); groups (wire types 3/4) are rejected: proto3 OTLP never uses them.
class ProtoReader {
 public:
  ProtoReader(std::string_view buf, std::string& error) : p_(buf), error_(error) {}

  bool next() {
    if (p_.empty()) return false;
    std::uint64_t tag = 0;
    if (!read_varint(tag)) return fail(error_, "truncated field tag");
    field_ = tag >> 3;
    wire_ = static_cast<int>(tag & 7);
    if (field_ == 0 || field_ > 0x1fffffff) return fail(error_, "invalid field number");
    switch (wire_) {
      case kVarint:
        if (!read_varint(num_)) return fail(error_, "truncated varint");
        return true;
      case kFixed64: return read_fixed(8);
      case kFixed32: return read_fixed(4);
      case kLen: {
        std::uint64_t len = 0;
        if (!read_varint(len)) return fail(error_, "truncated length");
        if (len > p_.size()) return fail(error_, "length-delimited field past the end");
        bytes_ = p_.substr(0, len);
        p_.remove_prefix(len);
        return true;
      }
      default: return fail(error_, "unsupported wire type " + std::to_string(wire_));
    }
  }

  std::uint64_t field() const { return field_; }
  int wire() const { return wire_; }
  // Checks the wire type of a field this decoder understands.
  bool is(int wire, const char* what) const {
    return wire_ == wire || fail(error_, std::string("wrong wire type for ") + what);
  }
  std::uint64_t number() const { return num_; }  // varint / fixed64 / fixed32 value
  std::string_view bytes() const { return bytes_; }
  double as_double() const {
    double d;
    std::memcpy(&d, &num_, sizeof d);
    return d;
  }

 private:
  bool read_varint(std::uint64_t& out) {
    out = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_.empty()) return false;
      const auto b = static_cast<std::uint8_t>(p_.front());
      p_.remove_prefix(1);
      if (i == 9 && b > 1) return false;  // more than 64 bits
      out |= std::uint64_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool read_fixed(std::size_t n) {
    if (p_.size() < n) return fail(error_, "truncated fixed-width field");
    num_ = 0;
    for (std::size_t i = 0; i < n; ++i) num_ |= std::uint64_t{static_cast<std::uint8_t>(p_[i])} << (8 * i);
    p_.remove_prefix(n);
    return true;
  }

  std::string_view p_;
  std::string& error_;
  std::uint64_t field_ = 0;
  int wire_ = 0;
  std::uint64_t num_ = 0;
  std::string_view bytes_;
};

// Calls `each` with every embedded message in field `field` of `msg`; other fields skipped.
bool for_each_message(std::string_view msg, std::uint64_t field, const char* what, std::string& error,
                      const std::function<bool(std::string_view)>& each) {
  ProtoReader r(msg, error);
  while (r.next()) {
    if (r.field() != field) continue;
    if (!r.is(kLen, what) || !each(r.bytes())) return false;
  }
  return error.empty();
}

bool proto_any_value(std::string_view msg, int depth, std::string& out, std::string& error);

bool proto_key_value(std::string_view msg, int depth, std::string& key, std::string& value,
                     std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    if (r.field() == 1) {
      if (!r.is(kLen, "KeyValue.key")) return false;
      key = r.bytes();
    } else if (r.field() == 2) {
      if (!r.is(kLen, "KeyValue.value") || !proto_any_value(r.bytes(), depth + 1, value, error)) return false;
    }
  }
  return error.empty();
}

bool proto_any_value(std::string_view msg, int depth, std::string& out, std::string& error) {
  if (depth > kMaxDepth) return fail(error, "AnyValue nested too deeply");
  ProtoReader r(msg, error);
  while (r.next()) {
    switch (r.field()) {
      case 1: if (!r.is(kLen, "string_value")) return false; out = r.bytes(); break;
      case 2: if (!r.is(kVarint, "bool_value")) return false; out = r.number() ? "true" : "false"; break;
      case 3: if (!r.is(kVarint, "int_value")) return false; out = std::to_string(static_cast<std::int64_t>(r.number())); break;
      case 4: if (!r.is(kFixed64, "double_value")) return false; out = double_text(r.as_double()); break;
      case 7: if (!r.is(kLen, "bytes_value")) return false; out = to_hex(r.bytes()); break;
      case 5:
      case 6: {
        const bool kv = r.field() == 6;
        if (!r.is(kLen, kv ? "kvlist_value" : "array_value")) return false;
        std::string text(kv ? "{" : "[");
        bool first = true;
        const bool ok = for_each_message(r.bytes(), 1, "values", error, [&](std::string_view m) {
          std::string k, v;
          const bool good = kv ? proto_key_value(m, depth + 1, k, v, error) : proto_any_value(m, depth + 1, v, error);
          text += (first ? "" : ",") + (kv ? k + "=" : std::string()) + v;
          first = false;
          return good;
        });
        if (!ok) return false;
        out = text + (kv ? "}" : "]");
        break;
      }
      default: break;
    }
  }
  return error.empty();
}

bool proto_attribute_into(ProtoReader& r, std::map<std::string, std::string>& out, std::string& error) {
  if (!r.is(kLen, "attributes")) return false;
  std::string k, v;
  if (!proto_key_value(r.bytes(), 0, k, v, error)) return false;
  out[k] = v;
  return true;
}

bool proto_attribute(ProtoReader& r, OtlpItem& item, std::string& error) {
  return proto_attribute_into(r, item.attributes, error);
}

bool proto_id(ProtoReader& r, std::string& out, const char* what) {
  if (!r.is(kLen, what)) return false;
  out = to_hex(r.bytes());
  return true;
}

bool proto_time(ProtoReader& r, std::uint64_t& out, const char* what) {
  if (!r.is(kFixed64, what)) return false;
  out = r.number();
  return true;
}

bool proto_uint(ProtoReader& r, std::uint64_t& out, const char* what) {
  if (!r.is(kVarint, what)) return false;
  out = r.number();
  return true;
}

bool proto_fixed32(ProtoReader& r, std::uint64_t& out, const char* what) {
  if (!r.is(kFixed32, what)) return false;
  out = r.number();
  return true;
}

bool proto_text(ProtoReader& r, std::string& out, const char* what) {
  if (!r.is(kLen, what)) return false;
  out = r.bytes();
  return true;
}

bool proto_double(ProtoReader& r, double& out, const char* what) {
  if (!r.is(kFixed64, what)) return false;
  out = r.as_double();
  return true;
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

bool proto_event(std::string_view msg, OtlpSpanEvent& e, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = proto_time(r, e.time_ns, "Event.time_unix_nano"); break;
      case 2: ok = proto_text(r, e.name, "Event.name"); break;
      case 3: ok = proto_attribute_into(r, e.attributes, error); break;
      case 4: ok = proto_uint(r, e.dropped_attributes_count, "Event.dropped_attributes_count"); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

bool proto_link(std::string_view msg, OtlpSpanLink& l, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = proto_id(r, l.trace_id_hex, "Link.trace_id"); break;
      case 2: ok = proto_id(r, l.span_id_hex, "Link.span_id"); break;
      case 3: ok = proto_text(r, l.trace_state, "Link.trace_state"); break;
      case 4: ok = proto_attribute_into(r, l.attributes, error); break;
      case 5: ok = proto_uint(r, l.dropped_attributes_count, "Link.dropped_attributes_count"); break;
      case 6: ok = proto_fixed32(r, l.flags, "Link.flags"); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

bool proto_status(std::string_view msg, OtlpItem& s, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 2: ok = proto_text(r, s.status_message, "Status.message"); break;
      case 3: ok = proto_uint(r, s.status_code, "Status.code"); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

bool proto_span(std::string_view msg, OtlpItem& s, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = proto_id(r, s.trace_id_hex, "Span.trace_id"); break;
      case 2: ok = proto_id(r, s.span_id_hex, "Span.span_id"); break;
      case 3: ok = proto_text(r, s.trace_state, "Span.trace_state"); break;
      case 4: ok = proto_id(r, s.parent_span_id_hex, "Span.parent_span_id"); break;
      case 5: ok = proto_text(r, s.name, "Span.name"); break;
      case 6: ok = proto_uint(r, s.kind, "Span.kind"); break;
      case 7: ok = proto_time(r, s.start_ns, "Span.start_time_unix_nano"); break;
      case 8: ok = proto_time(r, s.end_ns, "Span.end_time_unix_nano"); break;
      case 9: ok = proto_attribute(r, s, error); break;
      case 10: ok = proto_uint(r, s.dropped_attributes_count, "Span.dropped_attributes_count"); break;
      case 11:
        s.events.emplace_back();
        ok = r.is(kLen, "Span.events") && proto_event(r.bytes(), s.events.back(), error);
        break;
      case 12: ok = proto_uint(r, s.dropped_events_count, "Span.dropped_events_count"); break;
      case 13:
        s.links.emplace_back();
        ok = r.is(kLen, "Span.links") && proto_link(r.bytes(), s.links.back(), error);
        break;
      case 14: ok = proto_uint(r, s.dropped_links_count, "Span.dropped_links_count"); break;
      case 15: ok = r.is(kLen, "Span.status") && proto_status(r.bytes(), s, error); break;
      case 16: ok = proto_fixed32(r, s.flags, "Span.flags"); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

bool proto_log_record(std::string_view msg, OtlpItem& l, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = proto_time(r, l.start_ns, "LogRecord.time_unix_nano"); break;
      case 2:
        ok = r.is(kVarint, "LogRecord.severity_number");
        l.severity_number = static_cast<std::int64_t>(r.number());
        break;
      case 3: ok = proto_text(r, l.severity_text, "LogRecord.severity_text"); break;
      case 11: ok = proto_time(r, l.end_ns, "LogRecord.observed_time_unix_nano"); break;
      case 5: ok = r.is(kLen, "LogRecord.body") && proto_any_value(r.bytes(), 0, l.value, error); break;
      case 6: ok = proto_attribute(r, l, error); break;
      case 7: ok = proto_uint(r, l.dropped_attributes_count, "LogRecord.dropped_attributes_count"); break;
      case 8: ok = proto_fixed32(r, l.flags, "LogRecord.flags"); break;
      case 9: ok = proto_id(r, l.trace_id_hex, "LogRecord.trace_id"); break;
      case 10: ok = proto_id(r, l.span_id_hex, "LogRecord.span_id"); break;
      case 12: ok = proto_text(r, l.name, "LogRecord.event_name"); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

// Packed (or not) repeated fixed64 / double / varint.
bool proto_packed(ProtoReader& r, int element_wire, std::vector<std::uint64_t>& out, const char* what,
                  std::string& error) {
  if (r.wire() == element_wire) {  // one unpacked element
    out.push_back(r.number());
    return true;
  }
  if (!r.is(kLen, what)) return false;
  std::string_view b = r.bytes();
  if (element_wire == kFixed64) {
    if (b.size() % 8 != 0) return fail(error, std::string("bad packed ") + what);
    for (std::size_t i = 0; i < b.size(); i += 8) {
      std::uint64_t v = 0;
      for (std::size_t k = 0; k < 8; ++k) v |= std::uint64_t{static_cast<std::uint8_t>(b[i + k])} << (8 * k);
      out.push_back(v);
    }
    return true;
  }
  while (!b.empty()) {  // varints
    std::uint64_t v = 0;
    int shift = 0;
    for (;;) {
      if (b.empty() || shift > 63) return fail(error, std::string("bad packed ") + what);
      const auto c = static_cast<std::uint8_t>(b.front());
      b.remove_prefix(1);
      v |= std::uint64_t{c & 0x7fu} << shift;
      shift += 7;
      if ((c & 0x80) == 0) break;
    }
    out.push_back(v);
  }
  return true;
}

bool proto_buckets(std::string_view msg, std::int64_t& offset, std::vector<std::uint64_t>& counts,
                   std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    if (r.field() == 1) {
      ok = r.is(kVarint, "Buckets.offset");
      offset = unzigzag(r.number());
    } else if (r.field() == 2) {
      ok = proto_packed(r, kVarint, counts, "Buckets.bucket_counts", error);
    }
    if (!ok) return false;
  }
  return error.empty();
}

enum class PointShape { kNumber, kHistogram, kExponential, kSummary };

bool proto_data_point(std::string_view msg, PointShape shape, OtlpItem& d, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    const auto f = r.field();
    const std::uint64_t attributes_field = shape == PointShape::kHistogram ? 9 : shape == PointShape::kExponential ? 1 : 7;
    const std::uint64_t flags_field =
        shape == PointShape::kHistogram || shape == PointShape::kExponential ? 10 : 8;
    if (f == 2) {
      ok = proto_time(r, d.start_ns, "start_time_unix_nano");
    } else if (f == 3) {
      ok = proto_time(r, d.end_ns, "time_unix_nano");
    } else if (f == attributes_field) {
      ok = proto_attribute(r, d, error);
    } else if (f == flags_field) {
      ok = proto_uint(r, d.flags, "flags");
    } else if (shape == PointShape::kNumber) {
      if (f == 4) {
        ok = r.is(kFixed64, "as_double") && (d.value = double_text(r.as_double()), true);
      } else if (f == 6) {
        ok = r.is(kFixed64, "as_int") && (d.value = std::to_string(static_cast<std::int64_t>(r.number())), true);
        d.value_is_int = true;
      }
    } else if (f == 4) {
      ok = proto_time(r, d.count, "count");
    } else if (f == 5) {
      ok = proto_double(r, d.sum, "sum");
    } else if (shape == PointShape::kHistogram) {
      double m = 0;
      if (f == 6) ok = proto_packed(r, kFixed64, d.bucket_counts, "bucket_counts", error);
      else if (f == 7) {
        std::vector<std::uint64_t> bits;
        ok = proto_packed(r, kFixed64, bits, "explicit_bounds", error);
        for (std::uint64_t b : bits) {
          double x;
          std::memcpy(&x, &b, sizeof x);
          d.explicit_bounds.push_back(x);
        }
      } else if (f == 11) ok = proto_double(r, m, "min") && (d.min = m, true);
      else if (f == 12) ok = proto_double(r, m, "max") && (d.max = m, true);
    } else if (shape == PointShape::kExponential) {
      double m = 0;
      if (f == 6) ok = r.is(kVarint, "scale") && (d.scale = unzigzag(r.number()), true);
      else if (f == 7) ok = proto_time(r, d.zero_count, "zero_count");
      else if (f == 8) ok = r.is(kLen, "positive") && proto_buckets(r.bytes(), d.positive_offset, d.positive_bucket_counts, error);
      else if (f == 9) ok = r.is(kLen, "negative") && proto_buckets(r.bytes(), d.negative_offset, d.negative_bucket_counts, error);
      else if (f == 12) ok = proto_double(r, m, "min") && (d.min = m, true);
      else if (f == 13) ok = proto_double(r, m, "max") && (d.max = m, true);
      else if (f == 14) ok = proto_double(r, d.zero_threshold, "zero_threshold");
    } else if (shape == PointShape::kSummary && f == 6) {
      ok = r.is(kLen, "quantile_values");
      if (ok) {
        double q = 0, v = 0;
        ProtoReader qr(r.bytes(), error);
        while (qr.next()) {
          if (qr.field() == 1) ok = ok && proto_double(qr, q, "quantile");
          else if (qr.field() == 2) ok = ok && proto_double(qr, v, "value");
        }
        ok = ok && error.empty();
        d.quantiles.emplace_back(q, v);
      }
    }
    if (!ok) return false;
  }
  if (shape != PointShape::kNumber) d.value = "count=" + std::to_string(d.count) + " sum=" + double_text(d.sum);
  return error.empty();
}

bool proto_metric(std::string_view msg, std::vector<OtlpItem>& items, std::string& error) {
  OtlpItem metric;  // the Metric's fields, copied into each of its points
  metric.signal = OtlpSignal::kMetrics;
  struct Shape {
    std::string_view body;
    PointShape points;
    const char* type;
  };
  std::vector<Shape> shapes;
  ProtoReader r(msg, error);
  while (r.next()) {
    const auto f = r.field();
    bool ok = true;
    if (f == 1) {
      ok = proto_text(r, metric.name, "Metric.name");
    } else if (f == 2) {
      ok = proto_text(r, metric.description, "Metric.description");
    } else if (f == 3) {
      ok = proto_text(r, metric.unit, "Metric.unit");
    } else if (f == 5 || f == 7 || f == 9 || f == 10 || f == 11) {
      if (!r.is(kLen, "Metric.data")) return false;
      switch (f) {
        case 5: shapes.push_back({r.bytes(), PointShape::kNumber, "gauge"}); break;
        case 7: shapes.push_back({r.bytes(), PointShape::kNumber, "sum"}); break;
        case 9: shapes.push_back({r.bytes(), PointShape::kHistogram, "histogram"}); break;
        case 10: shapes.push_back({r.bytes(), PointShape::kExponential, "exponential_histogram"}); break;
        default: shapes.push_back({r.bytes(), PointShape::kSummary, "summary"}); break;
      }
    }
    if (!ok) return false;
  }
  if (!error.empty()) return false;
  for (const Shape& shape : shapes) {
    OtlpItem base = metric;
    base.metric_type = shape.type;
    ProtoReader sr(shape.body, error);
    while (sr.next()) {
      bool ok = true;
      if (sr.field() == 2) ok = proto_uint(sr, base.temporality, "aggregation_temporality");
      else if (sr.field() == 3) ok = sr.is(kVarint, "is_monotonic") && (base.is_monotonic = sr.number() != 0, true);
      if (!ok) return false;
    }
    if (!error.empty()) return false;
    const bool ok = for_each_message(shape.body, 1, "data_points", error, [&](std::string_view m) {
      OtlpItem d = base;
      const bool good = proto_data_point(m, shape.points, d, error);
      items.push_back(std::move(d));
      return good;
    });
    if (!ok) return false;
  }
  return true;
}

// A Resource{Spans,Logs,Metrics}'s or Scope{...}'s own fields, copied into each of its items.
bool proto_resource(std::string_view msg, OtlpItem& o, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    if (r.field() == 1) {
      ok = r.is(kLen, "resource");
      ProtoReader rr(r.bytes(), error);
      while (ok && rr.next()) {
        if (rr.field() == 1) ok = proto_attribute_into(rr, o.resource_attributes, error);
        else if (rr.field() == 2) ok = proto_uint(rr, o.resource_dropped_attributes_count, "Resource.dropped_attributes_count");
      }
    } else if (r.field() == 3) {
      ok = proto_text(r, o.resource_schema_url, "schema_url");
    }
    if (!ok || !error.empty()) return false;
  }
  return error.empty();
}

bool proto_scope(std::string_view msg, OtlpItem& o, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    if (r.field() == 1) {
      ok = r.is(kLen, "scope");
      ProtoReader sr(r.bytes(), error);
      while (ok && sr.next()) {
        switch (sr.field()) {
          case 1: ok = proto_text(sr, o.scope_name, "InstrumentationScope.name"); break;
          case 2: ok = proto_text(sr, o.scope_version, "InstrumentationScope.version"); break;
          case 3: ok = proto_attribute_into(sr, o.scope_attributes, error); break;
          case 4: ok = proto_uint(sr, o.scope_dropped_attributes_count, "InstrumentationScope.dropped_attributes_count"); break;
          default: break;
        }
      }
    } else if (r.field() == 3) {
      ok = proto_text(r, o.scope_schema_url, "schema_url");
    }
    if (!ok || !error.empty()) return false;
  }
  return error.empty();
}

// Copies what the item's resource and scope said (in `origin`) into `item`.
void set_origin(const OtlpItem& origin, OtlpItem& item) {
  item.resource_index = origin.resource_index;
  item.scope_index = origin.scope_index;
  item.resource_attributes = origin.resource_attributes;
  item.resource_dropped_attributes_count = origin.resource_dropped_attributes_count;
  item.resource_schema_url = origin.resource_schema_url;
  item.scope_name = origin.scope_name;
  item.scope_version = origin.scope_version;
  item.scope_attributes = origin.scope_attributes;
  item.scope_dropped_attributes_count = origin.scope_dropped_attributes_count;
  item.scope_schema_url = origin.scope_schema_url;
}

// ---- OTLP/JSON --------------------------------------------------------------------------------

using nlohmann::json;

// OTLP/JSON uses lowerCamelCase; protobuf JSON parsers also accept the original names.
const json* member(const json& obj, const char* camel, const char* snake) {
  if (!obj.is_object()) return nullptr;
  for (const char* name : {camel, snake}) {
    auto it = obj.find(name);
    if (it != obj.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

// Iterates an optional array of objects.
bool json_objects(const json* arr, const char* what, std::string& error,
                  const std::function<bool(const json&)>& each) {
  if (arr == nullptr) return true;
  if (!arr->is_array()) return fail(error, std::string(what) + " is not an array");
  for (const auto& e : *arr) {
    if (!e.is_object()) return fail(error, std::string(what) + " element is not an object");
    if (!each(e)) return false;
  }
  return true;
}

bool json_u64(const json* v, std::uint64_t& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  if (v->is_number_unsigned()) return out = v->get<std::uint64_t>(), true;
  if (v->is_number_integer() && v->get<std::int64_t>() >= 0) return out = v->get<std::uint64_t>(), true;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty()) return true;
  }
  return fail(error, std::string("bad uint64 in ") + what);
}

bool json_string(const json* v, std::string& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  if (!v->is_string()) return fail(error, std::string(what) + " is not a string");
  out = v->get<std::string>();
  return true;
}

// OTLP/JSON ids are hex strings (not base64, unlike other bytes fields).
bool json_id(const json* v, std::string& out, const char* what, std::string& error) {
  if (!json_string(v, out, what, error)) return false;
  for (char& c : out) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return fail(error, std::string("non-hex ") + what);
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return true;
}

bool json_any_value(const json& v, int depth, std::string& out, std::string& error);

bool json_key_value(const json& kv, int depth, std::string& key, std::string& value, std::string& error) {
  if (!json_string(member(kv, "key", "key"), key, "KeyValue.key", error)) return false;
  const json* val = member(kv, "value", "value");
  return val == nullptr || json_any_value(*val, depth + 1, value, error);
}

bool json_any_value(const json& v, int depth, std::string& out, std::string& error) {
  if (depth > kMaxDepth) return fail(error, "AnyValue nested too deeply");
  if (!v.is_object()) return fail(error, "AnyValue is not an object");
  if (const json* s = member(v, "stringValue", "string_value")) return json_string(s, out, "stringValue", error);
  if (const json* b = member(v, "boolValue", "bool_value")) {
    if (!b->is_boolean()) return fail(error, "boolValue is not a bool");
    return out = b->get<bool>() ? "true" : "false", true;
  }
  if (const json* i = member(v, "intValue", "int_value")) {
    std::int64_t n = 0;
    if (i->is_number_integer()) n = i->get<std::int64_t>();
    else if (!i->is_string() || std::from_chars(i->get_ref<const std::string&>().data(),
                                                i->get_ref<const std::string&>().data() + i->get_ref<const std::string&>().size(), n).ec != std::errc{})
      return fail(error, "bad intValue");
    return out = std::to_string(n), true;
  }
  if (const json* d = member(v, "doubleValue", "double_value")) {
    if (!d->is_number()) return fail(error, "doubleValue is not a number");
    return out = double_text(d->get<double>()), true;
  }
  if (const json* b = member(v, "bytesValue", "bytes_value")) {
    std::string raw;
    if (!json_string(b, raw, "bytesValue", error)) return false;
    const std::optional<std::string> bytes = engine::base64_decode(raw);
    if (!bytes) return fail(error, "bad base64 in bytesValue");
    return out = to_hex(*bytes), true;
  }
  const json* arr = member(v, "arrayValue", "array_value");
  const json* kvl = member(v, "kvlistValue", "kvlist_value");
  if (arr == nullptr && kvl == nullptr) return true;  // an empty AnyValue
  const bool kv = kvl != nullptr;
  std::string text(kv ? "{" : "[");
  bool first = true;
  const json* values = member(kv ? *kvl : *arr, "values", "values");
  if (values != nullptr && !values->is_array()) return fail(error, "values is not an array");
  if (values != nullptr) {
    for (const auto& e : *values) {
      std::string k, val;
      if (!(kv ? json_key_value(e, depth + 1, k, val, error) : json_any_value(e, depth + 1, val, error))) return false;
      text += (first ? "" : ",") + (kv ? k + "=" : std::string()) + val;
      first = false;
    }
  }
  out = text + (kv ? "}" : "]");
  return true;
}

bool json_attributes(const json& obj, OtlpItem& item, std::string& error) {
  return json_objects(member(obj, "attributes", "attributes"), "attributes", error, [&](const json& kv) {
    std::string k, v;
    if (!json_key_value(kv, 0, k, v, error)) return false;
    item.attributes[k] = v;
    return true;
  });
}

bool json_attributes_into(const json* list, std::map<std::string, std::string>& out, std::string& error) {
  return json_objects(list, "attributes", error, [&](const json& kv) {
    std::string k, v;
    if (!json_key_value(kv, 0, k, v, error)) return false;
    out[k] = v;
    return true;
  });
}

// A number, or one of the strings proto3 JSON uses for the non-finite doubles.
bool json_double(const json* v, double& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  if (v->is_number()) return out = v->get<double>(), true;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
    if (s == "Infinity") return out = std::numeric_limits<double>::infinity(), true;
    if (s == "-Infinity") return out = -std::numeric_limits<double>::infinity(), true;
  }
  return fail(error, std::string(what) + " is not a number");
}

bool json_optional_double(const json* v, std::optional<double>& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  double d = 0;
  if (!json_double(v, d, what, error)) return false;
  out = d;
  return true;
}

bool json_i64(const json* v, std::int64_t& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  if (v->is_number_integer()) return out = v->get<std::int64_t>(), true;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty()) return true;
  }
  return fail(error, std::string("bad int64 in ") + what);
}

bool json_u64_list(const json* v, std::vector<std::uint64_t>& out, const char* what, std::string& error) {
  if (v == nullptr) return true;
  if (!v->is_array()) return fail(error, std::string(what) + " is not an array");
  for (const json& e : *v) {
    std::uint64_t x = 0;
    if (!json_u64(&e, x, what, error)) return false;
    out.push_back(x);
  }
  return true;
}

bool json_buckets(const json* v, std::int64_t& offset, std::vector<std::uint64_t>& counts, std::string& error) {
  if (v == nullptr) return true;
  return json_i64(member(*v, "offset", "offset"), offset, "offset", error) &&
         json_u64_list(member(*v, "bucketCounts", "bucket_counts"), counts, "bucketCounts", error);
}

bool json_span(const json& o, OtlpItem& it, std::string& error) {
  if (!json_string(member(o, "name", "name"), it.name, "name", error) ||
      !json_u64(member(o, "startTimeUnixNano", "start_time_unix_nano"), it.start_ns, "startTimeUnixNano", error) ||
      !json_u64(member(o, "endTimeUnixNano", "end_time_unix_nano"), it.end_ns, "endTimeUnixNano", error) ||
      !json_id(member(o, "parentSpanId", "parent_span_id"), it.parent_span_id_hex, "parentSpanId", error) ||
      !json_string(member(o, "traceState", "trace_state"), it.trace_state, "traceState", error) ||
      !json_u64(member(o, "kind", "kind"), it.kind, "kind", error) ||
      !json_u64(member(o, "flags", "flags"), it.flags, "flags", error) ||
      !json_u64(member(o, "droppedAttributesCount", "dropped_attributes_count"), it.dropped_attributes_count, "droppedAttributesCount", error) ||
      !json_u64(member(o, "droppedEventsCount", "dropped_events_count"), it.dropped_events_count, "droppedEventsCount", error) ||
      !json_u64(member(o, "droppedLinksCount", "dropped_links_count"), it.dropped_links_count, "droppedLinksCount", error))
    return false;
  if (const json* status = member(o, "status", "status")) {
    if (!json_u64(member(*status, "code", "code"), it.status_code, "status.code", error) ||
        !json_string(member(*status, "message", "message"), it.status_message, "status.message", error))
      return false;
  }
  const bool events_ok = json_objects(member(o, "events", "events"), "events", error, [&](const json& e) {
    OtlpSpanEvent ev;
    const bool ok = json_string(member(e, "name", "name"), ev.name, "event name", error) &&
                    json_u64(member(e, "timeUnixNano", "time_unix_nano"), ev.time_ns, "event time", error) &&
                    json_attributes_into(member(e, "attributes", "attributes"), ev.attributes, error) &&
                    json_u64(member(e, "droppedAttributesCount", "dropped_attributes_count"), ev.dropped_attributes_count, "event droppedAttributesCount", error);
    it.events.push_back(std::move(ev));
    return ok;
  });
  if (!events_ok) return false;
  return json_objects(member(o, "links", "links"), "links", error, [&](const json& l) {
    OtlpSpanLink link;
    const bool ok = json_id(member(l, "traceId", "trace_id"), link.trace_id_hex, "link traceId", error) &&
                    json_id(member(l, "spanId", "span_id"), link.span_id_hex, "link spanId", error) &&
                    json_string(member(l, "traceState", "trace_state"), link.trace_state, "link traceState", error) &&
                    json_attributes_into(member(l, "attributes", "attributes"), link.attributes, error) &&
                    json_u64(member(l, "droppedAttributesCount", "dropped_attributes_count"), link.dropped_attributes_count, "link droppedAttributesCount", error) &&
                    json_u64(member(l, "flags", "flags"), link.flags, "link flags", error);
    it.links.push_back(std::move(link));
    return ok;
  });
}

bool json_log_record(const json& o, OtlpItem& it, std::string& error) {
  const json* body = member(o, "body", "body");
  return json_string(member(o, "eventName", "event_name"), it.name, "eventName", error) &&
         json_u64(member(o, "timeUnixNano", "time_unix_nano"), it.start_ns, "timeUnixNano", error) &&
         json_u64(member(o, "observedTimeUnixNano", "observed_time_unix_nano"), it.end_ns, "observedTimeUnixNano", error) &&
         json_i64(member(o, "severityNumber", "severity_number"), it.severity_number, "severityNumber", error) &&
         json_string(member(o, "severityText", "severity_text"), it.severity_text, "severityText", error) &&
         json_u64(member(o, "flags", "flags"), it.flags, "flags", error) &&
         json_u64(member(o, "droppedAttributesCount", "dropped_attributes_count"), it.dropped_attributes_count, "droppedAttributesCount", error) &&
         (body == nullptr || json_any_value(*body, 0, it.value, error));
}

// A data point of a metric whose fields (and shape) `it` already holds.
bool json_data_point(const json& o, OtlpItem& it, std::string& error) {
  if (!json_u64(member(o, "startTimeUnixNano", "start_time_unix_nano"), it.start_ns, "startTimeUnixNano", error) ||
      !json_u64(member(o, "timeUnixNano", "time_unix_nano"), it.end_ns, "timeUnixNano", error) ||
      !json_u64(member(o, "flags", "flags"), it.flags, "flags", error))
    return false;
  const std::string& type = it.metric_type;
  if (type == "gauge" || type == "sum") {
    if (const json* d = member(o, "asDouble", "as_double")) {
      double v = 0;
      if (!json_double(d, v, "asDouble", error)) return false;
      it.value = double_text(v);
    } else if (const json* i = member(o, "asInt", "as_int")) {
      std::int64_t v = 0;
      if (!json_i64(i, v, "asInt", error)) return false;
      it.value = std::to_string(v);
      it.value_is_int = true;
    }
    return true;
  }
  if (!json_u64(member(o, "count", "count"), it.count, "count", error) ||
      !json_double(member(o, "sum", "sum"), it.sum, "sum", error) ||
      !json_optional_double(member(o, "min", "min"), it.min, "min", error) ||
      !json_optional_double(member(o, "max", "max"), it.max, "max", error))
    return false;
  it.value = "count=" + std::to_string(it.count) + " sum=" + double_text(it.sum);
  if (type == "histogram") {
    if (!json_u64_list(member(o, "bucketCounts", "bucket_counts"), it.bucket_counts, "bucketCounts", error)) return false;
    if (const json* b = member(o, "explicitBounds", "explicit_bounds")) {
      if (!b->is_array()) return fail(error, "explicitBounds is not an array");
      for (const json& e : *b) {
        double x = 0;
        if (!json_double(&e, x, "explicitBounds", error)) return false;
        it.explicit_bounds.push_back(x);
      }
    }
    return true;
  }
  if (type == "exponential_histogram") {
    return json_i64(member(o, "scale", "scale"), it.scale, "scale", error) &&
           json_u64(member(o, "zeroCount", "zero_count"), it.zero_count, "zeroCount", error) &&
           json_double(member(o, "zeroThreshold", "zero_threshold"), it.zero_threshold, "zeroThreshold", error) &&
           json_buckets(member(o, "positive", "positive"), it.positive_offset, it.positive_bucket_counts, error) &&
           json_buckets(member(o, "negative", "negative"), it.negative_offset, it.negative_bucket_counts, error);
  }
  return json_objects(member(o, "quantileValues", "quantile_values"), "quantileValues", error, [&](const json& q) {
    double quantile = 0, value = 0;
    if (!json_double(member(q, "quantile", "quantile"), quantile, "quantile", error) ||
        !json_double(member(q, "value", "value"), value, "value", error))
      return false;
    it.quantiles.emplace_back(quantile, value);
    return true;
  });
}

bool json_common(OtlpSignal signal, const json& o, OtlpItem& it, std::string& error) {
  it.signal = signal;
  return json_id(member(o, "traceId", "trace_id"), it.trace_id_hex, "traceId", error) &&
         json_id(member(o, "spanId", "span_id"), it.span_id_hex, "spanId", error) && json_attributes(o, it, error);
}

}  // namespace

// ---- public API --------------------------------------------------------------------------------

const char* otlp_signal_name(OtlpSignal signal) {
  switch (signal) {
    case OtlpSignal::kTraces: return "traces";
    case OtlpSignal::kLogs: return "logs";
    case OtlpSignal::kMetrics: return "metrics";
  }
  return "?";
}

std::optional<OtlpSignal> otlp_signal_for_path(std::string_view path) {
  if (path == "/v1/traces") return OtlpSignal::kTraces;
  if (path == "/v1/logs") return OtlpSignal::kLogs;
  if (path == "/v1/metrics") return OtlpSignal::kMetrics;
  return std::nullopt;
}

std::string OtlpItem::idempotency_key() const {
  auto it = attributes.find(kIdempotencyKeyAttribute);
  return it == attributes.end() ? std::string() : it->second;
}

std::optional<OtlpBodyFormat> otlp_body_format(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  if (content_type == "application/x-protobuf" || content_type == "application/protobuf") return OtlpBodyFormat::kProtobuf;
  if (content_type == "application/json") return OtlpBodyFormat::kJson;
  return std::nullopt;
}

bool decompress_body(std::string_view encoding, std::string_view wire, std::string& out, std::string& error,
                     std::size_t max_bytes) {
  out.clear();
  if (encoding.empty() || encoding == "identity") {
    if (wire.size() > max_bytes) return fail(error, "body too large");
    out.assign(wire);
    return true;
  }
  char buf[64 * 1024];
  if (encoding == "gzip" || encoding == "deflate") {
    if (wire.size() > UINT_MAX) return fail(error, "body too large");
    z_stream zs{};
    // 15 + 16: gzip wrapper only (a zlib stream labelled gzip is malformed); 15: zlib wrapper.
    if (inflateInit2(&zs, encoding == "gzip" ? 15 + 16 : 15) != Z_OK) return fail(error, "inflateInit2 failed");
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(wire.data()));
    zs.avail_in = static_cast<uInt>(wire.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) return fail(error, std::string(encoding) + ": corrupt or truncated stream");
      out.append(buf, sizeof buf - zs.avail_out);
      if (out.size() > max_bytes) return fail(error, "decompressed body too large");
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) return fail(error, std::string(encoding) + ": truncated stream");
    }
    if (zs.avail_in != 0) return fail(error, std::string(encoding) + ": trailing bytes after the stream");
    return true;
  }
  if (encoding == "zstd") {
    if (wire.empty()) return fail(error, "zstd: empty body");
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!dctx) return fail(error, "ZSTD_createDCtx failed");
    ZSTD_inBuffer in{wire.data(), wire.size(), 0};
    std::size_t remaining = 0;  // 0 once a frame is complete
    for (;;) {
      ZSTD_outBuffer o{buf, sizeof buf, 0};
      remaining = ZSTD_decompressStream(dctx.get(), &o, &in);
      if (ZSTD_isError(remaining)) return fail(error, std::string("zstd: ") + ZSTD_getErrorName(remaining));
      out.append(buf, o.pos);
      if (out.size() > max_bytes) return fail(error, "decompressed body too large");
      // All input consumed and the output not filled: the decoder holds nothing more.
      if (in.pos == in.size && o.pos < o.size) break;
    }
    if (remaining != 0) return fail(error, "zstd: truncated frame");
    return true;
  }
  return fail(error, "unsupported Content-Encoding: " + std::string(encoding));
}

OtlpDecodeResult decode_otlp_protobuf(OtlpSignal signal, std::string_view body) {
  OtlpDecodeResult res;
  auto& err = res.error;
  auto& items = res.items;
  // Request -> Resource* (1) -> Scope* (2) -> span | log record | metric (2).
  std::size_t resource_index = 0;
  for_each_message(body, 1, "resource", err, [&](std::string_view resource) {
    OtlpItem resource_origin;
    resource_origin.resource_index = resource_index++;
    if (!proto_resource(resource, resource_origin, err)) return false;
    std::size_t scope_index = 0;
    return for_each_message(resource, 2, "scope", err, [&](std::string_view scope) {
      OtlpItem origin = resource_origin;
      origin.scope_index = scope_index++;
      if (!proto_scope(scope, origin, err)) return false;
      return for_each_message(scope, 2, "item", err, [&](std::string_view m) {
        const std::size_t first = items.size();
        bool ok = false;
        if (signal == OtlpSignal::kMetrics) {
          ok = proto_metric(m, items, err);
        } else {
          OtlpItem it;
          it.signal = signal;
          ok = signal == OtlpSignal::kTraces ? proto_span(m, it, err) : proto_log_record(m, it, err);
          items.push_back(std::move(it));
        }
        for (std::size_t i = first; i < items.size(); ++i) set_origin(origin, items[i]);
        return ok;
      });
    });
  });
  return res;
}

OtlpDecodeResult decode_otlp_json(OtlpSignal signal, std::string_view body) {
  OtlpDecodeResult res;
  auto& err = res.error;
  try {
    const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return fail(err, "invalid JSON"), res;
    if (!doc.is_object()) return fail(err, "request is not a JSON object"), res;
    static constexpr const char* kNames[3][3][2] = {
        {{"resourceSpans", "resource_spans"}, {"scopeSpans", "scope_spans"}, {"spans", "spans"}},
        {{"resourceLogs", "resource_logs"}, {"scopeLogs", "scope_logs"}, {"logRecords", "log_records"}},
        {{"resourceMetrics", "resource_metrics"}, {"scopeMetrics", "scope_metrics"}, {"metrics", "metrics"}}};
    const auto& n = kNames[static_cast<int>(signal)];
    std::size_t resource_index = 0;
    json_objects(member(doc, n[0][0], n[0][1]), n[0][0], err, [&](const json& resource) {
      OtlpItem resource_origin;
      resource_origin.resource_index = resource_index++;
      if (const json* r = member(resource, "resource", "resource")) {
        if (!json_attributes_into(member(*r, "attributes", "attributes"), resource_origin.resource_attributes, err) ||
            !json_u64(member(*r, "droppedAttributesCount", "dropped_attributes_count"),
                      resource_origin.resource_dropped_attributes_count, "droppedAttributesCount", err))
          return false;
      }
      if (!json_string(member(resource, "schemaUrl", "schema_url"), resource_origin.resource_schema_url, "schemaUrl", err))
        return false;
      std::size_t scope_index = 0;
      return json_objects(member(resource, n[1][0], n[1][1]), n[1][0], err, [&](const json& scope) {
        OtlpItem origin = resource_origin;
        origin.scope_index = scope_index++;
        if (const json* sc = member(scope, "scope", "scope")) {
          if (!json_string(member(*sc, "name", "name"), origin.scope_name, "scope name", err) ||
              !json_string(member(*sc, "version", "version"), origin.scope_version, "scope version", err) ||
              !json_attributes_into(member(*sc, "attributes", "attributes"), origin.scope_attributes, err) ||
              !json_u64(member(*sc, "droppedAttributesCount", "dropped_attributes_count"),
                        origin.scope_dropped_attributes_count, "droppedAttributesCount", err))
            return false;
        }
        if (!json_string(member(scope, "schemaUrl", "schema_url"), origin.scope_schema_url, "schemaUrl", err))
          return false;
        return json_objects(member(scope, n[2][0], n[2][1]), n[2][0], err, [&](const json& o) {
          if (signal != OtlpSignal::kMetrics) {
            res.items.emplace_back();
            OtlpItem& it = res.items.back();
            set_origin(origin, it);
            return json_common(signal, o, it, err) &&
                   (signal == OtlpSignal::kTraces ? json_span(o, it, err) : json_log_record(o, it, err));
          }
          OtlpItem metric;
          set_origin(origin, metric);
          metric.signal = signal;
          if (!json_string(member(o, "name", "name"), metric.name, "Metric.name", err) ||
              !json_string(member(o, "description", "description"), metric.description, "Metric.description", err) ||
              !json_string(member(o, "unit", "unit"), metric.unit, "Metric.unit", err))
            return false;
          static constexpr const char* kShapes[5][3] = {{"gauge", "gauge", "gauge"},
                                                       {"sum", "sum", "sum"},
                                                       {"histogram", "histogram", "histogram"},
                                                       {"exponentialHistogram", "exponential_histogram", "exponential_histogram"},
                                                       {"summary", "summary", "summary"}};
          for (const auto& shape : kShapes) {
            const json* data = member(o, shape[0], shape[1]);
            if (data == nullptr) continue;
            OtlpItem base = metric;
            base.metric_type = shape[2];
            if (!json_u64(member(*data, "aggregationTemporality", "aggregation_temporality"), base.temporality,
                          "aggregationTemporality", err))
              return false;
            if (const json* m = member(*data, "isMonotonic", "is_monotonic")) {
              if (!m->is_boolean()) return fail(err, "isMonotonic is not a bool");
              base.is_monotonic = m->get<bool>();
            }
            const bool ok = json_objects(member(*data, "dataPoints", "data_points"), "dataPoints", err, [&](const json& p) {
              res.items.push_back(base);
              OtlpItem& it = res.items.back();
              return json_common(signal, p, it, err) && json_data_point(p, it, err);
            });
            if (!ok) return false;
          }
          return true;
        });
      });
    });
  } catch (const std::exception& e) {  // belt and braces: a type mismatch nlohmann reports by throwing
    fail(err, std::string("JSON: ") + e.what());
  }
  return res;
}

OtlpDecodeResult decode_otlp(OtlpSignal signal, OtlpBodyFormat format, std::string_view body) {
  return format == OtlpBodyFormat::kJson ? decode_otlp_json(signal, body) : decode_otlp_protobuf(signal, body);
}

std::optional<ParsedIdempotencyKey> parse_idempotency_key(std::string_view key) {
  if (key.size() < 18 || key[16] != '-') return std::nullopt;
  ParsedIdempotencyKey k;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = key[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  auto [e1, ec1] = std::from_chars(key.data(), key.data() + 16, k.log_id, 16);
  auto [e2, ec2] = std::from_chars(key.data() + 17, key.data() + key.size(), k.offset, 10);
  if (ec1 != std::errc{} || ec2 != std::errc{} || e2 != key.data() + key.size() || key[17] == '+') return std::nullopt;
  return k;
}

std::string to_hex(std::string_view bytes) {
  return io::hex({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

}  // namespace spool::testing
