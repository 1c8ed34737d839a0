// OtlpProtobufEncoder: records built with RecordEncoder come out as OTLP/protobuf requests,
// checked with an independent field walker written here from the opentelemetry-proto field
// numbers: nesting (request -> resource/scope -> items), ids, names, times, attributes
// (including spool.idempotency_key), events, status, log bodies, metric data points.
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/sinks/otlp/protobuf_writer.h"
#include "spool/record_encoder.h"
#include "tools/standard_span.h"
#include "support/otlp_records.h"
#include "support/test_batch.h"

namespace spool::engine {
namespace {

using testing::TestBatch;

// ---- a protobuf walker, independent of the encoder's writer ----

struct Field {
  std::uint32_t number = 0;
  std::uint32_t type = 0;
  std::uint64_t value = 0;  // varint, fixed64, fixed32
  std::string_view bytes;   // length-delimited
};

bool read_varint(std::string_view in, std::size_t& pos, std::uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = static_cast<unsigned char>(in[pos++]);
    *v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Every field of a message; fails the test if the bytes are not a valid message.
std::vector<Field> fields(std::string_view msg) {
  std::vector<Field> out;
  std::size_t pos = 0;
  while (pos < msg.size()) {
    std::uint64_t key = 0;
    if (!read_varint(msg, pos, &key)) {
      ADD_FAILURE() << "truncated key";
      return out;
    }
    Field f;
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.type = static_cast<std::uint32_t>(key & 7);
    EXPECT_NE(f.number, 0u);
    switch (f.type) {
      case 0:
        if (!read_varint(msg, pos, &f.value)) {
          ADD_FAILURE() << "truncated varint";
          return out;
        }
        break;
      case 1:
        if (pos + 8 > msg.size()) {
          ADD_FAILURE() << "truncated fixed64";
          return out;
        }
        std::memcpy(&f.value, msg.data() + pos, 8);
        pos += 8;
        break;
      case 2: {
        std::uint64_t n = 0;
        if (!read_varint(msg, pos, &n) || n > msg.size() - pos) {
          ADD_FAILURE() << "bad length";
          return out;
        }
        // Canonical lengths: the shortest varint (the writer back-patches them).
        f.bytes = msg.substr(pos, n);
        pos += n;
        break;
      }
      case 5: {
        if (pos + 4 > msg.size()) {
          ADD_FAILURE() << "truncated fixed32";
          return out;
        }
        std::uint32_t v = 0;
        std::memcpy(&v, msg.data() + pos, 4);
        f.value = v;
        pos += 4;
        break;
      }
      default:
        ADD_FAILURE() << "wire type " << f.type;
        return out;
    }
    if (pos > msg.size()) {
      ADD_FAILURE() << "field " << f.number << " runs past the message";
      return out;
    }
    out.push_back(f);
  }
  return out;
}

std::vector<Field> all(std::string_view msg, std::uint32_t number) {
  std::vector<Field> out;
  for (const Field& f : fields(msg))
    if (f.number == number) out.push_back(f);
  return out;
}

Field one(std::string_view msg, std::uint32_t number) {
  auto v = all(msg, number);
  EXPECT_EQ(v.size(), 1u) << "field " << number;
  return v.empty() ? Field{} : v[0];
}

bool has(std::string_view msg, std::uint32_t number) { return !all(msg, number).empty(); }

// AnyValue (common.proto) as text: "s:<string>", "i:<int>", "d:<double>", "b:<0|1>", "y:<bytes>".
std::string any_value(std::string_view any) {
  const auto f = fields(any);
  if (f.size() != 1) return "?";
  switch (f[0].number) {
    case 1:
      return "s:" + std::string(f[0].bytes);
    case 2:
      return "b:" + std::to_string(f[0].value);
    case 3:
      return "i:" + std::to_string(static_cast<std::int64_t>(f[0].value));
    case 4:
      return "d:" + std::to_string(std::bit_cast<double>(f[0].value));
    case 7:
      return "y:" + std::string(f[0].bytes);
  }
  return "?";
}

// KeyValue list (field `number` of msg) as key -> any_value text.
std::map<std::string, std::string> attributes(std::string_view msg, std::uint32_t number) {
  std::map<std::string, std::string> out;
  for (const Field& kv : all(msg, number)) {
    const std::string key(one(kv.bytes, 1).bytes);
    EXPECT_EQ(out.count(key), 0u) << "duplicate attribute " << key;
    out[key] = any_value(one(kv.bytes, 2).bytes);
  }
  return out;
}

// request -> ResourceX(1) -> ScopeX(2) -> items(2); also checks resource and scope.
std::vector<std::string_view> items(std::string_view request, const std::string& service) {
  const Field resource_items = one(request, 1);
  const auto resource = attributes(one(resource_items.bytes, 1).bytes, 1);
  EXPECT_EQ(resource.at("service.name"), "s:" + service);
  const Field scope_items = one(resource_items.bytes, 2);
  const Field scope = one(scope_items.bytes, 1);
  EXPECT_EQ(one(scope.bytes, 1).bytes, "spool");
  std::vector<std::string_view> out;
  for (const Field& f : all(scope_items.bytes, 2)) out.push_back(f.bytes);
  return out;
}

constexpr std::uint64_t kLogId = 0x00c0ffee00c0ffeeULL;
const std::vector<std::pair<std::string, std::string>> kResource = {{"service.name", "inference-gw"},
                                                                     {"deployment.environment", "test"}};

TraceId trace_id_of(std::uint8_t seed) {
  TraceId id;
  for (std::size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}
SpanId span_id_of(std::uint8_t seed) {
  SpanId id;
  for (std::size_t i = 0; i < 8; ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + 3 * i);
  return id;
}

std::string bytes_of(const TraceId& id) { return std::string(reinterpret_cast<const char*>(id.bytes.data()), 16); }
std::string bytes_of(const SpanId& id) { return std::string(reinterpret_cast<const char*>(id.bytes.data()), 8); }

TEST(IdempotencyKeyText, MatchesIdempotencyKey) {
  for (std::uint64_t log_id : {std::uint64_t{0}, std::uint64_t{1}, kLogId, ~std::uint64_t{0}}) {
    for (std::uint64_t offset : {0ull, 9ull, 10ull, 42ull, 1234567890123ull, ~0ull}) {  // NOLINT
      EXPECT_EQ(IdempotencyKeyText(log_id, offset).view(), idempotency_key(log_id, offset));
    }
  }
}

TEST(OtlpProtobufEncoder, SpansCarryEveryField) {
  const std::array<Attribute, 4> attrs = {Attribute::string("env", "prod"), Attribute::integer("retries", -3),
                                          Attribute::floating("temperature", 0.25),
                                          Attribute::boolean("cached", true)};
  const std::array<Attribute, 1> event_attrs = {Attribute::string("chunk", "1")};
  const std::array<SpanEvent, 1> events = {SpanEvent{"first-token", 1'000'000'500, event_attrs}};
  Span s;
  s.trace_id = trace_id_of(1);
  s.span_id = span_id_of(2);
  s.parent_span_id = span_id_of(3);
  s.name = "llm-call";
  s.type = SpanType::kGeneration;
  s.component_type = "reasoning";
  s.start_ns = 1'000'000'000;
  s.end_ns = 1'000'002'000;
  s.status = SpanStatus::kError;
  s.status_message = "rate limited";
  s.attributes = attrs;
  s.model = "gpt-4";
  s.input = "hello";
  const std::string output(300, 'o');  // > 127 bytes: a 2-byte length inside the span
  s.output = output;
  s.input_tokens = 12;
  s.output_tokens = 345;
  s.events = events;

  Span root;
  root.trace_id = trace_id_of(1);
  root.span_id = span_id_of(9);
  root.name = "tool";
  root.type = SpanType::kTool;
  root.tool_name = "search";
  root.tool_input = "q";
  root.tool_output = "r";

  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(s), 41);
  tb.add(enc.encode(root), 42);
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  std::vector<std::uint64_t> malformed;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kTraces, &out, &malformed), 2u);
  EXPECT_TRUE(malformed.empty());

  const auto spans = items(out, "inference-gw");
  ASSERT_EQ(spans.size(), 2u);
  const std::string_view a = spans[0];
  EXPECT_EQ(one(a, 1).bytes, bytes_of(s.trace_id));
  EXPECT_EQ(one(a, 2).bytes, bytes_of(s.span_id));
  EXPECT_EQ(one(a, 4).bytes, bytes_of(s.parent_span_id));
  EXPECT_EQ(one(a, 5).bytes, "llm-call");
  EXPECT_EQ(one(a, 6).value, 3u);  // SPAN_KIND_CLIENT
  EXPECT_EQ(one(a, 7).type, 1u);   // fixed64
  EXPECT_EQ(one(a, 7).value, 1'000'000'000u);
  EXPECT_EQ(one(a, 8).value, 1'000'002'000u);
  const auto attr = attributes(a, 9);
  EXPECT_EQ(attr.at("env"), "s:prod");
  EXPECT_EQ(attr.at("retries"), "i:-3");
  EXPECT_EQ(attr.at("temperature"), "d:0.250000");
  EXPECT_EQ(attr.at("cached"), "b:1");
  EXPECT_EQ(attr.at("spool.span_type"), "s:generation");
  EXPECT_EQ(attr.at("spool.component_type"), "s:reasoning");
  EXPECT_EQ(attr.at("gen_ai.request.model"), "s:gpt-4");
  EXPECT_EQ(attr.at("gen_ai.usage.input_tokens"), "i:12");
  EXPECT_EQ(attr.at("gen_ai.usage.output_tokens"), "i:345");
  EXPECT_EQ(attr.at("gen_ai.prompt"), "s:hello");
  EXPECT_EQ(attr.at("gen_ai.completion"), "s:" + std::string(300, 'o'));
  EXPECT_EQ(attr.at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 41));
  EXPECT_EQ(attr.count("gen_ai.tool.name"), 0u);
  const auto ev = all(a, 11);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(one(ev[0].bytes, 1).value, 1'000'000'500u);
  EXPECT_EQ(one(ev[0].bytes, 2).bytes, "first-token");
  EXPECT_EQ(attributes(ev[0].bytes, 3).at("chunk"), "s:1");
  const Field status = one(a, 15);
  EXPECT_EQ(one(status.bytes, 3).value, 2u);  // STATUS_CODE_ERROR
  EXPECT_EQ(one(status.bytes, 2).bytes, "rate limited");

  const std::string_view b = spans[1];
  EXPECT_FALSE(has(b, 4));  // root: no parent
  EXPECT_EQ(one(b, 6).value, 1u);  // SPAN_KIND_INTERNAL
  EXPECT_FALSE(has(b, 15));  // status unset
  const auto battr = attributes(b, 9);
  EXPECT_EQ(battr.at("spool.span_type"), "s:tool");
  EXPECT_EQ(battr.at("gen_ai.tool.name"), "s:search");
  EXPECT_EQ(battr.at("gen_ai.tool.call.arguments"), "s:q");
  EXPECT_EQ(battr.at("gen_ai.tool.call.result"), "s:r");
  EXPECT_EQ(battr.at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 42));
}

TEST(OtlpProtobufEncoder, LogsAndOpaqueRecordsAreLogRecords) {
  const std::array<Attribute, 1> attrs = {Attribute::string("logger", "main")};
  LogRecord l;
  l.time_ns = 5'000;
  l.severity_number = 17;
  l.severity_text = "ERROR";
  l.body = "disk full";
  l.attributes = attrs;
  l.trace_id = trace_id_of(7);
  l.span_id = span_id_of(8);
  const std::uint8_t data[] = {0, 1, 2, 0xff};
  RawRecord raw;
  raw.type_tag = "prediction";
  raw.data = data;

  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(l), 10, 6'000);
  tb.add(enc.encode(raw), 11, 7'000);
  tb.add_bytes(RecordKind::kRawFrame, data, 12, 8'000);
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kLogs, &out), 3u);
  const auto logs = items(out, "inference-gw");
  ASSERT_EQ(logs.size(), 3u);

  EXPECT_EQ(one(logs[0], 1).value, 5'000u);   // time_unix_nano
  EXPECT_EQ(one(logs[0], 11).value, 6'000u);  // observed: buffered-at
  EXPECT_EQ(one(logs[0], 2).value, 17u);
  EXPECT_EQ(one(logs[0], 3).bytes, "ERROR");
  EXPECT_EQ(any_value(one(logs[0], 5).bytes), "s:disk full");
  EXPECT_EQ(one(logs[0], 9).bytes, bytes_of(l.trace_id));
  EXPECT_EQ(one(logs[0], 10).bytes, bytes_of(l.span_id));
  const auto a0 = attributes(logs[0], 6);
  EXPECT_EQ(a0.at("logger"), "s:main");
  EXPECT_EQ(a0.at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 10));

  const std::string bytes(reinterpret_cast<const char*>(data), sizeof data);
  EXPECT_EQ(any_value(one(logs[1], 5).bytes), "y:" + bytes);
  EXPECT_EQ(one(logs[1], 1).value, 7'000u);
  EXPECT_EQ(attributes(logs[1], 6).at("spool.record_type"), "s:prediction");
  EXPECT_EQ(attributes(logs[1], 6).at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 11));
  EXPECT_EQ(any_value(one(logs[2], 5).bytes), "y:" + bytes);
  EXPECT_EQ(attributes(logs[2], 6).at("spool.record_type"), "s:raw");
}

TEST(OtlpProtobufEncoder, MetricsBecomeGaugeSumAndHistogram) {
  const std::array<Attribute, 1> attrs = {Attribute::string("host", "a")};
  Metric g;
  g.name = "queue.depth";
  g.unit = "1";
  g.kind = MetricKind::kGauge;
  g.time_ns = 100;
  g.value = 7.5;
  g.attributes = attrs;
  Metric c = g;
  c.name = "requests";
  c.kind = MetricKind::kCounter;
  c.value = 0;  // a zero value is still sent (oneof member)
  const std::array<double, 2> bounds = {1.0, 10.0};
  const std::array<std::uint64_t, 3> counts = {4, 5, 6};
  Metric h;
  h.name = "latency";
  h.unit = "ms";
  h.kind = MetricKind::kHistogram;
  h.time_ns = 200;
  h.count = 15;
  h.sum = 99.5;
  h.bucket_bounds = bounds;
  h.bucket_counts = counts;

  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(g), 1);
  tb.add(enc.encode(c), 2);
  tb.add(enc.encode(h), 3);
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kMetrics, &out), 3u);
  const auto metrics = items(out, "inference-gw");
  ASSERT_EQ(metrics.size(), 3u);

  EXPECT_EQ(one(metrics[0], 1).bytes, "queue.depth");
  EXPECT_EQ(one(metrics[0], 3).bytes, "1");
  const Field gauge = one(metrics[0], 5);
  const Field gdp = one(gauge.bytes, 1);
  EXPECT_EQ(one(gdp.bytes, 3).value, 100u);
  EXPECT_EQ(std::bit_cast<double>(one(gdp.bytes, 4).value), 7.5);
  EXPECT_EQ(attributes(gdp.bytes, 7).at("host"), "s:a");
  EXPECT_EQ(attributes(gdp.bytes, 7).at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 1));

