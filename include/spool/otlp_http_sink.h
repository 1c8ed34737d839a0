// An OTLP/HTTP sink: forwards batches to an OpenTelemetry collector (or anything speaking
// OTLP/HTTP) as ExportTraceServiceRequest / ExportLogsServiceRequest /
// ExportMetricsServiceRequest POSTs to <endpoint>/v1/traces, /v1/logs and /v1/metrics.
//
//   spool::OtlpHttpOptions o;
//   o.endpoint = "http://127.0.0.1:4318";
//   o.headers = {{"Authorization", "Bearer ..."}};
//   o.resource_attributes = {{"service.name", "inference-gw"}};
//   auto sink = spool::make_otlp_http_sink(o);   // Result<std::unique_ptr<Sink>>
//
// Spans go to /v1/traces, metrics to /v1/metrics, log records and every other record (as a log
// record whose body is the bytes) to /v1/logs; a batch mixing kinds becomes up to three
// requests. Every span, log record and data point carries the attribute
// "spool.idempotency_key"; every request the Spool-* headers of spool/sink.h.
//
// Answers, per the OTLP/HTTP specification:
//   2xx: delivered; a partial_success naming offsets ("spool-rejected-offsets:1,5" in its
//        error_message) fails those (kPartial, retried); a bare rejected count is counted in
//        FlushResult::rejected_unnamed and not retried;
//   429, 502, 503, 504, other 5xx, connection errors and timeouts: retryable (Retry-After of a
//        429 or 503, in seconds or as an HTTP date, becomes retry_after_ms);
//   other 4xx: permanent (retryable = false), error "HTTP <code>: <first 512 body bytes>".
// When only some of a batch's requests fail, the batch is kPartial with the failed requests'
// offsets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spool/sink.h"
#include "spool/status.h"

namespace spool {

struct OtlpHttpOptions {
  // Base URL, "http://host:port" or "https://host:port[/prefix]"; the signal paths are appended.
  std::string endpoint;
  enum class Encoding : std::uint8_t { kProtobuf, kJson };
  Encoding encoding = Encoding::kProtobuf;
  enum class Compression : std::uint8_t { kNone, kGzip, kZstd };
  Compression compression = Compression::kZstd;
  // gzip 0-9, zstd its own range (1 is fast and already compresses telemetry well).
  int compression_level = 1;
  // Sent with every request, e.g. {"Authorization", "Bearer ..."}.
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t request_timeout_ms = 10000;  // the whole request, connect included
  // The OTLP Resource of every request, e.g. {"service.name", "inference-gw"}.
  std::vector<std::pair<std::string, std::string>> resource_attributes;
};

// An invalid option (endpoint not http(s)://host..., bad level, zero timeout, a header name or
// value that would break the request) is an InvalidArgument error. The sink keeps one
// connection open between batches (HTTP keep-alive).
Result<std::unique_ptr<Sink>> make_otlp_http_sink(OtlpHttpOptions options);

}  // namespace spool
