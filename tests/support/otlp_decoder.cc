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

bool proto_attribute(ProtoReader& r, OtlpItem& item, std::string& error) {
  if (!r.is(kLen, "attributes")) return false;
  std::string k, v;
  if (!proto_key_value(r.bytes(), 0, k, v, error)) return false;
  item.attributes[k] = v;
  return true;
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

bool proto_span(std::string_view msg, OtlpItem& s, std::string& error) {
  ProtoReader r(msg, error);
  while (r.next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = proto_id(r, s.trace_id_hex, "Span.trace_id"); break;
      case 2: ok = proto_id(r, s.span_id_hex, "Span.span_id"); break;
      case 5: ok = r.is(kLen, "Span.name") && (s.name = r.bytes(), true); break;
      case 7: ok = proto_time(r, s.start_ns, "Span.start_time_unix_nano"); break;
      case 8: ok = proto_time(r, s.end_ns, "Span.end_time_unix_nano"); break;
      case 9: ok = proto_attribute(r, s, error); break;
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
      case 11: ok = proto_time(r, l.end_ns, "LogRecord.observed_time_unix_nano"); break;
      case 5: ok = r.is(kLen, "LogRecord.body") && proto_any_value(r.bytes(), 0, l.value, error); break;
      case 6: ok = proto_attribute(r, l, error); break;
      case 9: ok = proto_id(r, l.trace_id_hex, "LogRecord.trace_id"); break;
      case 10: ok = proto_id(r, l.span_id_hex, "LogRecord.span_id"); break;
      case 12: ok = r.is(kLen, "LogRecord.event_name") && (l.name = r.bytes(), true); break;
      default: break;
    }
    if (!ok) return false;
  }
  return error.empty();
}

// NumberDataPoint (histogram = false) or HistogramDataPoint (histogram = true).
bool proto_data_point(std::string_view msg, bool histogram, OtlpItem& d, std::string& error) {
  ProtoReader r(msg, error);
  std::string count, sum;
  while (r.next()) {
    bool ok = true;
    const auto f = r.field();
    if (f == 2) {
      ok = proto_time(r, d.start_ns, "start_time_unix_nano");
    } else if (f == 3) {
      ok = proto_time(r, d.end_ns, "time_unix_nano");
    } else if (f == (histogram ? 9u : 7u)) {
      ok = proto_attribute(r, d, error);
    } else if (!histogram && f == 4) {
      ok = r.is(kFixed64, "as_double") && (d.value = double_text(r.as_double()), true);
    } else if (!histogram && f == 6) {
      ok = r.is(kFixed64, "as_int") && (d.value = std::to_string(static_cast<std::int64_t>(r.number())), true);
    } else if (histogram && f == 4) {
      ok = r.is(kFixed64, "count") && (count = std::to_string(r.number()), true);
    } else if (histogram && f == 5) {
      ok = r.is(kFixed64, "sum") && (sum = double_text(r.as_double()), true);
    }
    if (!ok) return false;
  }
  if (histogram) d.value = "count=" + (count.empty() ? "0" : count) + " sum=" + (sum.empty() ? "0" : sum);
  return error.empty();
}

