// OtlpReceiver and the OTLP decoder, driven with hand-built request bodies over loopback HTTP.
#include <httplib.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/otlp_decoder.h"
#include "support/otlp_receiver.h"

namespace spool::testing {
namespace {

using namespace std::chrono_literals;

// A tiny protobuf writer, independent of the decoder under test.
class ProtoWriter {
 public:
  ProtoWriter& varint(std::uint32_t field, std::uint64_t v) {
    tag(field, 0);
    raw_varint(v);
    return *this;
  }
  ProtoWriter& fixed64(std::uint32_t field, std::uint64_t v) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  ProtoWriter& dbl(std::uint32_t field, double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, sizeof v);
    return fixed64(field, v);
  }
  ProtoWriter& bytes(std::uint32_t field, std::string_view b) {
    tag(field, 2);
    raw_varint(b.size());
    out_.append(b);
    return *this;
  }
  ProtoWriter& msg(std::uint32_t field, const ProtoWriter& m) { return bytes(field, m.str()); }
  const std::string& str() const { return out_; }

 private:
  void tag(std::uint32_t field, int wire) { raw_varint((std::uint64_t{field} << 3) | wire); }
  void raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

constexpr std::uint64_t kLogId = 0x00c0ffee00c0ffeeULL;

std::string key(std::uint64_t offset) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx-%llu", static_cast<unsigned long long>(kLogId),
                static_cast<unsigned long long>(offset));
  return buf;
}

ProtoWriter string_attr(const std::string& k, const std::string& v) {
  return ProtoWriter().bytes(1, k).msg(2, ProtoWriter().bytes(1, v));
}

ProtoWriter span(std::uint64_t offset) {
  const std::string trace_id(16, '\x11'), span_id = "\x01\x02\x03\x04\x05\x06\x07" + std::string(1, char(offset));
  return ProtoWriter()
      .bytes(1, trace_id)
      .bytes(2, span_id)
      .bytes(3, "tracestate-ignored")
      .bytes(5, "span-" + std::to_string(offset))
      .varint(6, 2)
      .fixed64(7, 1000 + offset)
      .fixed64(8, 2000 + offset)
      .msg(9, string_attr(kIdempotencyKeyAttribute, key(offset)))
      .msg(9, ProtoWriter().bytes(1, "n").msg(2, ProtoWriter().varint(3, static_cast<std::uint64_t>(-5))))
      .msg(9, ProtoWriter().bytes(1, "b").msg(2, ProtoWriter().varint(2, 1)))
      .msg(9, ProtoWriter().bytes(1, "d").msg(2, ProtoWriter().dbl(4, 0.5)))
      .msg(9, ProtoWriter().bytes(1, "arr").msg(2, ProtoWriter().msg(5, ProtoWriter()
                                                                         .msg(1, ProtoWriter().bytes(1, "x"))
                                                                         .msg(1, ProtoWriter().varint(3, 7)))));
}

// ExportTraceServiceRequest with one resource and one scope holding spans for `offsets`.
std::string trace_request(const std::vector<std::uint64_t>& offsets) {
  ProtoWriter scope;
  scope.msg(1, ProtoWriter().bytes(1, "test-scope"));
  for (auto o : offsets) scope.msg(2, span(o));
  ProtoWriter resource;
  resource.msg(1, ProtoWriter().msg(1, string_attr("service.name", "svc"))).msg(2, scope);
  return ProtoWriter().msg(1, resource).str();
}

httplib::Headers spool_headers(std::uint64_t first, std::uint64_t last, std::size_t count) {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(kLogId));
  return {{"Spool-Log-Id", id},
          {"Spool-First-Offset", std::to_string(first)},
          {"Spool-Last-Offset", std::to_string(last)},
          {"Spool-Record-Count", std::to_string(count)}};
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Streaming compression: the frame header carries no content size, as a streaming sender's.
std::string zstd_stream(const std::string& in) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(in.size()) + 64, '\0');
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  EXPECT_EQ(ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_continue), 0u);  // no pledged size
  while (ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(cctx);
  out.resize(dst.pos);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  return out;
}

