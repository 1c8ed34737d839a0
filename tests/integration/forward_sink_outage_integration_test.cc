// Auth and configuration failures are outages, not refusals: a real OTLP/HTTP receiver
// answering 401 / 404 / 413 / a TLS mismatch to a Forwarder over a real log. Nothing is
// dead-lettered for them, health names them, and once the receiver takes the requests
// every record arrives (at least once). Error text from a URL with a query token is
// stored and reported only redacted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "engine/forward/dead_letter_log.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "spool/otlp_http_sink.h"
#include "support/forwarder_fixtures.h"
#include "support/otlp_receiver.h"
#include "support/seq_records.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::has_warning;
using testing::open_blocking_buffer;
using testing::OtlpReceiver;
using testing::TempDir;

// Generous: these wait for events; the deadline only ends a broken run.
constexpr auto kDeadline = std::chrono::seconds(120);

bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

ForwarderOptions fast_options() {
  ForwarderOptions o;
  o.flush_interval_ms = 10;
  o.poll_interval_ms = 5;
  o.retry.initial_backoff_ms = 1;
  o.retry.max_backoff_ms = 20;
  o.retry.max_retries = 2;
  o.breaker.failure_threshold = 3;
  o.breaker.cooldown_ms = 10;
  o.breaker.max_cooldown_ms = 40;
  o.batch.initial_records = 64;
  o.batch.min_records = 1;
  o.batch.max_records = 256;
  // One batch at a time: these tests are about outages, not concurrency, and one connection
  // keeps the receiver's httplib workers (not instrumented for ThreadSanitizer) one at a time.
  o.max_in_flight_batches = 1;
  return o;
}

void append_n(Buffer& buffer, std::uint64_t n, std::size_t padding = 32) {
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(testing::append_seq(buffer, 0, i, padding));
  ASSERT_TRUE(buffer.flush());
}

std::unique_ptr<Sink> sink_for(const std::string& endpoint, OtlpHttpOptions o = {}) {
  o.endpoint = endpoint;
  o.request_timeout_ms = 5000;
  auto sink = make_otlp_http_sink(o);
  EXPECT_TRUE(sink) << sink.status().to_string();
  return std::move(*sink);
}

std::uint64_t dead_letter_count(const std::string& dir) {
  auto log = engine::DeadLetterLog::open_read_only(dir);
  return log ? (*log)->count() : 0;
}

// Every offset 0..n-1 of the log delivered at least once.
bool all_delivered(const OtlpReceiver& receiver, std::uint64_t n) {
  return receiver.delivered_keys().size() >= n;
}

// The receiver refuses with `status` until `refusals` requests were refused, then accepts.
void refuse_first(OtlpReceiver& receiver, int status, int refusals, std::string body = "denied") {
  auto count = std::make_shared<std::atomic<int>>(0);
  receiver.set_policy([=](const OtlpReceiver::RequestInfo&) {
    if (count->fetch_add(1) < refusals) return OtlpReceiver::Response::error(status, body);
    return OtlpReceiver::Response::ok();
  });
}

void outage_then_delivery(int status, const std::string& warning) {
  TempDir dir;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  // Far more refusals than max_retries (2) would allow if they counted.
  refuse_first(receiver, status, 40);
  auto buffer = open_blocking_buffer(dir.path());
  constexpr std::uint64_t kRecords = 500;
  append_n(*buffer, kRecords);
  auto fwd = Forwarder::start(*buffer, sink_for(receiver.endpoint()), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();

  ASSERT_TRUE(eventually([&] { return has_warning((*fwd)->health(), warning); })) << warning;
  EXPECT_EQ((*fwd)->stats().session.dead_lettered, 0u);
  ASSERT_TRUE(eventually([&] { return all_delivered(receiver, kRecords); }));
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == kRecords; }));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.session.delivered, kRecords);
  EXPECT_EQ(s.session.dead_lettered, 0u);
  EXPECT_FALSE(has_warning((*fwd)->health(), warning)) << "cleared by the first successful send";
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(dead_letter_count(dir.path()), 0u);
}

TEST(ForwardSinkOutage, ExpiredTokenIsAnOutageNotDeadLetters) { outage_then_delivery(401, "sink_auth"); }