  const Field sum = one(metrics[1], 7);
  EXPECT_EQ(one(sum.bytes, 2).value, 2u);  // CUMULATIVE
  EXPECT_EQ(one(sum.bytes, 3).value, 1u);  // monotonic
  const Field sdp = one(sum.bytes, 1);
  EXPECT_EQ(std::bit_cast<double>(one(sdp.bytes, 4).value), 0.0);

  const Field hist = one(metrics[2], 9);
  EXPECT_EQ(one(hist.bytes, 2).value, 1u);  // DELTA
  const Field hdp = one(hist.bytes, 1);
  EXPECT_EQ(one(hdp.bytes, 3).value, 200u);
  EXPECT_EQ(one(hdp.bytes, 4).value, 15u);
  EXPECT_EQ(std::bit_cast<double>(one(hdp.bytes, 5).value), 99.5);
  const std::string_view packed_counts = one(hdp.bytes, 6).bytes;
  ASSERT_EQ(packed_counts.size(), 24u);
  std::uint64_t c2 = 0;
  std::memcpy(&c2, packed_counts.data() + 16, 8);
  EXPECT_EQ(c2, 6u);
  const std::string_view packed_bounds = one(hdp.bytes, 7).bytes;
  ASSERT_EQ(packed_bounds.size(), 16u);
  double b1 = 0;
  std::memcpy(&b1, packed_bounds.data() + 8, 8);
  EXPECT_EQ(b1, 10.0);
  EXPECT_EQ(attributes(hdp.bytes, 9).at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 3));
}

