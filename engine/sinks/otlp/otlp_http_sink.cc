// OtlpHttpSink: OTLP/HTTP over libcurl (see spool/otlp_http_sink.h for what it answers when).
//
// A CURL easy handle per channel (OtlpChannel), reused for every request, keeps a connection
// alive between batches; the encoders, the compressor and the body buffers are the channel's
// and reused too, so a steady stream of batches allocates little beyond curl's header list.
// Concurrent send()s (the forwarder's max_in_flight_batches) take a channel each.
#include "spool/otlp_http_sink.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/forward/secret_redaction.h"
#include "engine/sinks/otlp/http_answer_class.h"
#include "engine/sinks/otlp/http_content_encoding.h"
#include "engine/sinks/otlp/otlp_export_response.h"
#include "engine/sinks/otlp/otlp_json_encoder.h"
#include "engine/sinks/otlp/otlp_mapping.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "engine/sinks/otlp/wire_bytes.h"
#include "engine/sinks/outage_rank.h"
#include "io/hex.h"

namespace spool {

namespace {

using engine::OtlpSignal;
using engine::classify_http_status;
using engine::HttpAnswerClass;
using engine::kRedacted;
using engine::outage_of;
using engine::redact_secrets;
using engine::url_has_userinfo;

// Enough of a response body for any partial_success; the rest is read and dropped.
constexpr std::size_t kMaxResponseBytes = 1 << 20;
// How much of an error response's body goes into FlushResult::error.
constexpr std::size_t kErrorBodyBytes = 512;
// A Retry-After beyond a day is a receiver's mistake; the forwarder's own back-off caps
// waiting anyway.
constexpr std::uint64_t kMaxRetryAfterMs = 24ull * 3600 * 1000;

// What one POST came to.
struct RequestOutcome {
  bool delivered = false;        // 2xx
  bool transport_error = false;  // no HTTP answer at all (refused, timed out, reset, TLS)
  // Not kNone: the outage is the receiver's, not the records' (FlushResult::outage).
  SinkOutage outage = SinkOutage::kNone;
  bool too_large = false;        // 413
  bool retryable = true;
  std::uint32_t retry_after_ms = 0;
  std::string error;
  std::vector<std::uint64_t> rejected_offsets;  // 2xx with partial_success naming offsets
  std::uint64_t rejected_unnamed = 0;           // 2xx with partial_success counting only
};

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Retry-After = delay-seconds / HTTP-date (RFC 9110 §10.2.3), in milliseconds from now.
std::uint32_t retry_after_ms(std::string_view value) {
  value = trim(value);
  if (value.empty()) return 0;
  std::uint64_t ms = 0;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint64_t seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + static_cast<std::uint64_t>(c - '0');
      if (seconds > kMaxRetryAfterMs / 1000) break;
    }
    ms = seconds * 1000;
  } else {
    const std::string text(value);
    const std::time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == -1) return 0;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::int64_t delta = static_cast<std::int64_t>(when) * 1000 - now_ms;
    ms = delta > 0 ? static_cast<std::uint64_t>(delta) : 0;
  }
  return static_cast<std::uint32_t>(std::min(ms, kMaxRetryAfterMs));
}

// A transport failure: which outage it is. TLS and URL problems do not go away by waiting:
// they say the configuration is wrong (sink_misconfigured); the rest is the network.
SinkOutage transport_outage(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
      return SinkOutage::kMisconfigured;
    default:
      return SinkOutage::kUnreachable;
  }
}

// What one request needs of its own: a curl handle (its connection kept alive between
// requests), the compressor, the encoders and the body buffers. A send() holds one channel
// from start to end, so sends from several threads at once (the forwarder's
// max_in_flight_batches) each encode, compress and POST on their own connection.
struct OtlpChannel {
  OtlpChannel(std::unique_ptr<engine::HttpContentEncoder> c, CURL* handle,
              const std::vector<std::pair<std::string, std::string>>& resource_attributes)
      : compressor(std::move(c)),
        curl(handle),
        protobuf(resource_attributes),
        json(resource_attributes) {}
  ~OtlpChannel() { curl_easy_cleanup(curl); }
  OtlpChannel(const OtlpChannel&) = delete;
  OtlpChannel& operator=(const OtlpChannel&) = delete;