TEST(ForwardSinkOutage, ForbiddenIsAnOutage) { outage_then_delivery(403, "sink_auth"); }

TEST(ForwardSinkOutage, WrongPathIsAMisconfigurationOutage) { outage_then_delivery(404, "sink_misconfigured"); }

TEST(ForwardSinkOutage, TlsToAPlainHttpReceiverIsAMisconfigurationOutage) {
  TempDir dir;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  auto buffer = open_blocking_buffer(dir.path());
  append_n(*buffer, 20);
  // https:// to a port that speaks plain HTTP: the TLS handshake fails.
  const std::string https = "https://127.0.0.1:" + std::to_string(receiver.port());
  auto fwd = Forwarder::start(*buffer, sink_for(https), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().session.failed_sends >= 10; }));
  EXPECT_TRUE(has_warning((*fwd)->health(), "sink_misconfigured"));
  EXPECT_EQ((*fwd)->stats().session.dead_lettered, 0u);
  EXPECT_EQ((*fwd)->stats().cursor_offset, 0u);
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(dead_letter_count(dir.path()), 0u);
}

TEST(ForwardSinkOutage, InsecureTlsIsReportedByHealth) {
  TempDir dir;
  auto buffer = open_blocking_buffer(dir.path());
  OtlpHttpOptions o;
  o.insecure_skip_verify = true;
  auto fwd = Forwarder::start(*buffer, sink_for("https://127.0.0.1:1", o), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  EXPECT_TRUE(has_warning((*fwd)->health(), "tls_insecure"));
  ASSERT_TRUE((*fwd)->stop());
  auto secure = Forwarder::start(*buffer, sink_for("https://127.0.0.1:1"), fast_options());
  ASSERT_TRUE(secure);
  EXPECT_FALSE(has_warning((*secure)->health(), "tls_insecure"));
}

// The receiver refuses bodies above `limit` wire bytes with 413.
void refuse_larger_than(OtlpReceiver& receiver, std::size_t limit) {
  receiver.set_policy([limit](const OtlpReceiver::RequestInfo& info) {
    if (info.wire_bytes > limit) return OtlpReceiver::Response::error(413, "too large");
    return OtlpReceiver::Response::ok();
  });
}

OtlpHttpOptions uncompressed() {
  OtlpHttpOptions o;
  o.compression = OtlpHttpOptions::Compression::kNone;
  return o;
}

TEST(ForwardSinkOutage, PayloadTooLargeSplitsTheBatchUntilItPasses) {
  TempDir dir;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  refuse_larger_than(receiver, 8 * 1024);
  auto buffer = open_blocking_buffer(dir.path());
  constexpr std::uint64_t kRecords = 600;
  append_n(*buffer, kRecords, 200);  // a 256-record batch is far above 8 KiB
  ForwarderOptions options = fast_options();
  options.batch.initial_records = 256;
  auto fwd = Forwarder::start(*buffer, sink_for(receiver.endpoint(), uncompressed()), options);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == kRecords; }));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.session.delivered, kRecords);
  EXPECT_EQ(s.session.dead_lettered, 0u);
  EXPECT_EQ(receiver.delivered_keys().size(), kRecords);
  bool refused_one = false;
  for (const auto& r : receiver.requests()) refused_one = refused_one || r.status == 413;
  EXPECT_TRUE(refused_one) << "the limit was never hit: the test proves nothing";
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(dead_letter_count(dir.path()), 0u);
}

TEST(ForwardSinkOutage, OnlyASingleRecordStillTooLargeIsDeadLettered) {
  TempDir dir;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  refuse_larger_than(receiver, 4 * 1024);
  auto buffer = open_blocking_buffer(dir.path());
  for (std::uint64_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(testing::append_seq(*buffer, 0, i, i == 17 ? 16 * 1024 : 64));
  }
  ASSERT_TRUE(buffer->flush());
  auto fwd = Forwarder::start(*buffer, sink_for(receiver.endpoint(), uncompressed()), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == 40; }));
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.session.delivered, 39u);
  EXPECT_EQ(s.session.dead_lettered, 1u);
  ASSERT_TRUE((*fwd)->stop());
  auto dead = engine::DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(dead);
  auto letters = (*dead)->list();
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].offset, 17u);
  EXPECT_NE((*letters)[0].error.find("HTTP 413"), std::string::npos) << (*letters)[0].error;
}