bool proto_metric(std::string_view msg, std::vector<OtlpItem>& items, std::string& error) {
  std::string name;
  std::vector<std::pair<std::string_view, bool>> shapes;  // (Gauge|Sum|Histogram body, histogram?)
  ProtoReader r(msg, error);
  while (r.next()) {
    const auto f = r.field();
    if (f == 1) {
      if (!r.is(kLen, "Metric.name")) return false;
      name = r.bytes();
    } else if (f == 5 || f == 7 || f == 9) {
      if (!r.is(kLen, "Metric.data")) return false;
      shapes.emplace_back(r.bytes(), f == 9);
    }
  }
  if (!error.empty()) return false;
  for (const auto& [body, histogram] : shapes) {
    const bool ok = for_each_message(body, 1, "data_points", error, [&](std::string_view m) {
      OtlpItem d;
      d.signal = OtlpSignal::kMetrics;
      d.name = name;
      const bool good = proto_data_point(m, histogram, d, error);
      items.push_back(std::move(d));
      return good;
    });
    if (!ok) return false;
  }
  return true;
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

bool json_item(OtlpSignal signal, const json& o, const std::string& metric, bool histogram, OtlpItem& it,
               std::string& error) {
  it.signal = signal;
  if (!json_id(member(o, "traceId", "trace_id"), it.trace_id_hex, "traceId", error) ||
      !json_id(member(o, "spanId", "span_id"), it.span_id_hex, "spanId", error) || !json_attributes(o, it, error))
    return false;
  switch (signal) {
    case OtlpSignal::kTraces:
      return json_string(member(o, "name", "name"), it.name, "name", error) &&
             json_u64(member(o, "startTimeUnixNano", "start_time_unix_nano"), it.start_ns, "startTimeUnixNano", error) &&
             json_u64(member(o, "endTimeUnixNano", "end_time_unix_nano"), it.end_ns, "endTimeUnixNano", error);
    case OtlpSignal::kLogs: {
      const json* body = member(o, "body", "body");
      return json_string(member(o, "eventName", "event_name"), it.name, "eventName", error) &&
             json_u64(member(o, "timeUnixNano", "time_unix_nano"), it.start_ns, "timeUnixNano", error) &&
             json_u64(member(o, "observedTimeUnixNano", "observed_time_unix_nano"), it.end_ns, "observedTimeUnixNano", error) &&
             (body == nullptr || json_any_value(*body, 0, it.value, error));
    }
    case OtlpSignal::kMetrics: {
      it.name = metric;
      if (!json_u64(member(o, "startTimeUnixNano", "start_time_unix_nano"), it.start_ns, "startTimeUnixNano", error) ||
          !json_u64(member(o, "timeUnixNano", "time_unix_nano"), it.end_ns, "timeUnixNano", error))
        return false;
      if (histogram) {
        std::uint64_t count = 0;
        const json* sum = member(o, "sum", "sum");
        if (!json_u64(member(o, "count", "count"), count, "count", error)) return false;
        if (sum != nullptr && !sum->is_number()) return fail(error, "sum is not a number");
        it.value = "count=" + std::to_string(count) + " sum=" + double_text(sum ? sum->get<double>() : 0.0);
      } else if (const json* d = member(o, "asDouble", "as_double")) {
        if (!d->is_number()) return fail(error, "asDouble is not a number");
        it.value = double_text(d->get<double>());
      } else if (const json* i = member(o, "asInt", "as_int")) {
        std::string s;
        if (!json_any_value(json{{"intValue", *i}}, 0, s, error)) return false;
        it.value = s;
      }
      return true;
    }
  }
  return true;
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
  for_each_message(body, 1, "resource", err, [&](std::string_view resource) {
    return for_each_message(resource, 2, "scope", err, [&](std::string_view scope) {
      return for_each_message(scope, 2, "item", err, [&](std::string_view m) {
        if (signal == OtlpSignal::kMetrics) return proto_metric(m, items, err);
        OtlpItem it;
        it.signal = signal;
        const bool ok = signal == OtlpSignal::kTraces ? proto_span(m, it, err) : proto_log_record(m, it, err);
        items.push_back(std::move(it));
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
    json_objects(member(doc, n[0][0], n[0][1]), n[0][0], err, [&](const json& resource) {
      return json_objects(member(resource, n[1][0], n[1][1]), n[1][0], err, [&](const json& scope) {
        return json_objects(member(scope, n[2][0], n[2][1]), n[2][0], err, [&](const json& o) {
          if (signal != OtlpSignal::kMetrics) {
            res.items.emplace_back();
            return json_item(signal, o, "", false, res.items.back(), err);
          }
          std::string name;
          if (!json_string(member(o, "name", "name"), name, "Metric.name", err)) return false;
          for (const char* shape : {"gauge", "sum", "histogram"}) {
            const json* data = member(o, shape, shape);
            if (data == nullptr) continue;
            const bool histogram = std::strcmp(shape, "histogram") == 0;
            const bool ok = json_objects(member(*data, "dataPoints", "data_points"), "dataPoints", err, [&](const json& p) {
              res.items.emplace_back();
              return json_item(signal, p, name, histogram, res.items.back(), err);
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