  std::unique_ptr<engine::HttpContentEncoder> compressor;
  CURL* curl;
  engine::OtlpProtobufEncoder protobuf;
  engine::OtlpJsonEncoder json;
  // Reused per batch / per request.
  engine::WireBytes protobuf_body;
  std::string json_body;
  std::string response;
  std::string retry_after;
  std::vector<std::uint64_t> malformed;
  std::vector<std::uint64_t> offsets;
  char curl_error[CURL_ERROR_SIZE] = {};
};

class OtlpHttpSink final : public Sink {
 public:
  // `first`: a channel made by make_otlp_http_sink (which so checks that one can be made).
  OtlpHttpSink(OtlpHttpOptions options, std::unique_ptr<OtlpChannel> first)
      : options_(std::move(options)) {
    // A query (a signed URL, a token some gateways want) goes after the signal path.
    if (const auto q = options_.endpoint.find('?'); q != std::string::npos) {
      endpoint_query_ = options_.endpoint.substr(q);
      options_.endpoint.resize(q);
    }
    while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
    const bool json = options_.encoding == OtlpHttpOptions::Encoding::kJson;
    fixed_headers_.push_back(json ? "Content-Type: application/json" : "Content-Type: application/x-protobuf");
    if (!first->compressor->content_encoding().empty()) {
      fixed_headers_.push_back("Content-Encoding: " +
                               std::string(first->compressor->content_encoding()));
    }
    fixed_headers_.push_back("Expect:");  // no 100-continue round trip before large bodies
    for (const auto& [name, value] : options_.headers) {
      fixed_headers_.push_back(name + ": " + value);
      // Short values ("1", "gzip") are not secrets and would blank ordinary words.
      if (value.size() >= kMinSecretBytes) header_values_.push_back(value);
    }
    configure(*first);
    idle_.push_back(std::move(first));
  }
  OtlpHttpSink(const OtlpHttpSink&) = delete;
  OtlpHttpSink& operator=(const OtlpHttpSink&) = delete;

  std::string name() const override { return "otlp-http"; }
  FlushResult send(const ForwardBatch& batch) override;
  // Each concurrent send() takes a channel (a connection) of its own.
  std::uint32_t max_concurrent_sends() const override { return kMaxChannels; }
  std::vector<HealthWarning> configuration_warnings() const override {
    if (!options_.insecure_skip_verify) return {};
    return {HealthWarning{"tls_insecure", "TLS certificate and host name verification is off for " +
                                              redact_secrets(options_.endpoint) +
                                              " (insecure_skip_verify / --insecure): anyone on the path can "
                                              "read and change what is sent"}};
  }