// Walks an Export*ServiceResponse: partial_success (1) { rejected (1, varint), message (2) }.
struct PartialSuccess {
  std::int64_t rejected = 0;
  std::string message;
  bool present = false;
};
PartialSuccess walk_response(const std::string& body) {
  PartialSuccess ps;
  auto read_varint = [](const std::string& b, std::size_t& i) {
    std::uint64_t v = 0;
    for (int shift = 0; i < b.size(); shift += 7) {
      const auto c = static_cast<std::uint8_t>(b[i++]);
      v |= std::uint64_t{c & 0x7fu} << shift;
      if (!(c & 0x80)) break;
    }
    return v;
  };
  std::size_t i = 0;
  while (i < body.size()) {
    const auto tag = read_varint(body, i);
    EXPECT_EQ(tag, (1u << 3) | 2);
    const auto len = read_varint(body, i);
    const std::string inner = body.substr(i, len);
    i += len;
    ps.present = true;
    for (std::size_t j = 0; j < inner.size();) {
      const auto t = read_varint(inner, j);
      if (t == ((1u << 3) | 0)) {
        ps.rejected = static_cast<std::int64_t>(read_varint(inner, j));
      } else {
        EXPECT_EQ(t, (2u << 3) | 2);
        const auto n = read_varint(inner, j);
        ps.message = inner.substr(j, n);
        j += n;
      }
    }
  }
  return ps;
}

class OtlpReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(receiver_.start()); }
  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& content_type = "application/x-protobuf", httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", receiver_.port());
    client.set_read_timeout(5, 0);
    return client.Post(path.c_str(), headers, body, content_type.c_str());
  }
  OtlpReceiver receiver_;
};

TEST_F(OtlpReceiverTest, DecodesProtobufSpansKeysAndHeaders) {
  const auto body = trace_request({10, 11, 12});
  auto res = post("/v1/traces", body, "application/x-protobuf", spool_headers(10, 12, 3));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");  // an empty ExportTraceServiceResponse
  EXPECT_EQ(receiver_.endpoint(), "http://127.0.0.1:" + std::to_string(receiver_.port()));

  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.path, "/v1/traces");
  EXPECT_EQ(r.signal, OtlpSignal::kTraces);
  EXPECT_EQ(r.decode_error, "");
  EXPECT_EQ(r.log_id, kLogId);
  EXPECT_EQ(r.first_offset, 10u);
  EXPECT_EQ(r.last_offset, 12u);
  EXPECT_EQ(r.record_count, 3u);
  EXPECT_EQ(r.spool_headers.size(), 4u);
  EXPECT_EQ(r.wire_bytes, body.size());
  EXPECT_EQ(r.decoded_bytes, body.size());
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.items.size(), 3u);
  const auto& s = r.items[1];
  EXPECT_EQ(s.trace_id_hex, "11111111111111111111111111111111");
  EXPECT_EQ(s.span_id_hex, "010203040506070b");
  EXPECT_EQ(s.name, "span-11");
  EXPECT_EQ(s.start_ns, 1011u);
  EXPECT_EQ(s.end_ns, 2011u);
  EXPECT_EQ(s.idempotency_key(), key(11));
  EXPECT_EQ(s.attributes.at("n"), "-5");
  EXPECT_EQ(s.attributes.at("b"), "true");
  EXPECT_EQ(s.attributes.at("d"), "0.5");
  EXPECT_EQ(s.attributes.at("arr"), "[x,7]");
  EXPECT_EQ(r.offsets, (std::vector<std::uint64_t>{10, 11, 12}));
  EXPECT_EQ(receiver_.delivered_keys(), (std::map<std::string, std::uint64_t>{{key(10), 1}, {key(11), 1}, {key(12), 1}}));
  EXPECT_EQ(receiver_.accepted_record_count(), 3u);
}

