// make_otlp_http_sink against a cpp-httplib server on 127.0.0.1: what goes on the wire (paths,
// Content-Type / Content-Encoding, Spool-* and user headers, decodable bodies, keep-alive) and
// what each kind of answer becomes (success, partial success by offsets or by count, 429 with
// Retry-After, 5xx, 4xx, connection refused, timeout).
#include "spool/otlp_http_sink.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <zstd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spool/record_encoder.h"
#include "support/test_batch.h"

namespace spool {
namespace {

using testing::TestBatch;

// The log id of every test batch.
constexpr std::uint64_t kLogId = 0xfeedface12345678ULL;

using Clock = std::chrono::steady_clock;

// ---- the server ----

struct Captured {
  std::string path;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;  // Content-Encoding undone
  std::size_t wire_bytes = 0;
  int remote_port = 0;
};

class FakeCollector {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  FakeCollector() {
    server_.set_keep_alive_timeout(1);
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      Handler h;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(capture(req));
        h = handler_;
      }
      res.status = 200;
      if (h) h(req, res);
    };
    for (const char* path : {"/v1/traces", "/v1/logs", "/v1/metrics"}) server_.Post(path, handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the server runs: wait, so destruction never hangs.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeCollector() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void respond(Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<Captured> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  static Captured capture(const httplib::Request& req) {
    Captured c;
    c.path = req.path;
    for (const auto& [k, v] : req.headers) {
      std::string lower = k;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.headers[lower] = v;
    }
    c.wire_bytes = req.body.size();
    c.remote_port = req.remote_port;
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (encoding == "zstd") {
      const auto size = ZSTD_getFrameContentSize(req.body.data(), req.body.size());
      if (size != ZSTD_CONTENTSIZE_ERROR && size != ZSTD_CONTENTSIZE_UNKNOWN) {
        c.body.resize(size);
        const std::size_t n = ZSTD_decompress(c.body.data(), c.body.size(), req.body.data(), req.body.size());
        if (ZSTD_isError(n)) c.body = "<zstd error>";
      }
    } else {
      // cpp-httplib (built with zlib) has already undone gzip.
      c.body = req.body;
    }
    return c;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  Handler handler_;
  std::vector<Captured> requests_;
};

// ---- protobuf bodies ----

bool varint(std::string_view in, std::size_t& pos, std::uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(in[pos++]);
    *v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}
// Length-delimited fields `number` of msg (other wire types skipped).
std::vector<std::string_view> submessages(std::string_view msg, std::uint32_t number) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < msg.size()) {
    std::uint64_t key = 0, v = 0;
    if (!varint(msg, pos, &key)) break;
    const auto type = key & 7;
    if (type == 0) varint(msg, pos, &v);
    else if (type == 1) pos += 8;
    else if (type == 5) pos += 4;
    else if (type == 2) {
      if (!varint(msg, pos, &v) || v > msg.size() - pos) break;
      if ((key >> 3) == number) out.push_back(msg.substr(pos, v));
      pos += v;
    } else break;
  }
  return out;
}
// Items (spans / log records / metrics) of an Export*ServiceRequest.
std::size_t item_count(std::string_view request) {
  std::size_t n = 0;
  for (auto rs : submessages(request, 1))
    for (auto ss : submessages(rs, 2)) n += submessages(ss, 2).size();
  return n;
}

// ExportTraceServiceResponse { partial_success = 1 { rejected = 1; error_message = 2 } }.
std::string partial_success_protobuf(std::uint64_t rejected, const std::string& message) {
  std::string inner;
  inner.push_back(0x08);
  inner.push_back(static_cast<char>(rejected));  // < 128 in these tests
  inner.push_back(0x12);
  inner.push_back(static_cast<char>(message.size()));
  inner += message;
  std::string out;
  out.push_back(0x0a);
  out.push_back(static_cast<char>(inner.size()));
  return out + inner;
}

// ---- batches ----


Span test_span() {
  Span s;
  s.trace_id.bytes[0] = 1;
  s.span_id.bytes[0] = 2;
  s.name = "llm-call";
  s.start_ns = 1;
  s.end_ns = 2;
  return s;
}

// Spans at offsets 10, 11, 12.
TestBatch spans_batch() {
  RecordEncoder enc;
  TestBatch tb(kLogId);
  for (std::uint64_t o = 10; o <= 12; ++o) tb.add(enc.encode(test_span()), o);
  return tb;
}

// Span 20, log 21, metric 22, span 23.
TestBatch mixed_batch() {
  RecordEncoder enc;
  TestBatch tb(kLogId);
  LogRecord l;
  l.body = "hello";
  Metric m;
  m.name = "m";
  m.value = 1;
  tb.add(enc.encode(test_span()), 20);
  tb.add(enc.encode(l), 21);
  tb.add(enc.encode(m), 22);
  tb.add(enc.encode(test_span()), 23);
  return tb;
}

std::unique_ptr<Sink> make_sink(const FakeCollector& c, OtlpHttpOptions o = {}) {
  o.endpoint = c.endpoint();
  auto sink = make_otlp_http_sink(std::move(o));
  EXPECT_TRUE(sink.is_ok()) << sink.status().to_string();
  return sink.is_ok() ? std::move(sink).value() : nullptr;
}

TEST(OtlpHttpSink, PostsProtobufWithSpoolAndUserHeaders) {
  FakeCollector c;
  OtlpHttpOptions o;
  o.headers = {{"Authorization", "Bearer s3cret"}};
  o.resource_attributes = {{"service.name", "gw"}};
  auto sink = make_sink(c, o);
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->name(), "otlp-http");
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;
  const auto reqs = c.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const Captured& q = reqs[0];
  EXPECT_EQ(q.path, "/v1/traces");
  EXPECT_EQ(q.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(q.headers.at("content-encoding"), "zstd");
  EXPECT_EQ(q.headers.at("authorization"), "Bearer s3cret");
  EXPECT_EQ(q.headers.at("spool-log-id"), "feedface12345678");
  EXPECT_EQ(q.headers.at("spool-first-offset"), "10");
  EXPECT_EQ(q.headers.at("spool-last-offset"), "12");
  EXPECT_EQ(q.headers.at("spool-record-count"), "3");
  EXPECT_EQ(item_count(q.body), 3u);
  EXPECT_NE(q.body.find(idempotency_key(kLogId, 12)), std::string::npos);
  EXPECT_EQ(r.bytes_sent, q.wire_bytes);
  EXPECT_LT(r.bytes_sent, q.body.size() + 64);
}

TEST(OtlpHttpSink, JsonWithGzipAndConnectionReuse) {
  FakeCollector c;
  OtlpHttpOptions o;
  o.encoding = OtlpHttpOptions::Encoding::kJson;
  o.compression = OtlpHttpOptions::Compression::kGzip;
  o.compression_level = 6;
  auto sink = make_sink(c, o);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  EXPECT_EQ(sink->send(tb.batch()).outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(sink->send(tb.batch()).outcome, FlushResult::Outcome::kSucceeded);
  const auto reqs = c.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(reqs[0].headers.at("content-encoding"), "gzip");
  const auto j = nlohmann::json::parse(reqs[0].body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << reqs[0].body;
  const auto& spans = j["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0]["traceId"], "01000000000000000000000000000000");
  EXPECT_EQ(reqs[0].remote_port, reqs[1].remote_port);  // one kept-alive connection
}

TEST(OtlpHttpSink, MixedBatchMakesOneRequestPerSignal) {
  FakeCollector c;
  OtlpHttpOptions o;
  o.compression = OtlpHttpOptions::Compression::kNone;
  auto sink = make_sink(c, o);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = mixed_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kSucceeded) << r.error;
  const auto reqs = c.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].path, "/v1/traces");
  EXPECT_EQ(reqs[0].headers.at("spool-record-count"), "2");
  EXPECT_EQ(reqs[0].headers.at("spool-first-offset"), "20");
  EXPECT_EQ(reqs[0].headers.at("spool-last-offset"), "23");
  EXPECT_EQ(reqs[0].headers.count("content-encoding"), 0u);
  EXPECT_EQ(item_count(reqs[0].body), 2u);
  EXPECT_EQ(reqs[1].path, "/v1/logs");
  EXPECT_EQ(reqs[1].headers.at("spool-first-offset"), "21");
  EXPECT_EQ(reqs[2].path, "/v1/metrics");
  EXPECT_EQ(reqs[2].headers.at("spool-record-count"), "1");
  EXPECT_EQ(r.bytes_sent, reqs[0].wire_bytes + reqs[1].wire_bytes + reqs[2].wire_bytes);
}

TEST(OtlpHttpSink, PartialSuccessNamingOffsetsFailsThem) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.set_content(partial_success_protobuf(2, "spool-rejected-offsets: 11,12"), "application/x-protobuf");
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kPartial);
  EXPECT_EQ(r.failed_offsets, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.rejected_unnamed, 0u);
}