 private:
  static constexpr std::uint32_t kMaxChannels = 64;

  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* channel_ptr) {
    auto* channel = static_cast<OtlpChannel*>(channel_ptr);
    const std::size_t bytes = size * n;
    const std::size_t room =
        kMaxResponseBytes - std::min(kMaxResponseBytes, channel->response.size());
    channel->response.append(data, std::min(bytes, room));
    return bytes;
  }
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* channel_ptr) {
    auto* channel = static_cast<OtlpChannel*>(channel_ptr);
    const std::string_view line(data, size * n);
    constexpr std::string_view kRetryAfter = "retry-after:";
    if (iequals_prefix(line, kRetryAfter))
      channel->retry_after.assign(trim(line.substr(kRetryAfter.size())));
    return size * n;
  }

  // The curl options every channel's handle gets.
  void configure(OtlpChannel& c) const;
  // An idle channel, or a new one (null when none can be made: out of memory).
  std::unique_ptr<OtlpChannel> acquire();
  void release(std::unique_ptr<OtlpChannel> channel);
  FlushResult send_on(OtlpChannel& c, const ForwardBatch& batch);

  // The request body of `signal` (empty when the batch has no such records).
  std::string_view encode(OtlpChannel& c, const ForwardBatch& batch, OtlpSignal signal) {
    if (options_.encoding == OtlpHttpOptions::Encoding::kJson) {
      return c.json.encode(batch, signal, &c.json_body, &c.malformed) == 0 ? std::string_view()
                                                                           : c.json_body;
    }
    return c.protobuf.encode(batch, signal, &c.protobuf_body, &c.malformed) == 0
               ? std::string_view()
               : c.protobuf_body.view();
  }
  RequestOutcome post(OtlpChannel& c, OtlpSignal signal, std::string_view wire_body,
                      std::uint64_t log_id, const std::vector<std::uint64_t>& offsets);
  RequestOutcome answer(OtlpChannel& c, long status, std::size_t record_count,
                        const std::vector<std::uint64_t>& offsets);

  // Error text as stored and printed: secrets redacted (URL credentials, query values,
  // configured header values echoed back by a receiver), bounded.
  std::string scrub(std::string_view text) const {
    std::string out = redact_secrets(text);
    for (const std::string& v : header_values_) {
      for (std::size_t at = out.find(v); at != std::string::npos; at = out.find(v, at + kRedacted.size())) {
        out.replace(at, v.size(), kRedacted);
      }
    }
    return out;
  }

  static constexpr std::size_t kMinSecretBytes = 8;
  OtlpHttpOptions options_;
  std::vector<std::string> header_values_;  // blanked in error text
  std::string endpoint_query_;              // "?..." of the endpoint, or ""
  std::vector<std::string> fixed_headers_;
  std::mutex idle_mu_;
  std::vector<std::unique_ptr<OtlpChannel>> idle_;  // channels no send() holds
};

// Makes a channel: its compressor and its curl handle (not yet configured).
Result<std::unique_ptr<OtlpChannel>> make_channel(const OtlpHttpOptions& options) {
  engine::ContentCoding coding = engine::ContentCoding::kNone;
  if (options.compression == OtlpHttpOptions::Compression::kGzip)
    coding = engine::ContentCoding::kGzip;
  if (options.compression == OtlpHttpOptions::Compression::kZstd)
    coding = engine::ContentCoding::kZstd;
  auto compressor = engine::HttpContentEncoder::create(coding, options.compression_level);
  if (!compressor.is_ok()) return compressor.status();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::unavailable("curl_easy_init failed");
  return std::make_unique<OtlpChannel>(std::move(compressor).value(), curl,
                                       options.resource_attributes);
}

void OtlpHttpSink::configure(OtlpChannel& c) const {
  CURL* curl = c.curl;
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM (threads)
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "spool/0.1.0");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c.curl_error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OtlpHttpSink::on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OtlpHttpSink::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
  // Redirects are not followed (curl's default): a 3xx is reported as a misconfiguration,
  // never silently sent, credentials and all, somewhere else.
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options_.client_cert_file.c_str());
  }
  if (!options_.client_key_file.empty())
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options_.client_key_file.c_str());
  if (options_.tls_min_version == OtlpHttpOptions::TlsVersion::kTls12) {
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  } else if (options_.tls_min_version == OtlpHttpOptions::TlsVersion::kTls13) {
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_3));
  }
  if (options_.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
}