TEST_F(OtlpReceiverTest, DecodesProtobufLogsAndMetrics) {
  ProtoWriter log;
  log.fixed64(1, 77).fixed64(11, 78).varint(2, 9).msg(5, ProtoWriter().bytes(1, "hello"))
      .msg(6, string_attr(kIdempotencyKeyAttribute, key(5))).bytes(9, std::string(16, '\xab'))
      .bytes(10, std::string(8, '\xcd')).bytes(12, "evt");
  const auto logs = ProtoWriter().msg(1, ProtoWriter().msg(2, ProtoWriter().msg(2, log))).str();
  ASSERT_EQ(post("/v1/logs", logs)->status, 200);

  auto point = [](std::uint64_t offset, std::uint32_t attr_field) {
    return ProtoWriter().fixed64(2, 1).fixed64(3, 2).msg(attr_field, string_attr(kIdempotencyKeyAttribute, key(offset)));
  };
  ProtoWriter gauge, sum, histogram;
  gauge.msg(1, point(20, 7).fixed64(6, static_cast<std::uint64_t>(-3)));
  sum.msg(1, point(21, 7).dbl(4, 2.25)).varint(2, 2).varint(3, 1);
  histogram.msg(1, point(22, 9).fixed64(4, 4).dbl(5, 10.0).fixed64(6, 4).dbl(7, 1.0)).varint(2, 1);
  ProtoWriter scope;
  scope.msg(2, ProtoWriter().bytes(1, "g").msg(5, gauge))
      .msg(2, ProtoWriter().bytes(1, "s").bytes(3, "ms").msg(7, sum))
      .msg(2, ProtoWriter().bytes(1, "h").msg(9, histogram));
  const auto metrics = ProtoWriter().msg(1, ProtoWriter().msg(2, scope)).str();
  ASSERT_EQ(post("/v1/metrics", metrics)->status, 200);

  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  ASSERT_EQ(reqs[0].items.size(), 1u);
  const auto& l = reqs[0].items[0];
  EXPECT_EQ(l.signal, OtlpSignal::kLogs);
  EXPECT_EQ(l.start_ns, 77u);
  EXPECT_EQ(l.end_ns, 78u);
  EXPECT_EQ(l.value, "hello");
  EXPECT_EQ(l.name, "evt");
  EXPECT_EQ(l.trace_id_hex, std::string(32, 'a').replace(0, 32, "abababababababababababababababab"));
  EXPECT_EQ(l.span_id_hex, "cdcdcdcdcdcdcdcd");
  EXPECT_EQ(l.idempotency_key(), key(5));

  ASSERT_EQ(reqs[1].decode_error, "");
  ASSERT_EQ(reqs[1].items.size(), 3u);
  EXPECT_EQ(reqs[1].items[0].name, "g");
  EXPECT_EQ(reqs[1].items[0].value, "-3");
  EXPECT_EQ(reqs[1].items[1].value, "2.25");
  EXPECT_EQ(reqs[1].items[2].name, "h");
  EXPECT_EQ(reqs[1].items[2].value, "count=4 sum=10");
  EXPECT_EQ(reqs[1].items[2].start_ns, 1u);
  EXPECT_EQ(reqs[1].items[2].end_ns, 2u);
  EXPECT_EQ(reqs[1].offsets, (std::vector<std::uint64_t>{20, 21, 22}));
  EXPECT_EQ(receiver_.delivered_keys().size(), 4u);
}

