#include "tools/spoold/otlp_http_receiver.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "engine/ingest/http_body_decoder.h"
#include "engine/ingest/otlp_request_decoder.h"
#include "tools/spoold/otlp_response_body.h"

namespace spool::tools {

namespace {

using engine::OtlpFormat;
using engine::OtlpSignal;

// google.rpc.Code values of the error bodies.
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcResourceExhausted = 8;
constexpr int kGrpcUnavailable = 14;
constexpr int kGrpcUnauthenticated = 16;
constexpr int kGrpcUnimplemented = 12;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The media type without parameters ("application/json; charset=utf-8" -> "application/json").
std::string media_type(const std::string& content_type) {
  std::string t = lower(content_type.substr(0, content_type.find(';')));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

// Compares in time independent of where the strings differ (the token is a secret).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || b.empty()) return false;  // tells only the length
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

class OtlpHttpReceiver::Handler {
 public:
  Handler(Buffer& buffer, OtlpReceiverOptions options)
      : buffer_(buffer), options_(std::move(options)), group_sync_([this] { return buffer_.sync(); }) {}

  void handle(OtlpSignal signal, const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader) {
    Counters& c = counters_[static_cast<std::size_t>(signal)];
    c.requests.fetch_add(1, std::memory_order_relaxed);
    const std::string type = media_type(req.get_header_value("Content-Type"));
    OtlpFormat format = OtlpFormat::kProtobuf;
    bool known_type = true;
    if (type == "application/json") {
      format = OtlpFormat::kJson;
    } else if (type != "application/x-protobuf" && type != "application/protobuf") {
      known_type = false;
    }
    const auto fail = [&](int http, int grpc, std::string message, std::atomic<std::uint64_t>& counter) {
      counter.fetch_add(1, std::memory_order_relaxed);
      res.status = http;
      res.set_content(otlp_error_status(format, grpc, message), std::string(otlp_content_type(format)));
    };
    if (!authorized(req)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return fail(401, kGrpcUnauthenticated, "missing or wrong bearer token", c.failed);
    }
    if (stopping_.load(std::memory_order_acquire)) {
      res.set_header("Retry-After", "5");
      return fail(503, kGrpcUnavailable, "spoold is shutting down", c.refused);
    }
    if (!known_type) {
      return fail(415, kGrpcInvalidArgument,
                  "Content-Type '" + type + "' is not application/x-protobuf or application/json", c.failed);
    }

    // The body, at most max_body_bytes. httplib has already undone gzip and deflate (it
    // decompresses what it can as it reads); zstd arrives as sent.
    std::string raw;
    bool too_large = false;
    const bool complete = reader([&](const char* data, std::size_t n) {
      if (raw.size() + n > options_.max_body_bytes) {
        too_large = true;
        return false;
      }
      raw.append(data, n);
      return true;
    });
    // httplib stops a gzip body on its own once the decompressed size passes the payload
    // limit, and says so with 413 in res.status.
    if (too_large || (!complete && res.status == 413)) {
      return fail(413, kGrpcInvalidArgument,
                  "request body is over the limit of " + std::to_string(options_.max_body_bytes) + " bytes",
                  c.failed);
    }
    if (!complete) {
      return fail(400, kGrpcInvalidArgument, "the request body could not be read (cut short, or not valid gzip)",
                  c.failed);
    }
    c.body_bytes.fetch_add(raw.size(), std::memory_order_relaxed);
    std::string encoding = lower(req.get_header_value("Content-Encoding"));
    if (encoding == "gzip" || encoding == "deflate") encoding.clear();  // decoded by httplib
    std::string decoded;
    std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    if (!encoding.empty() && encoding != "identity") {
      const engine::BodyDecodeResult r =
          engine::decode_content_encoding(encoding, body, options_.max_body_bytes, &decoded);
      switch (r.kind) {
        case engine::BodyDecodeResult::Kind::kOk: break;
        case engine::BodyDecodeResult::Kind::kTooLarge: return fail(413, kGrpcInvalidArgument, r.message, c.failed);
        case engine::BodyDecodeResult::Kind::kUnsupported: return fail(415, kGrpcInvalidArgument, r.message, c.failed);
        case engine::BodyDecodeResult::Kind::kCorrupt: return fail(400, kGrpcInvalidArgument, r.message, c.failed);
      }
      body = {reinterpret_cast<const std::uint8_t*>(decoded.data()), decoded.size()};
    }

    thread_local engine::OtlpDecodedRequest request;
    request.clear();
    if (Status s = engine::decode_otlp_request(signal, format, body, &request); !s) {
      return fail(400, kGrpcInvalidArgument, s.message(), c.failed);
    }
    const auto records = request.records();
    std::size_t appended = 0;
    Status appended_status = buffer_.append_batch(records, &appended);
    c.accepted.fetch_add(appended, std::memory_order_relaxed);
    if (!appended_status) {
      const StatusCode code = appended_status.code();
      if (code == StatusCode::kFull || code == StatusCode::kTimedOut) {
        res.set_header("Retry-After", "1");
        return fail(429, kGrpcResourceExhausted,
                    "spool's queues are full (" + std::to_string(appended) + " of " +
                        std::to_string(records.size()) + " records taken): retry later",
                    c.refused);
      }
      if (code == StatusCode::kInvalidArgument) {
        return fail(400, kGrpcInvalidArgument, appended_status.message(), c.failed);
      }
      res.set_header("Retry-After", "5");
      return fail(503, kGrpcUnavailable, "the log takes no records: " + appended_status.message(), c.refused);
    }
    if (!records.empty()) {
      Status acked = buffer_.flush(options_.ack_timeout_ms);
      if (acked && options_.ack == AckMode::kCommitted) acked = group_sync_.sync();
      if (!acked) {
        res.set_header("Retry-After", "1");
        return fail(503, kGrpcUnavailable, "records not in the log: " + acked.message(), c.refused);
      }
    }
    c.rejected.fetch_add(request.rejected(), std::memory_order_relaxed);
    res.status = 200;
    res.set_content(otlp_export_response(signal, format, request.rejected(), request.rejection_message()),
                    std::string(otlp_content_type(format)));
  }

  bool authorized(const httplib::Request& req) const {
    if (options_.bearer_token.empty()) return true;
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || lower(header.substr(0, kBearer.size())) != "bearer ") return false;
    return same_secret(std::string_view(header).substr(kBearer.size()), options_.bearer_token);
  }

  void begin_stop() { stopping_.store(true, std::memory_order_release); }

  OtlpReceiverStats stats() const {
    OtlpReceiverStats s;
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      const Counters& c = counters_[i];
      s.signals[i] = {c.requests.load(), c.accepted.load(), c.rejected.load(),
                      c.refused.load(), c.failed.load(), c.body_bytes.load()};
    }
    s.syncs = group_sync_.syncs_run();
    return s;
  }