std::unique_ptr<OtlpChannel> OtlpHttpSink::acquire() {
  {
    std::lock_guard<std::mutex> lock(idle_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<OtlpChannel> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto made = make_channel(options_);
  if (!made.is_ok()) return nullptr;
  configure(**made);
  return std::move(made).value();
}

void OtlpHttpSink::release(std::unique_ptr<OtlpChannel> channel) {
  std::lock_guard<std::mutex> lock(idle_mu_);
  idle_.push_back(std::move(channel));
}

FlushResult OtlpHttpSink::send(const ForwardBatch& batch) {
  std::unique_ptr<OtlpChannel> channel = acquire();
  if (!channel)
    return FlushResult::unavailable("no connection could be set up (curl_easy_init failed)");
  FlushResult result = send_on(*channel, batch);
  release(std::move(channel));
  return result;
}

RequestOutcome OtlpHttpSink::post(OtlpChannel& c, OtlpSignal signal, std::string_view wire_body,
                                  std::uint64_t log_id, const std::vector<std::uint64_t>& offsets) {
  const std::string url = options_.endpoint + std::string(engine::otlp_signal_path(signal)) + endpoint_query_;
  const std::string spool_headers[] = {
      "Spool-Log-Id: " + io::hex_u64(log_id),
      "Spool-First-Offset: " + std::to_string(offsets.front()),
      "Spool-Last-Offset: " + std::to_string(offsets.back()),
      "Spool-Record-Count: " + std::to_string(offsets.size()),
  };
  curl_slist* headers = nullptr;
  bool header_failed = false;
  auto add = [&](const std::string& h) {
    curl_slist* next = curl_slist_append(headers, h.c_str());
    if (next == nullptr) header_failed = true;
    else headers = next;
  };
  for (const std::string& h : fixed_headers_) add(h);
  for (const std::string& h : spool_headers) add(h);
  if (header_failed) {
    curl_slist_free_all(headers);
    RequestOutcome o;
    o.error = "out of memory building request headers";
    return o;
  }

  c.response.clear();
  c.retry_after.clear();
  c.curl_error[0] = '\0';
  curl_easy_setopt(c.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c.curl, CURLOPT_POST, 1L);
  curl_easy_setopt(c.curl, CURLOPT_POSTFIELDS, wire_body.data());
  curl_easy_setopt(c.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(wire_body.size()));
  const CURLcode rc = curl_easy_perform(c.curl);
  curl_easy_setopt(c.curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);

  if (rc != CURLE_OK) {
    RequestOutcome o;
    o.transport_error = true;
    o.outage = transport_outage(rc);
    o.error = scrub("POST " + url + ": " +
                    (c.curl_error[0] != '\0' ? std::string(c.curl_error) : curl_easy_strerror(rc)));
    return o;
  }
  long status = 0;
  curl_easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &status);
  return answer(c, status, offsets.size(), offsets);
}

RequestOutcome OtlpHttpSink::answer(OtlpChannel& c, long status, std::size_t record_count,
                                    const std::vector<std::uint64_t>& offsets) {
  RequestOutcome o;
  if (status >= 200 && status < 300) {
    o.delivered = true;
    const char* content_type = nullptr;
    curl_easy_getinfo(c.curl, CURLINFO_CONTENT_TYPE, &content_type);
    const std::string_view type = content_type != nullptr ? content_type : "";
    const bool json = type.find("json") != std::string_view::npos ||
                      (type.find("protobuf") == std::string_view::npos &&
                       options_.encoding == OtlpHttpOptions::Encoding::kJson);
    Result<engine::OtlpPartialSuccess> partial =
        engine::parse_otlp_export_response(c.response, json);
    // An unreadable 2xx body is still an acceptance: the status code is what OTLP/HTTP defines.
    if (!partial.is_ok() || partial->rejected <= 0) return o;
    std::vector<std::uint64_t> named;
    if (engine::parse_rejected_offsets(partial->error_message, &named)) {
      // Only offsets of this request count; anything else the receiver named is not ours.
      for (std::uint64_t offset : named) {
        if (std::binary_search(offsets.begin(), offsets.end(), offset)) o.rejected_offsets.push_back(offset);
      }
      std::sort(o.rejected_offsets.begin(), o.rejected_offsets.end());
      o.rejected_offsets.erase(std::unique(o.rejected_offsets.begin(), o.rejected_offsets.end()),
                               o.rejected_offsets.end());
    }
    const auto rejected = std::min<std::uint64_t>(static_cast<std::uint64_t>(partial->rejected), record_count);
    if (rejected > o.rejected_offsets.size()) o.rejected_unnamed = rejected - o.rejected_offsets.size();
    o.error = scrub("partial success: " + std::to_string(partial->rejected) + " rejected: " +
                    partial->error_message.substr(0, kErrorBodyBytes));
    return o;
  }
  o.error = scrub("HTTP " + std::to_string(status) + ": " + c.response.substr(0, kErrorBodyBytes));
  if (status == 429 || status == 503) o.retry_after_ms = retry_after_ms(c.retry_after);
  // engine/sinks/otlp/http_answer_class.h is the table; only a plain refusal is permanent.
  const HttpAnswerClass cls = classify_http_status(status);
  o.retryable = cls != HttpAnswerClass::kRefused;
  o.too_large = cls == HttpAnswerClass::kTooLarge;
  o.outage = outage_of(cls, options_.server_errors_are_outages);
  return o;
}

FlushResult OtlpHttpSink::send_on(OtlpChannel& c, const ForwardBatch& batch) {
  FlushResult result;
  c.malformed.clear();
  std::vector<std::uint64_t> failed;
  std::string errors;
  bool any_retryable_failure = false;
  bool only_unavailable = true;  // every failure so far was the receiver being away
  SinkOutage outage = SinkOutage::kNone;
  bool too_large = false;
  bool connection_down = false;
  std::string connection_error;
  auto note_error = [&](const std::string& e) {
    if (e.empty()) return;
    if (!errors.empty()) errors += "; ";
    errors += e;
  };

  for (OtlpSignal signal : engine::kOtlpSignals) {
    const std::size_t malformed_before = c.malformed.size();
    const std::string_view request = encode(c, batch, signal);
    if (request.empty()) continue;
    c.offsets.clear();
    for (const ForwardRecord& r : batch.records) {
      if (engine::otlp_signal_for(r.kind) == signal) c.offsets.push_back(r.offset);
    }
    if (c.malformed.size() != malformed_before) {  // rare: leave out what the body left out
      std::erase_if(c.offsets, [&](std::uint64_t o) {
        return std::find(c.malformed.begin() + static_cast<std::ptrdiff_t>(malformed_before),
                         c.malformed.end(), o) != c.malformed.end();
      });
    }
    std::sort(c.offsets.begin(), c.offsets.end());
    if (connection_down) {  // the receiver is unreachable: do not wait out more timeouts
      failed.insert(failed.end(), c.offsets.begin(), c.offsets.end());
      continue;
    }
    Result<std::string_view> wire = c.compressor->encode(request);
    if (!wire.is_ok()) {
      failed.insert(failed.end(), c.offsets.begin(), c.offsets.end());
      any_retryable_failure = true;
      only_unavailable = false;
      note_error(wire.status().to_string());
      continue;
    }
    result.bytes_sent += wire->size();
    RequestOutcome o = post(c, signal, *wire, batch.log_id, c.offsets);
    if (o.delivered) {
      failed.insert(failed.end(), o.rejected_offsets.begin(), o.rejected_offsets.end());
      if (!o.rejected_offsets.empty()) {
        any_retryable_failure = true;
        only_unavailable = false;
      }
      result.rejected_unnamed += o.rejected_unnamed;
      note_error(o.error);
      continue;
    }
    failed.insert(failed.end(), c.offsets.begin(), c.offsets.end());
    any_retryable_failure = any_retryable_failure || o.retryable;
    only_unavailable = only_unavailable && o.outage != SinkOutage::kNone;
    outage = engine::worse_outage(outage, o.outage);
    too_large = too_large || o.too_large;
    result.retry_after_ms = std::max(result.retry_after_ms, o.retry_after_ms);
    note_error(o.error);
    if (o.transport_error) connection_down = true;
  }

  if (!c.malformed.empty()) {
    only_unavailable = false;
    failed.insert(failed.end(), c.malformed.begin(), c.malformed.end());
    note_error(std::to_string(c.malformed.size()) +
               " malformed record(s) (not valid FlatBuffers of their kind)");
  }
  if (failed.empty()) {
    result.error = std::move(errors);  // a partial_success that only counted: say why
    return result;
  }
  std::sort(failed.begin(), failed.end());
  failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
  // Permanent only if every failure was (a 4xx, a malformed record): otherwise let the retries
  // and, after them, the dead-letter log sort it out.
  const bool retryable = any_retryable_failure;
  if (failed.size() >= batch.records.size()) {
    FlushResult f = FlushResult::failed(std::move(errors), retryable, result.retry_after_ms);
    f.outage = only_unavailable ? outage : SinkOutage::kNone;
    f.payload_too_large = too_large;
    f.bytes_sent = result.bytes_sent;
    f.rejected_unnamed = result.rejected_unnamed;
    return f;
  }
  FlushResult p = FlushResult::partial(std::move(failed), std::move(errors), retryable);
  p.payload_too_large = too_large;
  p.retry_after_ms = result.retry_after_ms;
  p.bytes_sent = result.bytes_sent;
  p.rejected_unnamed = result.rejected_unnamed;
  return p;
}

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  // RFC 9110 token characters.
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

Status check_readable(const std::string& path, const char* what) {
  if (path.empty()) return Status::ok();
  if (::access(path.c_str(), R_OK) != 0) {
    return Status::invalid_argument(std::string(what) + " " + path + " cannot be read: " + std::strerror(errno));
  }
  return Status::ok();
}

Status validate(const OtlpHttpOptions& o) {
  const std::string shown = redact_secrets(o.endpoint);  // error messages never echo secrets
  std::string_view rest = o.endpoint;
  const bool https = rest.starts_with("https://");
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  else if (https) rest.remove_prefix(8);
  else return Status::invalid_argument("OTLP endpoint '" + shown + "' must start with http:// or https://");
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return Status::invalid_argument("OTLP endpoint '" + shown + "' names no host");
  }
  if (url_has_userinfo(o.endpoint)) {
    return Status::invalid_argument("OTLP endpoint '" + shown +
                                    "' carries credentials (user:password@host); they would be stored "
                                    "and printed with every error: give them as a header instead "
                                    "(e.g. spoolctl forward --header-file FILE with 'Authorization: ...')");
  }
  if (std::any_of(o.endpoint.begin(), o.endpoint.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return Status::invalid_argument("OTLP endpoint '" + shown + "' contains spaces or control characters");
  }
  const bool tls_options = !o.ca_file.empty() || !o.client_cert_file.empty() || !o.client_key_file.empty() ||
                           o.tls_min_version != OtlpHttpOptions::TlsVersion::kDefault || o.insecure_skip_verify;
  if (tls_options && !https) {
    return Status::invalid_argument("TLS options (CA file, client certificate or key, minimum version, "
                                    "insecure) need an https:// endpoint, got '" + shown + "'");
  }
  if (!o.client_key_file.empty() && o.client_cert_file.empty()) {
    return Status::invalid_argument("a TLS client key needs its client certificate");
  }
  SPOOL_RETURN_IF_ERROR(check_readable(o.ca_file, "CA file"));
  SPOOL_RETURN_IF_ERROR(check_readable(o.client_cert_file, "client certificate"));
  SPOOL_RETURN_IF_ERROR(check_readable(o.client_key_file, "client key"));
  if (!o.proxy.empty()) {
    if (o.proxy.find("://") == std::string::npos ||
        std::any_of(o.proxy.begin(), o.proxy.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
      return Status::invalid_argument("proxy '" + redact_secrets(o.proxy) +
                                      "' must be a URL such as http://HOST:PORT or socks5h://HOST:PORT");
    }
  }
  if (o.connect_timeout_ms == 0 || o.request_timeout_ms == 0) {
    return Status::invalid_argument("OTLP connect and request timeouts must be > 0 ms");
  }
  for (const auto& [name, value] : o.headers) {
    if (!valid_header_name(name)) return Status::invalid_argument("invalid HTTP header name '" + name + "'");
    if (!valid_header_value(value)) {
      return Status::invalid_argument("HTTP header '" + name + "' has a value with CR, LF or NUL");
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Sink>> make_otlp_http_sink(OtlpHttpOptions options) {
  SPOOL_RETURN_IF_ERROR(validate(options));
  // curl_global_init is not thread-safe and curl_easy_init would call it implicitly: do it
  // once, here, before any handle exists.
  static std::once_flag curl_init_once;
  static CURLcode curl_init_rc = CURLE_OK;
  std::call_once(curl_init_once, [] { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_rc != CURLE_OK) {
    return Status::unavailable(std::string("curl_global_init failed: ") + curl_easy_strerror(curl_init_rc));
  }
  auto first = make_channel(options);
  if (!first.is_ok()) return first.status();
  return std::unique_ptr<Sink>(new OtlpHttpSink(std::move(options), std::move(first).value()));
}

}  // namespace spool