TEST(OtlpHttpSink, PartialSuccessInJson) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"spool-rejected-offsets:10"}})",
                    "application/json");
  });
  OtlpHttpOptions o;
  o.encoding = OtlpHttpOptions::Encoding::kJson;
  auto sink = make_sink(c, o);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kPartial);
  EXPECT_EQ(r.failed_offsets, std::vector<std::uint64_t>{10});
}

TEST(OtlpHttpSink, PartialSuccessWithCountOnlyIsCountedNotRetried) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.set_content(partial_success_protobuf(2, "quota exceeded"), "application/x-protobuf");
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kSucceeded);
  EXPECT_EQ(r.rejected_unnamed, 2u);
  EXPECT_TRUE(r.failed_offsets.empty());
  EXPECT_NE(r.error.find("quota exceeded"), std::string::npos);
}

TEST(OtlpHttpSink, TooManyRequestsHonoursRetryAfterSeconds) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3");
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_TRUE(r.sink_unavailable());  // no retry is used up while the receiver is away
  EXPECT_EQ(r.retry_after_ms, 3000u);
  EXPECT_EQ(r.error.rfind("HTTP 429", 0), 0u) << r.error;
}

TEST(OtlpHttpSink, UnavailableHonoursRetryAfterDate) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    const std::time_t when = std::time(nullptr) + 10;
    std::tm tm{};
    gmtime_r(&when, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    res.set_header("Retry-After", date);
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_TRUE(r.sink_unavailable());  // no retry is used up while the receiver is away
  EXPECT_GT(r.retry_after_ms, 7000u);
  EXPECT_LE(r.retry_after_ms, 10000u);
}