TEST_F(OtlpReceiverTest, DecodesJsonBodies) {
  const std::string traces = R"({"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},
    "spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"op",
    "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,"kind":2,
    "attributes":[{"key":"spool.idempotency_key","value":{"stringValue":")" + key(1) + R"("}},
                  {"key":"i","value":{"intValue":"42"}},{"key":"by","value":{"bytesValue":"AQL/"}},
                  {"key":"kv","value":{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":false}}]}}}]}]}]}]})";
  auto res = post("/v1/traces", traces, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{}");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  const std::string logs = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"5","body":{"stringValue":"b"},
    "attributes":[{"key":"spool.idempotency_key","value":{"stringValue":")" + key(2) + R"("}}]}]}]}]})";
  ASSERT_EQ(post("/v1/logs", logs, "application/json")->status, 200);
  const std::string metrics = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"m","sum":{"dataPoints":[{"asInt":"9","timeUnixNano":"7","attributes":[{"key":"spool.idempotency_key","value":{"stringValue":")" +
                              key(3) + R"("}}]}]}},
    {"name":"h","histogram":{"dataPoints":[{"count":"2","sum":1.5,"timeUnixNano":"8"}]}}]}]}]})";
  ASSERT_EQ(post("/v1/metrics", metrics, "application/json; charset=utf-8")->status, 200);

  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& r : reqs) EXPECT_EQ(r.decode_error, "") << r.path;
  const auto& s = reqs[0].items.at(0);
  EXPECT_EQ(s.trace_id_hex, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(s.span_id_hex, "eee19b7ec3c1b174");
  EXPECT_EQ(s.start_ns, 1544712660000000000u);
  EXPECT_EQ(s.end_ns, 1544712661000000000u);
  EXPECT_EQ(s.attributes.at("i"), "42");
  EXPECT_EQ(s.attributes.at("by"), "0102ff");
  EXPECT_EQ(s.attributes.at("kv"), "{a=false}");
  EXPECT_EQ(reqs[1].items.at(0).value, "b");
  EXPECT_EQ(reqs[1].items.at(0).start_ns, 5u);
  ASSERT_EQ(reqs[2].items.size(), 2u);
  EXPECT_EQ(reqs[2].items[0].value, "9");
  EXPECT_EQ(reqs[2].items[1].value, "count=2 sum=1.5");
  EXPECT_EQ(receiver_.delivered_keys(), (std::map<std::string, std::uint64_t>{{key(1), 1}, {key(2), 1}, {key(3), 1}}));
}

TEST_F(OtlpReceiverTest, GzipAndZstdBodiesAreDecodedAndWireBytesCounted) {
  std::vector<std::uint64_t> offsets;
  for (std::uint64_t i = 0; i < 200; ++i) offsets.push_back(i);
  const auto body = trace_request(offsets);
  const auto gz = gzip(body);
  const auto zs = zstd_stream(body);
  ASSERT_EQ(post("/v1/traces", gz, "application/x-protobuf", {{"Content-Encoding", "gzip"}})->status, 200);
  ASSERT_EQ(post("/v1/traces", zs, "application/x-protobuf", {{"Content-Encoding", "zstd"}})->status, 200);
  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].content_encoding, "gzip");
  EXPECT_EQ(reqs[0].wire_bytes, gz.size());
  EXPECT_EQ(reqs[1].content_encoding, "zstd");
  EXPECT_EQ(reqs[1].wire_bytes, zs.size());
  for (const auto& r : reqs) {
    EXPECT_EQ(r.decode_error, "");
    EXPECT_EQ(r.decoded_bytes, body.size());
    EXPECT_LT(r.wire_bytes, r.decoded_bytes);
    EXPECT_EQ(r.items.size(), 200u);
  }
  EXPECT_EQ(receiver_.total_wire_bytes(), gz.size() + zs.size());
  EXPECT_EQ(receiver_.total_decoded_bytes(), 2 * body.size());
  const auto keys = receiver_.delivered_keys();
  ASSERT_EQ(keys.size(), 200u);
  for (const auto& [k, n] : keys) EXPECT_EQ(n, 2u) << k;  // duplicates are counted, not hidden
  EXPECT_TRUE(receiver_.wait_for_keys(200, 1s));
  EXPECT_FALSE(receiver_.wait_for_keys(201, 50ms));
}

