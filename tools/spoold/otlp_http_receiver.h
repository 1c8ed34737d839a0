// OtlpHttpReceiver: spoold's OTLP/HTTP endpoint. POST /v1/traces, /v1/logs and /v1/metrics
// with protobuf or JSON bodies (Content-Type application/x-protobuf or application/json),
// Content-Encoding gzip, zstd or none. Every span, log record and data point becomes one
// record in the Buffer (engine/ingest/otlp_request_decoder.h maps them).
//
// What the status codes promise a sender (the OTLP/HTTP specification's semantics):
//   200  every accepted record is in the log: appended and written (ack kWritten) or also
//        fdatasync'd (ack kCommitted, the default; one sync serves concurrent requests,
//        group_sync.h). Items that were malformed are counted in partial_success with a
//        message; they are not stored and must not be sent again.
//   400  the body is not an OTLP request; 401 missing or wrong bearer token; 404 other path;
//   405  not POST; 413 the body (or what it decompresses to) is over max_body_bytes;
//   415  neither protobuf nor JSON, or an unknown Content-Encoding;
//   429  the in-memory queues are full (Retry-After: 1): retry later;
//   503  shutting down, the log failed, or the records were not in the log within
//        ack_timeout_ms (Retry-After): retry later.
// A 429/503 may come after part of a request was appended: a sender that retries, as OTLP
// exporters do, can deliver those records twice (at-least-once; the forwarder's idempotency
// keys are per record, not per request).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "spool/buffer.h"
#include "spool/status.h"
#include "tools/spoold/group_sync.h"
#include "tools/spoold/http_server_thread.h"
#include "tools/spoold/spoold_config.h"
#include "tools/spoold/spoold_config.h"

namespace spool::tools {

struct OtlpReceiverOptions {
  ListenAddress listen;
  std::string bearer_token;  // "" = no authentication
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  std::uint64_t max_body_bytes = 16ull << 20;
  AckMode ack = AckMode::kCommitted;
  std::uint32_t ack_timeout_ms = 10'000;
};

// Per signal (index: OtlpSignal), for /metrics.
struct OtlpReceiverStats {
  struct Signal {
    std::uint64_t requests = 0;   // answered, any status
    std::uint64_t accepted = 0;   // records appended to the log
    std::uint64_t rejected = 0;   // malformed items (partial_success)
    std::uint64_t refused = 0;    // requests answered 429/503 (to be retried)
    std::uint64_t failed = 0;     // requests answered 4xx
    std::uint64_t body_bytes = 0; // request bodies as received (compressed)
  };
  std::array<Signal, 3> signals;
  std::uint64_t syncs = 0;        // fdatasyncs behind committed acks
};

class OtlpHttpReceiver {
 public:
  // Binds the address (an error names it: in use, not local, TLS files unreadable) and
  // serves on its own threads until stop().
  static Result<std::unique_ptr<OtlpHttpReceiver>> start(Buffer& buffer, OtlpReceiverOptions options);
  ~OtlpHttpReceiver();

  // The bound address (the chosen port when listen.port was 0).
  ListenAddress address() const;

  // Answers 503 to every new request from now on, closes the listening socket and returns
  // when the requests in progress were answered.
  void stop();

  OtlpReceiverStats stats() const;

  class Handler;  // the request handling (otlp_http_receiver.cc)

 private:
  OtlpHttpReceiver() = default;
  std::unique_ptr<Handler> handler_;       // declared first: destroyed after the server stops
  std::unique_ptr<HttpServerThread> http_;
};

}  // namespace spool::tools
