// OtlpReceiver: a real OTLP/HTTP collector on 127.0.0.1 for tests and benchmarks.
//
// It serves POST /v1/traces, /v1/logs and /v1/metrics (cpp-httplib, its own listening thread
// and worker pool), decodes every body with the independent decoder in otlp_decoder.h, and
// records what a test needs to check spool's delivery guarantees: every request (Spool-*
// headers, encodings, wire and decoded sizes, decode errors) and every *delivered*
// idempotency key, counted per key so duplicates are visible. A key counts as delivered only
// when its request was answered 2xx and the answer did not name its offset as rejected.
//
// What it answers is programmable (set_policy): status, Retry-After, an OTLP partial success
// naming rejected offsets, an error body, a delay. stop() really closes the listening socket
// (clients get "connection refused"), restart() listens again on the same port.
//
// Idle keep-alive connections are closed after about a second, so stop() waits at most that
// long for them; a request that reaches a connection while stop() runs is answered 503
// ("Connection: close") and not recorded, as if the port were already closed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/otlp_decoder.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace spool::testing {

class OtlpReceiver {
 public:
  // What the receiver learned from one request (given to the policy, kept in requests()).
  struct RequestInfo {
    std::uint64_t sequence = 0;  // 0, 1, 2... in arrival order (across restarts)
    std::string path;            // "/v1/traces" ...
    OtlpSignal signal = OtlpSignal::kTraces;
    std::string content_type;
    std::string content_encoding;  // as sent ("" when absent)
    std::string authorization;     // the Authorization header as sent ("" when absent)
    std::string query;             // the request target after '?' ("" when none)
    std::map<std::string, std::string> spool_headers;  // every "Spool-*" header, as sent
    // Parsed from Spool-Log-Id (hex) / Spool-First-Offset / Spool-Last-Offset /
    // Spool-Record-Count; nullopt when the header is absent or unparsable.
    std::optional<std::uint64_t> log_id;
    std::optional<std::uint64_t> first_offset;
    std::optional<std::uint64_t> last_offset;
    std::optional<std::uint64_t> record_count;
    std::size_t wire_bytes = 0;     // request body as received (compressed)
    std::size_t decoded_bytes = 0;  // after undoing Content-Encoding
    std::string decode_error;       // "" when the body decoded (answered 400 otherwise)
    std::string body;               // the body after undoing Content-Encoding
    std::vector<OtlpItem> items;    // decoded spans / log records / data points
    std::vector<std::string> keys;  // their idempotency keys, in body order ("" if missing)
    std::vector<std::uint64_t> offsets;  // offsets parsed from the keys (malformed keys skipped)
    // Filled once answered: the status sent, and offsets named as rejected.
    int status = 0;
    std::vector<std::uint64_t> rejected_offsets;
  };

  // What to answer. Non-2xx statuses ignore the partial-success fields.
  struct Response {
    int status = 200;
    std::string retry_after;  // Retry-After header value ("2", or an HTTP date); "" = none
    // A 2xx with an OTLP partial_success: rejected_{spans,log_records,data_points} =
    // rejected_count (default: rejected_offsets.size()) and error_message =
    // "spool-rejected-offsets: 12,15,99" (or partial_error_message, if set).
    std::optional<std::vector<std::uint64_t>> rejected_offsets;
    std::optional<std::int64_t> rejected_count;
    std::optional<std::string> partial_error_message;
    std::string body;  // error body for non-2xx (text/plain unless body_content_type is set)
    std::string body_content_type;
    std::chrono::milliseconds delay{0};  // wait before answering (cut short by stop())

    static Response ok() { return {}; }
    static Response error(int status, std::string body = {}, std::string retry_after = {}) {
      Response r;
      r.status = status;
      r.body = std::move(body);
      r.retry_after = std::move(retry_after);
      return r;
    }
    static Response partial(std::vector<std::uint64_t> rejected) {
      Response r;
      r.rejected_offsets = std::move(rejected);
      return r;
    }
  };

  using Policy = std::function<Response(const RequestInfo&)>;

  OtlpReceiver();
  ~OtlpReceiver();  // stops
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  // Listens on 127.0.0.1: an OS-chosen port the first time, the same port afterwards
  // (retrying the bind for up to ~2 s while the old socket lingers). False if it cannot.
  bool start();
  // Closes the listening socket and joins the server threads. Idempotent.
  void stop();
  // stop() then start() on the same port.
  bool restart();
  bool running() const;
  int port() const { return port_.load(); }
  std::string endpoint() const;  // "http://127.0.0.1:<port>"

  // The answer policy (default: 200 with an empty Export*ServiceResponse). Thread-safe.
  void set_policy(Policy policy);
  // false: "count only" mode for benchmarks: no decoding, no per-request records, no keys;
  // only requests, wire bytes and Spool-Record-Count are counted. The policy still runs
  // (with an info holding only the headers). Default true.
  void set_decode(bool decode);

  // Snapshots (thread-safe).
  std::map<std::string, std::uint64_t> delivered_keys() const;  // key -> times delivered
  std::vector<RequestInfo> requests() const;                    // decode mode only
  std::uint64_t request_count() const { return request_count_.load(); }
  // Records answered 2xx: decoded items (decode mode) or Spool-Record-Count (count only).
  std::uint64_t accepted_record_count() const { return accepted_records_.load(); }
  std::uint64_t total_wire_bytes() const { return wire_bytes_.load(); }
  std::uint64_t total_decoded_bytes() const { return decoded_bytes_.load(); }
  std::uint64_t decode_error_count() const { return decode_errors_.load(); }
  // The waits below wait at most scaled(timeout) (support/time_scale.h).
  // Waits until at least `distinct_keys` different keys were delivered.
  bool wait_for_keys(std::size_t distinct_keys, std::chrono::milliseconds timeout) const;
  // Waits until at least `count` requests were answered.
  bool wait_for_requests(std::uint64_t count, std::chrono::milliseconds timeout) const;
  // Forgets every record and counter (not the policy, port or sequence numbering).
  void clear();

 private:
  void serve(const httplib::Request& req, httplib::Response& res);
  // Decode mode: fills info's sizes, items, keys and offsets, or its decode_error.
  void decode_into(const std::string& encoding, const std::string& body, RequestInfo& info) const;
  // Updates the delivered keys and counters for an answered request; keeps it (decode mode).
  void record_answer(RequestInfo&& info, const Response& answer);
  // Sleeps for `delay` unless stop() begins; false if it did.
  bool sleep_unless_stopping(std::chrono::milliseconds delay);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex lifecycle_mu_;  // start / stop / restart
  std::atomic<int> port_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> decode_{true};

  mutable std::mutex mu_;  // everything below
  mutable std::condition_variable changed_;
  Policy policy_;
  std::vector<RequestInfo> requests_;
  std::map<std::string, std::uint64_t> delivered_;
  std::uint64_t next_sequence_ = 0;

  std::atomic<std::uint64_t> request_count_{0};
  std::atomic<std::uint64_t> accepted_records_{0};
  std::atomic<std::uint64_t> wire_bytes_{0};
  std::atomic<std::uint64_t> decoded_bytes_{0};
  std::atomic<std::uint64_t> decode_errors_{0};
};

}  // namespace spool::testing