TEST(OtlpProtobufEncoder, MixedBatchSplitsBySignalAndSkipsMalformed) {
  Span s;
  s.trace_id = trace_id_of(1);
  s.span_id = span_id_of(2);
  s.name = "x";
  LogRecord l;
  l.body = "b";
  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(s), 1);
  tb.add(enc.encode(l), 2);
  const std::uint8_t garbage[16] = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  tb.add_bytes(RecordKind::kSpan, garbage, 3, 0);
  tb.add(enc.encode(s), 4);
  const ForwardBatch batch = tb.batch(kLogId);

  OtlpProtobufEncoder encoder;
  std::string out;
  std::vector<std::uint64_t> malformed;
  EXPECT_EQ(encoder.encode(batch, OtlpSignal::kTraces, &out, &malformed), 2u);
  EXPECT_EQ(malformed, std::vector<std::uint64_t>{3});
  const Field rs = one(out, 1);
  EXPECT_FALSE(has(rs.bytes, 1));  // no resource attributes: no resource
  EXPECT_EQ(all(one(rs.bytes, 2).bytes, 2).size(), 2u);
  EXPECT_EQ(encoder.encode(batch, OtlpSignal::kLogs, &out, &malformed), 1u);
  EXPECT_EQ(encoder.encode(batch, OtlpSignal::kMetrics, &out, &malformed), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(OtlpProtobufEncoder, LargeRequestsKeepCanonicalLengths) {
  // ~3 MB of spans: the request and scope lengths outgrow their 3-byte hint and move.
  const std::string big(100'000, 'x');
  Span s;
  s.trace_id = trace_id_of(1);
  s.span_id = span_id_of(2);
  s.name = "big";
  s.input = big;
  RecordEncoder enc;
  TestBatch tb;
  for (std::uint64_t i = 0; i < 30; ++i) tb.add(enc.encode(s), i);
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kTraces, &out), 30u);
  const auto spans = items(out, "inference-gw");
  ASSERT_EQ(spans.size(), 30u);
  EXPECT_EQ(attributes(spans[29], 9).at("gen_ai.prompt"), "s:" + big);
  EXPECT_EQ(attributes(spans[29], 9).at("spool.idempotency_key"), "s:" + idempotency_key(kLogId, 29));
  // Canonical varint for the outer length: key byte, then exactly varint_size(len) bytes.
  const std::size_t outer = out.size() - 1 - varint_size(one(out, 1).bytes.size());
  EXPECT_EQ(outer, one(out, 1).bytes.size());
}