TEST(OtlpHttpSink, ServerErrorsAreRetryable) {
  for (int status : {500, 502, 503, 504}) {
    FakeCollector c;
    c.respond([status](const httplib::Request&, httplib::Response& res) { res.status = status; });
    auto sink = make_sink(c);
    ASSERT_NE(sink, nullptr);
    TestBatch tb = spans_batch();
    const FlushResult r = sink->send(tb.batch());
    EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed) << status;
    EXPECT_TRUE(r.retryable) << status;
    // A gateway or an overloaded receiver is away; a 500 is an answer about these records.
    EXPECT_EQ(r.sink_unavailable(), status != 500) << status;
    EXPECT_EQ(r.retry_after_ms, 0u) << status;
    EXPECT_EQ(r.error.rfind("HTTP " + std::to_string(status), 0), 0u) << r.error;
  }
}

TEST(OtlpHttpSink, BadRequestIsPermanentWithTheBody) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content("bad things" + std::string(2000, '.'), "text/plain");
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_FALSE(r.retryable);
  EXPECT_FALSE(r.sink_unavailable());
  EXPECT_EQ(r.error, "HTTP 400: bad things" + std::string(512 - 10, '.'));
}

TEST(OtlpHttpSink, OneFailedSignalMakesThePartOfTheBatchFail) {
  FakeCollector c;
  c.respond([](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/v1/logs") {
      res.status = 400;
      res.set_content("no logs here", "text/plain");
    }
  });
  auto sink = make_sink(c);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = mixed_batch();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kPartial);
  EXPECT_EQ(r.failed_offsets, std::vector<std::uint64_t>{21});
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error, "HTTP 400: no logs here");
  EXPECT_EQ(c.requests().size(), 3u);
}

TEST(OtlpHttpSink, ConnectionRefusedIsRetryable) {
  std::string endpoint;
  {
    FakeCollector c;
    endpoint = c.endpoint();
  }  // closed: nothing listens on that port now
  OtlpHttpOptions o;
  o.endpoint = endpoint;
  auto sink = make_otlp_http_sink(o);
  ASSERT_TRUE(sink.is_ok());
  TestBatch tb = mixed_batch();
  const FlushResult r = (*sink)->send(tb.batch());
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_TRUE(r.sink_unavailable());  // no retry is used up while the receiver is away
  EXPECT_NE(r.error.find("/v1/traces"), std::string::npos) << r.error;
  // One attempt for the whole batch: the logs and metrics requests were not tried.
  EXPECT_EQ(r.error.find("/v1/logs"), std::string::npos) << r.error;
}

TEST(OtlpHttpSink, RequestTimeoutIsRetryable) {
  FakeCollector c;
  c.respond([](const httplib::Request&, httplib::Response&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  });
  OtlpHttpOptions o;
  o.request_timeout_ms = 300;
  auto sink = make_sink(c, o);
  ASSERT_NE(sink, nullptr);
  TestBatch tb = spans_batch();
  const auto t0 = Clock::now();
  const FlushResult r = sink->send(tb.batch());
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1400));
  EXPECT_EQ(r.outcome, FlushResult::Outcome::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_TRUE(r.sink_unavailable());  // no retry is used up while the receiver is away
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;  // curl: "Operation timed out ..."
}

TEST(OtlpHttpSink, RejectsBadOptions) {
  auto bad = [](OtlpHttpOptions o) { return make_otlp_http_sink(std::move(o)).status().code(); };
  OtlpHttpOptions o;
  for (const char* endpoint : {"", "localhost:4318", "ftp://host", "http://", "http:///v1", "http://a b"}) {
    o.endpoint = endpoint;
    EXPECT_EQ(bad(o), StatusCode::kInvalidArgument) << endpoint;
  }
  o.endpoint = "https://collector.example:4318/";
  EXPECT_TRUE(make_otlp_http_sink(o).is_ok());
  OtlpHttpOptions h = o;
  h.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  EXPECT_EQ(bad(h), StatusCode::kInvalidArgument);
  h.headers = {{"Bad Name", "v"}};
  EXPECT_EQ(bad(h), StatusCode::kInvalidArgument);
  OtlpHttpOptions t = o;
  t.request_timeout_ms = 0;
  EXPECT_EQ(bad(t), StatusCode::kInvalidArgument);
  OtlpHttpOptions l = o;
  l.compression = OtlpHttpOptions::Compression::kGzip;
  l.compression_level = 11;
  EXPECT_EQ(bad(l), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spool