TEST(OtlpDecoderTest, DecompressionRejectsBrokenStreams) {
  const std::string body = trace_request({1, 2, 3});
  std::string out, error;
  EXPECT_TRUE(decompress_body("identity", body, out, error));
  EXPECT_EQ(out, body);
  const auto gz = gzip(body);
  EXPECT_FALSE(decompress_body("gzip", gz.substr(0, gz.size() - 5), out, error));
  EXPECT_NE(error, "");
  error.clear();
  EXPECT_FALSE(decompress_body("gzip", gz + "junk", out, error));
  error.clear();
  const auto zs = zstd_stream(body);
  EXPECT_TRUE(decompress_body("zstd", zs + zs, out, error)) << error;  // two frames
  EXPECT_EQ(out, body + body);
  EXPECT_FALSE(decompress_body("zstd", zs.substr(0, zs.size() - 3), out, error));
  error.clear();
  EXPECT_FALSE(decompress_body("zstd", "not zstd at all", out, error));
  error.clear();
  EXPECT_FALSE(decompress_body("br", body, out, error));
  error.clear();
  EXPECT_FALSE(decompress_body("gzip", gz, out, error, body.size() - 1));  // over the cap
}

TEST_F(OtlpReceiverTest, MalformedBodiesAnswer400AndAreRecorded) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"truncated varint", std::string("\x0a\xff", 2)},
      {"length past the end", std::string("\x0a\x10\x12\x00", 4)},
      {"wire type 7", std::string("\x0f\x00", 2)},
      {"field number 0", std::string("\x02\x00", 2)},
      {"name as varint", ProtoWriter().msg(1, ProtoWriter().msg(2, ProtoWriter().msg(2, ProtoWriter().varint(5, 1)))).str()},
      {"corrupt gzip", "\x1f\x8b garbage"},
  };
  for (const auto& [what, body] : bad) {
    httplib::Headers h;
    if (what == "corrupt gzip") h.emplace("Content-Encoding", "gzip");
    auto res = post("/v1/traces", body, "application/x-protobuf", h);
    ASSERT_TRUE(res) << what;
    EXPECT_EQ(res->status, 400) << what;
  }
  ASSERT_EQ(post("/v1/traces", "{not json", "application/json")->status, 400);
  ASSERT_EQ(post("/v1/logs", R"({"resourceLogs":{}})", "application/json")->status, 400);
  ASSERT_EQ(post("/v1/traces", trace_request({1}), "text/plain")->status, 400);
  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), bad.size() + 3);
  for (const auto& r : reqs) {
    EXPECT_NE(r.decode_error, "");
    EXPECT_EQ(r.status, 400);
  }
  EXPECT_EQ(receiver_.decode_error_count(), bad.size() + 3);
  EXPECT_TRUE(receiver_.delivered_keys().empty());
  ASSERT_EQ(post("/v1/traces", trace_request({1}))->status, 200);  // still serving
}

TEST(OtlpDecoderTest, SurvivesRandomCorruptionAndDeepNesting) {
  const std::string good = trace_request({1, 2, 3, 4});
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string b = good;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) b[rng() % b.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) b.resize(rng() % b.size());
    (void)decode_otlp_protobuf(OtlpSignal::kTraces, b);
    (void)decode_otlp_protobuf(OtlpSignal::kMetrics, b);
    (void)decode_otlp_json(OtlpSignal::kLogs, b);
  }
  ProtoWriter nested = ProtoWriter().bytes(1, "leaf");
  for (int i = 0; i < 100; ++i) nested = ProtoWriter().msg(5, ProtoWriter().msg(1, nested));
  const auto deep = ProtoWriter().msg(1, ProtoWriter().msg(2, ProtoWriter().msg(2,
      ProtoWriter().msg(9, ProtoWriter().bytes(1, "k").msg(2, nested))))).str();
  EXPECT_NE(decode_otlp_protobuf(OtlpSignal::kTraces, deep).error, "");
}

