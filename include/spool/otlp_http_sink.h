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
//   429, 502, 503, 504, connection errors and timeouts: an outage (SinkOutage::kBusy /
//        kUnreachable; Retry-After of a 429 or 503, in seconds or as an HTTP date, becomes
//        retry_after_ms);
//   401, 403, 407: an outage (kAuth); 3xx, 404, 405 and TLS failures (certificate, handshake,
//        CA file): an outage (kMisconfigured) -- nothing is dead-lettered for them;
//   413: payload_too_large (the forwarder halves the batch);
//   408, 500, 501, 505 and other 5xx: retryable, using the retry budget (an outage instead
//        with server_errors_are_outages);
//   other 4xx: permanent (retryable = false).
// The table is engine/sinks/otlp/http_answer_class.h. Error text is "HTTP <code>: <first 512 body
// bytes>" or "POST <url>: <curl message>", passed through redact_secrets()
// (engine/forward/secret_redaction.h) and with the configured header values blanked, so neither
// URL credentials, query tokens nor header secrets reach stats, cursor files or dead letters.
//
// An endpoint with userinfo (https://user:pass@host) is refused: put credentials in a
// header (spoolctl forward --header-file). Query parameters are sent as given but appear
// only redacted in any text spool keeps.
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

  // TLS (https:// endpoints only; with http:// these are refused as a configuration error).
  std::string ca_file;           // PEM CA bundle to verify the receiver with ("" = system store)
  std::string client_cert_file;  // PEM client certificate (mutual TLS)
  std::string client_key_file;   // its PEM private key ("" = in client_cert_file)
  enum class TlsVersion : std::uint8_t { kDefault, kTls12, kTls13 };
  TlsVersion tls_min_version = TlsVersion::kDefault;  // kDefault: libcurl's (TLS 1.2 today)
  // Turns certificate and host name verification off. Only for tests against a
  // self-signed receiver: while on, the sink reports health warning "tls_insecure".
  bool insecure_skip_verify = false;
  // Proxy URL ("http://proxy:3128", "socks5h://..."); "" = libcurl's environment
  // (https_proxy, no_proxy). Credentials in it are used but never printed.
  std::string proxy;
  // false (default): 500, 501, 505 and other non-gateway 5xx use the records' retry budget
  // (max_retries, then dead letter). true: they are outages like 502/503/504.
  bool server_errors_are_outages = false;
};

// An invalid option (endpoint not http(s)://host..., credentials in the endpoint, bad level,
// zero timeout, a header name or value that would break the request, TLS options with an
// http:// endpoint, an unreadable CA/certificate/key file, a key without a certificate) is
// an InvalidArgument error; its message never contains a credential. The sink keeps one
// connection open between batches (HTTP keep-alive).
Result<std::unique_ptr<Sink>> make_otlp_http_sink(OtlpHttpOptions options);

}  // namespace spool
