// An independent, minimal decoder of OTLP/HTTP request bodies for tests and benchmarks.
//
// It is deliberately written from the opentelemetry-proto field numbers alone (no generated
// code, nothing shared with engine/'s encoders), so that it checks the sink's output rather
// than agreeing with it by construction. It reads what the tests need: per span, log record
// or metric data point, the ids, name, times and attributes (values stringified), in
// particular the "spool.idempotency_key" attribute; the resource and scope it was sent
// under; and the other fields OTLP defines for it (links, events, kinds, flags, dropped
// counts, status, every metric shape; exemplars aside). Every malformed input (bad varint,
// length past the end, wrong wire type on a known field, bad JSON, bad compression) yields an
// error string, never a crash: the receiver answers such requests 400.
//
// Field numbers (opentelemetry-proto, collector/*/v1 and trace|logs|metrics/v1):
//   Export{Trace,Logs,Metrics}ServiceRequest: resource_{spans,logs,metrics} = 1
//   Resource{Spans,Logs,Metrics}: resource = 1, scope_{spans,logs,metrics} = 2
//   Scope{Spans,Logs,Metrics}: scope = 1, spans | log_records | metrics = 2
//   Span: trace_id = 1, span_id = 2, name = 5, start_time_unix_nano = 7 (fixed64),
//         end_time_unix_nano = 8 (fixed64), attributes = 9
//   LogRecord: time_unix_nano = 1 (fixed64), body = 5, attributes = 6, trace_id = 9,
//              span_id = 10, observed_time_unix_nano = 11 (fixed64), event_name = 12
//   Metric: name = 1, gauge = 5, sum = 7, histogram = 9 (each: data_points = 1)
//   NumberDataPoint: start_time_unix_nano = 2, time_unix_nano = 3 (fixed64), as_double = 4
//                    (double), as_int = 6 (sfixed64), attributes = 7
//   HistogramDataPoint: start = 2, time = 3 (fixed64), count = 4 (fixed64), sum = 5 (double),
//                       attributes = 9
//   KeyValue: key = 1, value = 2; AnyValue: string 1, bool 2, int 3, double 4, array 5,
//             kvlist 6, bytes 7; ArrayValue / KeyValueList: values = 1
//   Export*PartialSuccess: rejected_{spans,log_records,data_points} = 1, error_message = 2
//   Resource{Spans,Logs,Metrics} and Scope{...}: schema_url = 3
//   Resource: attributes = 1, dropped_attributes_count = 2
//   InstrumentationScope: name = 1, version = 2, attributes = 3, dropped_attributes_count = 4
//   Span: trace_state = 3, parent_span_id = 4, kind = 6, dropped_attributes_count = 10,
//         events = 11, dropped_events_count = 12, links = 13, dropped_links_count = 14,
//         status = 15 (message = 2, code = 3), flags = 16 (fixed32)
//   Span.Event: time_unix_nano = 1, name = 2, attributes = 3, dropped_attributes_count = 4
//   Span.Link: trace_id = 1, span_id = 2, trace_state = 3, attributes = 4,
//              dropped_attributes_count = 5, flags = 6 (fixed32)
//   LogRecord: severity_number = 2, severity_text = 3, dropped_attributes_count = 7,
//              flags = 8 (fixed32)
//   Metric: description = 2, unit = 3, exponential_histogram = 10, summary = 11;
//           Sum/Histogram/ExponentialHistogram: aggregation_temporality = 2, is_monotonic = 3
//   NumberDataPoint: flags = 8. HistogramDataPoint: bucket_counts = 6 (packed fixed64),
//                    explicit_bounds = 7 (packed double), flags = 10, min = 11, max = 12
//   ExponentialHistogramDataPoint: attributes = 1, start = 2, time = 3, count = 4, sum = 5,
//       scale = 6 (sint32), zero_count = 7 (fixed64), positive = 8, negative = 9 (Buckets:
//       offset = 1 sint32, bucket_counts = 2 packed uint64), flags = 10, min = 12, max = 13,
//       zero_threshold = 14
//   SummaryDataPoint: start = 2, time = 3, count = 4, sum = 5, quantile_values = 6
//       (quantile = 1, value = 2), attributes = 7, flags = 8
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace spool::testing {

enum class OtlpSignal : std::uint8_t { kTraces, kLogs, kMetrics };

// "traces", "logs", "metrics".
const char* otlp_signal_name(OtlpSignal signal);
// "/v1/traces" -> kTraces, ...; nullopt for any other path.
std::optional<OtlpSignal> otlp_signal_for_path(std::string_view path);

inline constexpr const char* kIdempotencyKeyAttribute = "spool.idempotency_key";

struct OtlpSpanEvent {
  std::string name;
  std::uint64_t time_ns = 0;
  std::map<std::string, std::string> attributes;
  std::uint64_t dropped_attributes_count = 0;
};

struct OtlpSpanLink {
  std::string trace_id_hex;
  std::string span_id_hex;
  std::string trace_state;
  std::map<std::string, std::string> attributes;
  std::uint64_t dropped_attributes_count = 0;
  std::uint64_t flags = 0;
};

// One decoded span, log record or metric data point.
struct OtlpItem {
  OtlpSignal signal = OtlpSignal::kTraces;
  std::string trace_id_hex;  // lowercase hex of the id bytes ("" when absent)
  std::string span_id_hex;
  // Span name; metric name (for data points); log record event_name.
  std::string name;
  // Spans: start / end time. Log records: time_unix_nano / observed_time_unix_nano.
  // Data points: start_time_unix_nano / time_unix_nano.
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  // Log records: the body, stringified. Data points: the value (as_double / as_int, or a
  // histogram's, exponential histogram's or summary's "count=<n> sum=<s>").
  std::string value;
  // Attribute values stringified: strings as is, bools "true"/"false", ints decimal,
  // doubles shortest round-trip, bytes lowercase hex, arrays "[a,b]", kvlists "{k=v,...}".
  std::map<std::string, std::string> attributes;

  // Where it was in the request: the index of its Resource{Spans,Logs,Metrics} and of its
  // Scope{...} within that; and what those said.
  std::size_t resource_index = 0;
  std::size_t scope_index = 0;
  std::map<std::string, std::string> resource_attributes;
  std::uint64_t resource_dropped_attributes_count = 0;
  std::string resource_schema_url;
  std::string scope_name;
  std::string scope_version;
  std::map<std::string, std::string> scope_attributes;
  std::uint64_t scope_dropped_attributes_count = 0;
  std::string scope_schema_url;

  // Spans, log records and data points: flags (0 when absent); spans and log records: the
  // dropped attributes count.
  std::uint64_t flags = 0;
  std::uint64_t dropped_attributes_count = 0;

  // Spans.
  std::string parent_span_id_hex;
  std::uint64_t kind = 0;
  std::string trace_state;
  std::uint64_t status_code = 0;
  std::string status_message;
  std::vector<OtlpSpanEvent> events;
  std::vector<OtlpSpanLink> links;
  std::uint64_t dropped_events_count = 0;
  std::uint64_t dropped_links_count = 0;

  // Log records.
  std::int64_t severity_number = 0;
  std::string severity_text;

  // Metric data points: the Metric's fields, then the point's.
  std::string metric_type;  // "gauge", "sum", "histogram", "exponential_histogram", "summary"
  std::string description;
  std::string unit;
  std::uint64_t temporality = 0;
  bool is_monotonic = false;
  bool value_is_int = false;  // NumberDataPoint.as_int
  std::uint64_t count = 0;
  double sum = 0;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
  std::vector<std::pair<double, double>> quantiles;  // (quantile, value)
  std::int64_t scale = 0;
  std::uint64_t zero_count = 0;
  double zero_threshold = 0;
  std::int64_t positive_offset = 0;
  std::vector<std::uint64_t> positive_bucket_counts;
  std::int64_t negative_offset = 0;
  std::vector<std::uint64_t> negative_bucket_counts;

  // The "spool.idempotency_key" attribute, or "" when absent.
  std::string idempotency_key() const;
};

struct OtlpDecodeResult {
  std::vector<OtlpItem> items;
  std::string error;  // empty on success; on error, items holds what decoded before it
  bool ok() const { return error.empty(); }
};

enum class OtlpBodyFormat : std::uint8_t { kProtobuf, kJson };

// "application/x-protobuf" -> kProtobuf, "application/json" -> kJson (parameters such as
// "; charset=utf-8" ignored); nullopt for anything else.
std::optional<OtlpBodyFormat> otlp_body_format(std::string_view content_type);

// Undoes a Content-Encoding: "" / "identity" (copy), "gzip" (zlib, gzip wrapper only),
// "deflate" (zlib wrapper), "zstd" (streaming: frames without a content size work).
// Output is capped at `max_bytes` (an error beyond it: a decompression bomb is malformed
// input here). Returns false and sets `error` on failure.
bool decompress_body(std::string_view content_encoding, std::string_view wire, std::string& out,
                     std::string& error, std::size_t max_bytes = std::size_t{1} << 30);

// Decodes an Export{Trace,Logs,Metrics}ServiceRequest body (already decompressed).
OtlpDecodeResult decode_otlp_protobuf(OtlpSignal signal, std::string_view body);
OtlpDecodeResult decode_otlp_json(OtlpSignal signal, std::string_view body);
OtlpDecodeResult decode_otlp(OtlpSignal signal, OtlpBodyFormat format, std::string_view body);

// The parts of "<16 lowercase hex>-<decimal offset>"; nullopt if `key` is not of that form.
struct ParsedIdempotencyKey {
  std::uint64_t log_id = 0;
  std::uint64_t offset = 0;
};
std::optional<ParsedIdempotencyKey> parse_idempotency_key(std::string_view key);

// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

}  // namespace spool::testing