TEST_F(OtlpReceiverTest, StopRefusesConnectionsAndRestartReusesThePort) {
  const int port = receiver_.port();
  ASSERT_GT(port, 0);
  ASSERT_EQ(post("/v1/traces", trace_request({1}))->status, 200);
  receiver_.stop();
  EXPECT_FALSE(receiver_.running());
  auto refused = post("/v1/traces", trace_request({2}));
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error(), httplib::Error::Connection);
  ASSERT_TRUE(receiver_.restart());
  EXPECT_EQ(receiver_.port(), port);
  ASSERT_EQ(post("/v1/traces", trace_request({3}))->status, 200);
  EXPECT_EQ(receiver_.delivered_keys(), (std::map<std::string, std::uint64_t>{{key(1), 1}, {key(3), 1}}));
  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].sequence, 1u);
}

TEST_F(OtlpReceiverTest, StopClosesKeepAliveConnectionsPromptly) {
  httplib::Client client("127.0.0.1", receiver_.port());
  client.set_keep_alive(true);
  ASSERT_EQ(client.Post("/v1/traces", trace_request({1}), "application/x-protobuf")->status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  receiver_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // idle keep-alive is about 1 s
  auto after = client.Post("/v1/traces", trace_request({2}), "application/x-protobuf");
  EXPECT_FALSE(after && after->status == 200);
  EXPECT_EQ(receiver_.delivered_keys().count(key(2)), 0u);
}

TEST_F(OtlpReceiverTest, PolicyAnswers429WithRetryAfterThen200) {
  receiver_.set_policy([](const OtlpReceiver::RequestInfo& info) {
    return info.sequence == 0 ? OtlpReceiver::Response::error(429, "slow down", "3") : OtlpReceiver::Response::ok();
  });
  auto first = post("/v1/traces", trace_request({1, 2}), "application/x-protobuf", spool_headers(1, 2, 2));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 429);
  EXPECT_EQ(first->get_header_value("Retry-After"), "3");
  EXPECT_EQ(first->body, "slow down");
  EXPECT_TRUE(receiver_.delivered_keys().empty());  // keys of a rejected request are not delivered
  ASSERT_EQ(post("/v1/traces", trace_request({1, 2}))->status, 200);
  EXPECT_EQ(receiver_.delivered_keys(), (std::map<std::string, std::uint64_t>{{key(1), 1}, {key(2), 1}}));
  const auto reqs = receiver_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].status, 429);
  EXPECT_EQ(reqs[0].keys.size(), 2u);  // decoded and recorded, just not delivered
  EXPECT_EQ(receiver_.accepted_record_count(), 2u);
}

TEST_F(OtlpReceiverTest, PolicyAnswers400WithBody) {
  receiver_.set_policy([](const OtlpReceiver::RequestInfo& info) {
    EXPECT_EQ(info.first_offset, 4u);
    EXPECT_EQ(info.offsets, (std::vector<std::uint64_t>{4, 5}));
    return OtlpReceiver::Response::error(400, "bad batch");
  });
  auto res = post("/v1/traces", trace_request({4, 5}), "application/x-protobuf", spool_headers(4, 5, 2));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, "bad batch");
  EXPECT_TRUE(res->get_header_value("Retry-After").empty());
  EXPECT_TRUE(receiver_.delivered_keys().empty());
  EXPECT_EQ(receiver_.accepted_record_count(), 0u);
}