TEST(OtlpProtobufEncoder, OtlpFieldsHaveTheirWireTypes) {
  // The wire forms this walker sees directly: flags fixed32, sint32 zigzag, packed uint64
  // varints, a record's own resource with the configured attribute it lacks, schema_url.
  TestBatch tb;
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("s");
    testing::OtlpResource r;
    r.has = true;
    r.attributes = {{"service.name", "app"}};
    r.schema_url = "https://opentelemetry.io/schemas/1.24.0";
    const auto resource = testing::build_resource(fbb, r);
    fb::SpanBuilder b(fbb);
    b.add_name(name);
    b.add_flags(0x301);
    b.add_kind(5);
    b.add_resource(resource);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kSpan, testing::bytes_of(fbb), 1);
  }
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kTraces, &out), 1u);
  const Field resource_spans = one(out, 1);
  const auto resource = attributes(one(resource_spans.bytes, 1).bytes, 1);
  EXPECT_EQ(resource.at("service.name"), "s:app");                // the record's own
  EXPECT_EQ(resource.at("deployment.environment"), "s:test");     // configured, filling a gap
  EXPECT_EQ(one(resource_spans.bytes, 3).bytes, "https://opentelemetry.io/schemas/1.24.0");
  const Field span = one(one(resource_spans.bytes, 2).bytes, 2);
  const Field flags = one(span.bytes, 16);
  EXPECT_EQ(flags.type, 5u);  // fixed32
  EXPECT_EQ(flags.value, 0x301u);
  EXPECT_EQ(one(span.bytes, 6).value, 5u);  // kind CONSUMER, not derived from the type

  TestBatch mb;
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("size");
    const auto pos = fbb.CreateVector(std::vector<std::uint64_t>{1, 300});
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::ExponentialHistogram);
    b.add_scale(-2);
    b.add_positive_offset(-3);
    b.add_positive_bucket_counts(pos);
    fbb.Finish(b.Finish());
    mb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 2);
  }
  ASSERT_EQ(encoder.encode(mb.batch(kLogId), OtlpSignal::kMetrics, &out), 1u);
  const Field metric = one(one(one(out, 1).bytes, 2).bytes, 2);
  const Field point = one(one(metric.bytes, 10).bytes, 1);  // exponential_histogram.data_points
  EXPECT_EQ(one(point.bytes, 6).value, 3u);                 // sint32 -2, zigzag
  const Field positive = one(point.bytes, 8);
  EXPECT_EQ(one(positive.bytes, 1).value, 5u);              // sint32 -3, zigzag
  EXPECT_EQ(one(positive.bytes, 2).bytes, std::string("\x01\xac\x02", 3));  // packed varints 1, 300
}

