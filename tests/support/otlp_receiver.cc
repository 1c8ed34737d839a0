// OtlpReceiver: cpp-httplib wiring, request recording and OTLP answers (see the header).
#include "support/otlp_receiver.h"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "support/time_scale.h"

namespace spool::testing {
namespace {

constexpr const char* kHost = "127.0.0.1";
// Where the pre-routing handler moves Content-Encoding (see start()).
constexpr const char* kWireEncodingHeader = "X-Spool-Receiver-Wire-Encoding";
constexpr auto kRebindFor = std::chrono::seconds(2);

std::optional<std::uint64_t> parse_u64(const std::string& s, int base) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> header_u64(const httplib::Request& req, const char* name, int base = 10) {
  if (!req.has_header(name)) return std::nullopt;
  return parse_u64(req.get_header_value(name), base);
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

std::string rejected_offsets_message(const std::vector<std::uint64_t>& offsets) {
  std::string m = "spool-rejected-offsets: ";
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    if (i != 0) m += ',';
    m += std::to_string(offsets[i]);
  }
  return m;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Export{Trace,Logs,Metrics}ServiceResponse { partial_success = 1 } with
// Export*PartialSuccess { int64 rejected_* = 1; string error_message = 2 }.
std::string partial_success_protobuf(std::int64_t rejected, const std::string& message) {
  std::string inner;
  if (rejected != 0) {
    put_varint(inner, (1 << 3) | 0);
    put_varint(inner, static_cast<std::uint64_t>(rejected));  // int64: two's complement varint
  }
  if (!message.empty()) {
    put_varint(inner, (2 << 3) | 2);
    put_varint(inner, message.size());
    inner += message;
  }
  std::string out;
  put_varint(out, (1 << 3) | 2);
  put_varint(out, inner.size());
  return out + inner;
}

// The OTLP/JSON form: lowerCamelCase names, int64 as a decimal string (proto3 JSON mapping).
std::string partial_success_json(OtlpSignal signal, std::int64_t rejected, const std::string& message) {
  const char* count_name = signal == OtlpSignal::kTraces ? "rejectedSpans"
                           : signal == OtlpSignal::kLogs ? "rejectedLogRecords"
                                                         : "rejectedDataPoints";
  nlohmann::json partial = nlohmann::json::object();
  if (rejected != 0) partial[count_name] = std::to_string(rejected);
  if (!message.empty()) partial["errorMessage"] = message;
  return nlohmann::json{{"partialSuccess", partial}}.dump();
}

}  // namespace

OtlpReceiver::OtlpReceiver() = default;

OtlpReceiver::~OtlpReceiver() { stop(); }

bool OtlpReceiver::start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (server_) return true;
  auto server = std::make_unique<httplib::Server>();
  // SO_REUSEADDR (and not httplib's default SO_REUSEPORT): restart() can take the port back
  // while old connections sit in TIME_WAIT, but no second listener can share it.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // httplib's workers wait this long on an idle keep-alive connection, and stop() waits for
  // them; long keep-alive runs keep benchmarks from reconnecting every few requests.
  server->set_keep_alive_timeout(1);
  server->set_keep_alive_max_count(1000);
  // httplib inflates gzip / deflate / br request bodies before any handler sees them. The
  // receiver must see the wire bytes (to count them, and to check the sender's compression
  // with its own decoder), so it moves the header out of httplib's sight before the body is
  // read. The Request httplib passes is its own non-const object, so the cast is defined.
  server->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& mutable_req = const_cast<httplib::Request&>(req);
    auto it = mutable_req.headers.find("Content-Encoding");
    if (it != mutable_req.headers.end()) {
      std::string encoding = it->second;
      mutable_req.headers.erase(it);
      mutable_req.headers.emplace(kWireEncodingHeader, std::move(encoding));
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server->Post(R"(/v1/(traces|logs|metrics))",
               [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });

  int port = port_.load();
  if (port == 0) {
    port = server->bind_to_any_port(kHost);
    if (port <= 0) return false;
  } else {
    const auto deadline = std::chrono::steady_clock::now() + scaled(kRebindFor);
    while (!server->bind_to_port(kHost, port)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  port_ = port;
  stopping_ = false;
  thread_ = std::thread([s = server.get()] { s->listen_after_bind(); });
  // httplib's stop() does nothing until the server runs; wait so that a stop() right after
  // start() cannot be lost (the socket already listens: connections queue meanwhile).
  for (int i = 0; i < 5000 && !server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_ = std::move(server);
  return server_->is_running();
}

void OtlpReceiver::stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!server_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;  // cuts delayed answers short; late requests get 503
  }
  changed_.notify_all();
  server_->stop();  // closes the listening socket
  if (thread_.joinable()) thread_.join();  // listen_after_bind joins the worker pool
  server_.reset();
}

bool OtlpReceiver::restart() {
  stop();
  return start();
}

bool OtlpReceiver::running() const {
  std::lock_guard lifecycle(lifecycle_mu_);
  return server_ != nullptr && server_->is_running();
}

std::string OtlpReceiver::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_.load()); }

void OtlpReceiver::set_policy(Policy policy) {
  std::lock_guard lock(mu_);
  policy_ = std::move(policy);
}

void OtlpReceiver::set_decode(bool decode) { decode_ = decode; }

void OtlpReceiver::decode_into(const std::string& encoding, const std::string& body, RequestInfo& info) const {
  std::string decoded;
  if (!decompress_body(encoding, body, decoded, info.decode_error)) return;
  info.decoded_bytes = decoded.size();
  const auto format = otlp_body_format(info.content_type);
  if (!format) {
    info.decode_error = "unsupported Content-Type: " + info.content_type;
    return;
  }
  OtlpDecodeResult result = decode_otlp(info.signal, *format, decoded);
  info.body = std::move(decoded);
  info.decode_error = std::move(result.error);
  info.items = std::move(result.items);
  for (const auto& item : info.items) {
    info.keys.push_back(item.idempotency_key());
    if (auto key = parse_idempotency_key(info.keys.back())) info.offsets.push_back(key->offset);
  }
}

void OtlpReceiver::serve(const httplib::Request& req, httplib::Response& res) {
  if (stopping_) {  // a keep-alive connection outliving stop(): behave like a closed port
    res.status = 503;
    res.set_header("Connection", "close");
    return;
  }
  const std::string encoding = req.get_header_value(kWireEncodingHeader);
  RequestInfo info;
  info.path = req.path;
  info.signal = otlp_signal_for_path(req.path).value_or(OtlpSignal::kTraces);
  info.content_type = req.get_header_value("Content-Type");
  info.content_encoding = encoding;
  info.authorization = req.get_header_value("Authorization");
  info.query = req.target.find('?') == std::string::npos ? std::string() : req.target.substr(req.target.find('?') + 1);
  info.wire_bytes = req.body.size();
  info.log_id = header_u64(req, "Spool-Log-Id", 16);
  info.first_offset = header_u64(req, "Spool-First-Offset");
  info.last_offset = header_u64(req, "Spool-Last-Offset");
  info.record_count = header_u64(req, "Spool-Record-Count");
  const bool decode = decode_.load();
  if (decode) {
    for (const auto& [name, value] : req.headers) {
      if (name.size() > 6 && strncasecmp(name.c_str(), "Spool-", 6) == 0) info.spool_headers[name] = value;
    }
    decode_into(encoding, req.body, info);
  }

  Policy policy;
  {
    std::lock_guard lock(mu_);
    info.sequence = next_sequence_++;
    policy = policy_;
  }
  Response answer;
  if (!info.decode_error.empty()) {
    answer = Response::error(400, "OTLP decode error: " + info.decode_error);
  } else if (policy) {
    answer = policy(info);
  }
  if (answer.delay.count() > 0 && !sleep_unless_stopping(answer.delay)) {
    res.status = 503;
    res.set_header("Connection", "close");
    return;
  }

  res.status = answer.status;
  if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
  if (is_2xx(answer.status)) {
    const bool json = otlp_body_format(info.content_type) == OtlpBodyFormat::kJson;
    std::string body = json ? "{}" : "";  // an empty Export*ServiceResponse
    if (answer.rejected_offsets || answer.rejected_count || answer.partial_error_message) {
      const auto& offsets = answer.rejected_offsets ? *answer.rejected_offsets : std::vector<std::uint64_t>{};
      const std::int64_t count = answer.rejected_count.value_or(static_cast<std::int64_t>(offsets.size()));
      const std::string message = answer.partial_error_message.value_or(rejected_offsets_message(offsets));
      body = json ? partial_success_json(info.signal, count, message) : partial_success_protobuf(count, message);
    }
    res.set_content(body, json ? "application/json" : "application/x-protobuf");
  } else {
    res.set_content(answer.body, answer.body_content_type.empty() ? "text/plain" : answer.body_content_type.c_str());
  }

  wire_bytes_ += info.wire_bytes;
  decoded_bytes_ += info.decoded_bytes;  // stays 0 in count-only mode
  if (!info.decode_error.empty()) ++decode_errors_;
  if (decode) {
    record_answer(std::move(info), answer);
  } else {
    // Count-only mode: no lock, no copies; waiters poll (see wait_for_requests).
    if (is_2xx(answer.status)) {
      const std::uint64_t sent = info.record_count.value_or(0);
      const std::uint64_t rejected = answer.rejected_offsets ? answer.rejected_offsets->size() : 0;
      accepted_records_ += sent > rejected ? sent - rejected : 0;
    }
    ++request_count_;
    changed_.notify_all();
  }
}

void OtlpReceiver::record_answer(RequestInfo&& info, const Response& answer) {
  info.status = answer.status;
  {
    std::lock_guard lock(mu_);
    if (is_2xx(answer.status)) {
      if (answer.rejected_offsets) info.rejected_offsets = *answer.rejected_offsets;
      const std::set<std::uint64_t> rejected(info.rejected_offsets.begin(), info.rejected_offsets.end());
      std::uint64_t accepted = 0;
      for (const auto& key : info.keys) {
        const auto parsed = parse_idempotency_key(key);
        if (parsed && rejected.count(parsed->offset) != 0) continue;  // named as rejected
        ++accepted;
        if (!key.empty()) ++delivered_[key];
      }
      accepted_records_ += accepted;
    }
    requests_.push_back(std::move(info));
    ++request_count_;
  }
  changed_.notify_all();
}

bool OtlpReceiver::sleep_unless_stopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !changed_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

std::map<std::string, std::uint64_t> OtlpReceiver::delivered_keys() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

std::vector<OtlpReceiver::RequestInfo> OtlpReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool OtlpReceiver::wait_for_keys(std::size_t distinct_keys, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
  std::unique_lock lock(mu_);
  while (delivered_.size() < distinct_keys) {
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return delivered_.size() >= distinct_keys;
  }
  return true;
}

bool OtlpReceiver::wait_for_requests(std::uint64_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
  std::unique_lock lock(mu_);
  // Count-only mode notifies without the lock, so a wake-up can be missed: poll as well.
  while (request_count_.load() < count) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    changed_.wait_for(lock, std::chrono::milliseconds(10));
  }
  return true;
}

void OtlpReceiver::clear() {
  std::lock_guard lock(mu_);
  requests_.clear();
  delivered_.clear();
  request_count_ = 0;
  accepted_records_ = 0;
  wire_bytes_ = 0;
  decoded_bytes_ = 0;
  decode_errors_ = 0;
}

}  // namespace spool::testing