TEST_F(OtlpReceiverTest, PartialSuccessIsAValidExportResponseAndRejectedKeysAreNotDelivered) {
  receiver_.set_policy([](const OtlpReceiver::RequestInfo&) { return OtlpReceiver::Response::partial({11, 15}); });
  auto res = post("/v1/traces", trace_request({10, 11, 12, 15}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-protobuf");
  const auto ps = walk_response(res->body);
  EXPECT_TRUE(ps.present);
  EXPECT_EQ(ps.rejected, 2);
  EXPECT_EQ(ps.message, "spool-rejected-offsets: 11,15");
  EXPECT_EQ(receiver_.delivered_keys(), (std::map<std::string, std::uint64_t>{{key(10), 1}, {key(12), 1}}));
  EXPECT_EQ(receiver_.requests().at(0).rejected_offsets, (std::vector<std::uint64_t>{11, 15}));

  // The JSON form, for a JSON request, per signal.
  const std::string logs = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[
    {"key":"spool.idempotency_key","value":{"stringValue":")" + key(30) + R"("}}]}]}]}]})";
  receiver_.set_policy([](const OtlpReceiver::RequestInfo&) { return OtlpReceiver::Response::partial({30}); });
  auto json_res = post("/v1/logs", logs, "application/json");
  ASSERT_TRUE(json_res);
  const auto doc = nlohmann::json::parse(json_res->body);
  EXPECT_EQ(doc["partialSuccess"]["rejectedLogRecords"], "1");
  EXPECT_EQ(doc["partialSuccess"]["errorMessage"], "spool-rejected-offsets: 30");
  EXPECT_EQ(receiver_.delivered_keys().count(key(30)), 0u);

  // A count-only partial success (no offsets named): every key counts as delivered.
  receiver_.set_policy([](const OtlpReceiver::RequestInfo&) {
    OtlpReceiver::Response r;
    r.rejected_count = 1;
    r.partial_error_message = "quota";
    return r;
  });
  auto unnamed = post("/v1/metrics", ProtoWriter().str());
  ASSERT_TRUE(unnamed);
  const auto ups = walk_response(unnamed->body);
  EXPECT_EQ(ups.rejected, 1);
  EXPECT_EQ(ups.message, "quota");
}

TEST_F(OtlpReceiverTest, DelayedAnswerAndCountOnlyMode) {
  receiver_.set_policy([](const OtlpReceiver::RequestInfo&) {
    OtlpReceiver::Response r;
    r.delay = 150ms;
    return r;
  });
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(post("/v1/traces", trace_request({1}))->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);

  receiver_.set_policy(nullptr);
  receiver_.clear();
  receiver_.set_decode(false);
  const auto body = trace_request({1, 2, 3});
  ASSERT_EQ(post("/v1/traces", body, "application/x-protobuf", spool_headers(1, 3, 3))->status, 200);
  ASSERT_EQ(post("/v1/traces", "garbage is not looked at", "application/x-protobuf", spool_headers(4, 5, 2))->status, 200);
  EXPECT_TRUE(receiver_.wait_for_requests(2, 1s));
  EXPECT_EQ(receiver_.request_count(), 2u);
  EXPECT_EQ(receiver_.accepted_record_count(), 5u);
  EXPECT_EQ(receiver_.total_wire_bytes(), body.size() + 24);
  EXPECT_TRUE(receiver_.requests().empty());
  EXPECT_TRUE(receiver_.delivered_keys().empty());
}

TEST(OtlpDecoderTest, ParsesIdempotencyKeys) {
  const auto k = parse_idempotency_key("00c0ffee00c0ffee-42");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->log_id, 0x00c0ffee00c0ffeeULL);
  EXPECT_EQ(k->offset, 42u);
  EXPECT_FALSE(parse_idempotency_key("00C0FFEE00C0FFEE-42"));  // the convention is lowercase
  EXPECT_FALSE(parse_idempotency_key("00c0ffee00c0ffee-"));
  EXPECT_FALSE(parse_idempotency_key("00c0ffee00c0ffee-4x"));
  EXPECT_FALSE(parse_idempotency_key("c0ffee-42"));
}

}  // namespace
}  // namespace spool::testing