TEST(OtlpProtobufEncoder, StandardSpanEncodeTime) {
  // Not an assertion on time (see DESIGN.md): a figure printed for the record.
  tools::StandardSpanSet set(1024);
  RecordEncoder enc;
  TestBatch tb;
  for (std::size_t i = 0; i < set.size(); ++i) tb.add(enc.encode(set.spans()[i]), i);
  const ForwardBatch batch = tb.batch(kLogId);
  OtlpProtobufEncoder encoder(kResource);
  std::string out;
  ASSERT_EQ(encoder.encode(batch, OtlpSignal::kTraces, &out), set.size());
  EXPECT_EQ(items(out, "inference-gw").size(), set.size());
  const int rounds = 50;
  // Thread CPU time, not wall time: the figure should not depend on what else the machine runs.
  auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  const double t0 = cpu_ns();
  for (int i = 0; i < rounds; ++i) encoder.encode(batch, OtlpSignal::kTraces, &out);
  const double ns = (cpu_ns() - t0) / (rounds * static_cast<double>(set.size()));
  std::printf("[ figure ] OTLP/protobuf encode: %.0f ns per standard span, %.0f bytes per span\n", ns,
              static_cast<double>(out.size()) / static_cast<double>(set.size()));
}

}  // namespace
}  // namespace spool::engine