 private:
  struct Counters {
    std::atomic<std::uint64_t> requests{0}, accepted{0}, rejected{0}, refused{0}, failed{0}, body_bytes{0};
  };
  Buffer& buffer_;
  const OtlpReceiverOptions options_;
  GroupSync group_sync_;
  std::atomic<bool> stopping_{false};
  std::array<Counters, 3> counters_;
};

Result<std::unique_ptr<OtlpHttpReceiver>> OtlpHttpReceiver::start(Buffer& buffer, OtlpReceiverOptions options) {
  auto http = HttpServerThread::create(options.tls_cert_file, options.tls_key_file);
  if (!http) return http.status();
  std::unique_ptr<OtlpHttpReceiver> r(new OtlpHttpReceiver());
  r->http_ = std::move(*http);
  r->handler_ = std::make_unique<Handler>(buffer, options);
  httplib::Server& svr = r->http_->server();
  // Content-Length over the limit is refused (413) before the body is read; a chunked or
  // compressed body is cut off by the handler's own count.
  svr.set_payload_max_length(options.max_body_bytes);
  Handler* h = r->handler_.get();
  for (OtlpSignal signal : engine::kOtlpSignals) {
    const std::string path(engine::otlp_signal_path(signal));
    svr.Post(path, [h, signal](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) { h->handle(signal, req, res, reader); });
    svr.Get(path, [](const httplib::Request&, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", "POST");
      res.set_content("use POST\n", "text/plain");
    });
  }
  SPOOL_RETURN_IF_ERROR(r->http_->serve(options.listen));
  return r;
}

OtlpHttpReceiver::~OtlpHttpReceiver() { stop(); }

void OtlpHttpReceiver::stop() {
  if (!http_) return;
  handler_->begin_stop();
  http_->stop();
}

ListenAddress OtlpHttpReceiver::address() const { return http_->address(); }

OtlpReceiverStats OtlpHttpReceiver::stats() const { return handler_->stats(); }

}  // namespace spool::tools