TEST(ForwardSinkOutage, OtherServerErrorsUseTheRetryBudgetUnlessTheyAreOutages) {
  for (const bool outages : {false, true}) {
    TempDir dir;
    OtlpReceiver receiver;
    ASSERT_TRUE(receiver.start());
    refuse_first(receiver, 500, 30);
    auto buffer = open_blocking_buffer(dir.path());
    append_n(*buffer, 10);
    OtlpHttpOptions o;
    o.server_errors_are_outages = outages;
    ForwarderOptions options = fast_options();
    options.batch.initial_records = 10;
    auto fwd = Forwarder::start(*buffer, sink_for(receiver.endpoint(), o), options);
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == 10; })) << outages;
    const ForwarderStats s = (*fwd)->stats();
    if (outages) {
      EXPECT_EQ(s.session.dead_lettered, 0u);
      EXPECT_EQ(s.session.delivered, 10u);
    } else {
      EXPECT_EQ(s.session.dead_lettered, 10u) << "max_retries 2: dead-lettered after the third failure";
    }
    ASSERT_TRUE((*fwd)->stop());
  }
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ForwardSinkOutage, QueryTokenNeverReachesStoredErrorText) {
  TempDir dir;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.start());
  const std::string secret = "S3cr3tT0k3nValue";
  // The receiver refuses for good and echoes what it was sent, as some do.
  receiver.set_policy([&](const OtlpReceiver::RequestInfo& info) {
    return OtlpReceiver::Response::error(400, "bad request for " + info.path + "?" + info.query);
  });
  auto buffer = open_blocking_buffer(dir.path());
  append_n(*buffer, 5);
  auto fwd = Forwarder::start(*buffer, sink_for(receiver.endpoint() + "?token=" + secret), fast_options());
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  ASSERT_TRUE(eventually([&] { return (*fwd)->stats().cursor_offset == 5; }));
  ASSERT_EQ(receiver.requests().at(0).query, "token=" + secret) << "sent with the token";
  const ForwarderStats s = (*fwd)->stats();
  EXPECT_EQ(s.session.dead_lettered, 5u);
  EXPECT_EQ(s.totals.last_error.find(secret), std::string::npos) << s.totals.last_error;
  EXPECT_NE(s.totals.last_error.find("token=REDACTED"), std::string::npos) << s.totals.last_error;
  for (const HealthWarning& w : (*fwd)->health().warnings) EXPECT_EQ(w.message.find(secret), std::string::npos);
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(file_text(dir.path() + "/cursors/default.cursor").find(secret), std::string::npos);
  auto dead = engine::DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(dead);
  auto letters = (*dead)->list();
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 5u);
  for (const auto& l : *letters) EXPECT_EQ(l.error.find(secret), std::string::npos) << l.error;
}

TEST(ForwardSinkOutage, EndpointWithCredentialsIsRefused) {
  OtlpHttpOptions o;
  o.endpoint = "https://alice:hunter22@127.0.0.1:4318";
  auto sink = make_otlp_http_sink(o);
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink.status().message().find("hunter22"), std::string::npos) << sink.status().message();
  EXPECT_NE(sink.status().message().find("header"), std::string::npos) << sink.status().message();
}

TEST(ForwardSinkOutage, TlsOptionsAreChecked) {
  OtlpHttpOptions o;
  o.endpoint = "http://127.0.0.1:4318";
  o.insecure_skip_verify = true;
  EXPECT_FALSE(make_otlp_http_sink(o)) << "TLS options need https://";
  o.endpoint = "https://127.0.0.1:4318";
  o.insecure_skip_verify = false;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(make_otlp_http_sink(o));
  o.ca_file.clear();
  o.client_key_file = "/etc/hostname";
  EXPECT_FALSE(make_otlp_http_sink(o)) << "a key without its certificate";
  o.client_key_file.clear();
  o.proxy = "http://user:pw12345@proxy:3128";
  o.tls_min_version = OtlpHttpOptions::TlsVersion::kTls13;
  EXPECT_TRUE(make_otlp_http_sink(o));
  o.proxy = "not a url";
  auto bad = make_otlp_http_sink(o);
  ASSERT_FALSE(bad);
}

}  // namespace
}  // namespace spool
