// An independent, minimal decoder of OTLP/HTTP request bodies for tests and benchmarks.
//
// It is deliberately written from the opentelemetry-proto field numbers alone (no generated
// code, nothing shared with engine/'s encoders), so that it checks the sink's output rather
// than agreeing with it by construction. It reads only what the tests need: per span, log
// record or metric data point, the ids, name, times and attributes (values stringified), and
// in particular the "spool.idempotency_key" attribute. Every malformed input (bad varint,
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
// Exponential histograms and summaries are skipped (their points are not decoded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
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
  // histogram's "count=<n> sum=<s>").
  std::string value;
  // Attribute values stringified: strings as is, bools "true"/"false", ints decimal,
  // doubles shortest round-trip, bytes lowercase hex, arrays "[a,b]", kvlists "{k=v,...}".
  std::map<std::string, std::string> attributes;

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
