// OtlpJsonEncoder: the OTLP/JSON mapping, checked with nlohmann::json: lowerCamelCase names,
// hex ids, 64-bit integers as decimal strings, enums as integers, bytes as base64, and JSON
// that stays valid whatever bytes the strings hold.
#include "engine/sinks/otlp/otlp_json_encoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/sinks/base64.h"
#include "engine/sinks/json_text.h"
#include "spool/record_encoder.h"
#include "support/otlp_records.h"
#include "support/test_batch.h"
#include "tools/standard_span.h"

namespace spool::engine {
namespace {

using testing::TestBatch;

using nlohmann::json;


constexpr std::uint64_t kLogId = 0x0123456789abcdefULL;

// attributes array -> key -> value object
std::map<std::string, json> attrs(const json& list) {
  std::map<std::string, json> out;
  for (const json& kv : list) out[kv.at("key").get<std::string>()] = kv.at("value");
  return out;
}

json parse(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text.substr(0, 400);
  return j;
}

TEST(OtlpJsonEncoder, SpanFieldsFollowTheOtlpJsonMapping) {
  const std::array<Attribute, 3> attributes = {Attribute::integer("big", std::numeric_limits<std::int64_t>::min()),
                                               Attribute::floating("ratio", 0.5),
                                               Attribute::boolean("cached", false)};
  const std::array<SpanEvent, 1> events = {SpanEvent{"tok", 12, {}}};
  Span s;
  for (std::size_t i = 0; i < 16; ++i) s.trace_id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (std::size_t i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<std::uint8_t>(i);
  s.parent_span_id.bytes[7] = 1;
  s.name = "llm-call";
  s.type = SpanType::kRetrieval;
  s.start_ns = 1'700'000'000'123'456'789;
  s.end_ns = 1'700'000'001'123'456'789;
  s.status = SpanStatus::kOk;
  s.attributes = attributes;
  s.events = events;
  s.model = "gpt-4";
  s.input_tokens = 4096;

  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(s), 77);
  OtlpJsonEncoder encoder({{{"service.name", "svc"}}});
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kTraces, &out), 1u);
  const json j = parse(out);
  ASSERT_TRUE(j.contains("resourceSpans"));
  const json& rs = j["resourceSpans"][0];
  EXPECT_EQ(attrs(rs["resource"]["attributes"])["service.name"], json({{"stringValue", "svc"}}));
  const json& ss = rs["scopeSpans"][0];
  EXPECT_EQ(ss["scope"]["name"], "spool");
  ASSERT_EQ(ss["spans"].size(), 1u);
  const json& span = ss["spans"][0];
  EXPECT_EQ(span["traceId"], "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  EXPECT_EQ(span["spanId"], "0001020304050607");
  EXPECT_EQ(span["parentSpanId"], "0000000000000001");
  EXPECT_EQ(span["name"], "llm-call");
  EXPECT_EQ(span["kind"], 3);  // enum as integer: CLIENT
  EXPECT_EQ(span["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(span["endTimeUnixNano"], "1700000001123456789");
  EXPECT_EQ(span["status"]["code"], 1);
  EXPECT_FALSE(span["status"].contains("message"));
  EXPECT_EQ(span["events"][0]["name"], "tok");
  EXPECT_EQ(span["events"][0]["timeUnixNano"], "12");
  EXPECT_TRUE(span["events"][0]["attributes"].is_array());
  auto a = attrs(span["attributes"]);
  EXPECT_EQ(a["big"]["intValue"], "-9223372036854775808");
  EXPECT_EQ(a["ratio"]["doubleValue"], 0.5);
  EXPECT_EQ(a["cached"]["boolValue"], false);
  EXPECT_EQ(a["gen_ai.usage.input_tokens"]["intValue"], "4096");
  EXPECT_EQ(a["gen_ai.request.model"]["stringValue"], "gpt-4");
  EXPECT_EQ(a["spool.span_type"]["stringValue"], "retrieval");
  EXPECT_EQ(a["spool.idempotency_key"]["stringValue"], idempotency_key(kLogId, 77));
}

TEST(OtlpJsonEncoder, LogsMetricsAndBytes) {
  LogRecord l;
  l.time_ns = 3;
  l.severity_number = 9;
  l.severity_text = "INFO";
  l.body = "ok";
  const std::uint8_t data[] = {'h', 'i', 0xff};
  RawRecord raw;
  raw.type_tag = "run";
  raw.data = data;
  const std::array<double, 1> bounds = {2.5};
  const std::array<std::uint64_t, 2> counts = {1, std::numeric_limits<std::uint64_t>::max()};
  Metric h;
  h.name = "lat";
  h.kind = MetricKind::kHistogram;
  h.count = 3;
  h.sum = std::nan("");
  h.bucket_bounds = bounds;
  h.bucket_counts = counts;
  Metric c;
  c.name = "n";
  c.kind = MetricKind::kCounter;
  c.value = 2;

  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(l), 1, 4);
  tb.add(enc.encode(raw), 2, 5);
  tb.add(enc.encode(h), 3);
  tb.add(enc.encode(c), 4);
  const ForwardBatch batch = tb.batch(kLogId);
  OtlpJsonEncoder encoder;
  std::string out;
  ASSERT_EQ(encoder.encode(batch, OtlpSignal::kLogs, &out), 2u);
  json j = parse(out);
  const json& logs = j["resourceLogs"][0]["scopeLogs"][0]["logRecords"];
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0]["timeUnixNano"], "3");
  EXPECT_EQ(logs[0]["observedTimeUnixNano"], "4");
  EXPECT_EQ(logs[0]["severityNumber"], 9);
  EXPECT_EQ(logs[0]["severityText"], "INFO");
  EXPECT_EQ(logs[0]["body"]["stringValue"], "ok");
  EXPECT_FALSE(logs[0].contains("traceId"));
  EXPECT_EQ(logs[1]["body"]["bytesValue"], "aGn/");  // base64 of "hi\xff"
  EXPECT_EQ(attrs(logs[1]["attributes"])["spool.record_type"]["stringValue"], "run");
  EXPECT_EQ(attrs(logs[1]["attributes"])["spool.idempotency_key"]["stringValue"], idempotency_key(kLogId, 2));

  ASSERT_EQ(encoder.encode(batch, OtlpSignal::kMetrics, &out), 2u);
  j = parse(out);
  const json& metrics = j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"];
  ASSERT_EQ(metrics.size(), 2u);
  const json& hist = metrics[0]["histogram"];
  EXPECT_EQ(hist["aggregationTemporality"], 1);
  const json& dp = hist["dataPoints"][0];
  EXPECT_EQ(dp["count"], "3");
  EXPECT_EQ(dp["sum"], "NaN");
  EXPECT_EQ(dp["bucketCounts"], json({"1", "18446744073709551615"}));
  EXPECT_EQ(dp["explicitBounds"], json({2.5}));
  EXPECT_EQ(attrs(dp["attributes"])["spool.idempotency_key"]["stringValue"], idempotency_key(kLogId, 3));
  const json& sum = metrics[1]["sum"];
  EXPECT_EQ(sum["aggregationTemporality"], 2);
  EXPECT_EQ(sum["isMonotonic"], true);
  EXPECT_EQ(sum["dataPoints"][0]["asDouble"], 2.0);

  EXPECT_EQ(encoder.encode(batch, OtlpSignal::kTraces, &out), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(OtlpJsonEncoder, AnyBytesInStringsStillMakeValidJson) {
  const std::string nasty = std::string("q\"b\\s/\n\t\x01\x1f", 11) + "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" +
                            std::string("\xff\xc3(\xed\xa0\x80\xe0\x80\xaf", 9);
  LogRecord l;
  l.body = nasty;
  l.severity_text = "\x80";
  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(l), 1);
  OtlpJsonEncoder encoder;
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kLogs, &out), 1u);
  const json j = parse(out);  // nlohmann rejects invalid UTF-8 and bad escapes
  const std::string body = j["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["body"]["stringValue"];
  EXPECT_EQ(body.substr(0, 11), nasty.substr(0, 11));  // escapes round-trip exactly
  EXPECT_NE(body.find("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);  // valid UTF-8 kept
  EXPECT_NE(body.find("\xef\xbf\xbd"), std::string::npos);  // invalid bytes replaced
}

TEST(OtlpJsonEncoder, AppendRecordReportsMalformedPayloads) {
  const std::uint8_t garbage[8] = {0xff, 0xff, 0, 0, 0, 0, 0, 0};
  TestBatch tb;
  tb.add_bytes(RecordKind::kMetric, garbage, 5, 0);
  const ForwardBatch batch = tb.batch(kLogId);
  OtlpJsonEncoder encoder;
  std::string out;
  EXPECT_FALSE(encoder.append_record(batch.records[0], kLogId, &out).is_ok());
  EXPECT_TRUE(out.empty());
  std::vector<std::uint64_t> malformed;
  EXPECT_EQ(encoder.encode(batch, OtlpSignal::kMetrics, &out, &malformed), 0u);
  EXPECT_EQ(malformed, std::vector<std::uint64_t>{5});
}

TEST(OtlpJsonEncoder, OtlpFieldsUseTheJsonMappingsNames) {
  // Field names and value forms of the OTLP-only fields (their values are checked for both
  // encoders in otlp_encoder_origins_test): nested AnyValue, int64/uint64 as strings, enums
  // and uint32 as numbers, resource and scope with their schemaUrl.
  flatbuffers::FlatBufferBuilder fbb;
  const auto name = fbb.CreateString("size");
  const auto description = fbb.CreateString("bytes read");
  std::vector<flatbuffers::Offset<fb::Attribute>> list = {testing::nested_attribute(fbb)};
  const auto attributes = fbb.CreateVector(list);
  const auto pos = fbb.CreateVector(std::vector<std::uint64_t>{4, 18446744073709551615ull});
  testing::OtlpResource resource;
  resource.has = true;
  resource.attributes = {{"service.name", "app"}};
  resource.schema_url = "https://opentelemetry.io/schemas/1.24.0";
  testing::OtlpScope scope;
  scope.has = true;
  scope.name = "lib";
  scope.schema_url = "https://example.test/s";
  const auto r = testing::build_resource(fbb, resource);
  const auto sc = testing::build_scope(fbb, scope);
  fb::MetricBuilder b(fbb);
  b.add_name(name);
  b.add_description(description);
  b.add_kind(fb::MetricKind::ExponentialHistogram);
  b.add_attributes(attributes);
  b.add_count(5);
  b.add_scale(-1);
  b.add_zero_count(2);
  b.add_positive_offset(-2);
  b.add_positive_bucket_counts(pos);
  b.add_flags(1);
  b.add_resource(r);
  b.add_scope(sc);
  fbb.Finish(b.Finish());
  TestBatch tb;
  tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 3);
  OtlpJsonEncoder encoder({{{"service.name", "agent"}, {"host.id", "h1"}}});
  std::string out;
  ASSERT_EQ(encoder.encode(tb.batch(kLogId), OtlpSignal::kMetrics, &out), 1u);
  const json j = parse(out);
  const json& rm = j["resourceMetrics"][0];
  EXPECT_EQ(rm["schemaUrl"], "https://opentelemetry.io/schemas/1.24.0");
  EXPECT_EQ(attrs(rm["resource"]["attributes"]).at("service.name"), json::parse(R"({"stringValue":"app"})"));
  EXPECT_EQ(attrs(rm["resource"]["attributes"]).at("host.id"), json::parse(R"({"stringValue":"h1"})"));
  const json& sm = rm["scopeMetrics"][0];
  EXPECT_EQ(sm["scope"], json::parse(R"({"name":"lib"})"));
  EXPECT_EQ(sm["schemaUrl"], "https://example.test/s");
  const json& m = sm["metrics"][0];
  EXPECT_EQ(m["description"], "bytes read");
  const json& e = m["exponentialHistogram"];
  EXPECT_EQ(e["aggregationTemporality"], 1);
  const json& p = e["dataPoints"][0];
  EXPECT_EQ(p["count"], "5");
  EXPECT_EQ(p["scale"], -1);
  EXPECT_EQ(p["zeroCount"], "2");
  EXPECT_EQ(p["positive"], json::parse(R"({"offset":-2,"bucketCounts":["4","18446744073709551615"]})"));
  EXPECT_EQ(p["flags"], 1);
  EXPECT_FALSE(p.contains("negative"));
  EXPECT_FALSE(p.contains("min"));
  EXPECT_EQ(attrs(p["attributes"]).at("nested"), json::parse(R"({"kvlistValue":{"values":[
      {"key":"list","value":{"arrayValue":{"values":[{"intValue":"7"},{"stringValue":"two"},
                                                    {"bytesValue":"Af8="},{},
                                                    {"arrayValue":{"values":[{"boolValue":true}]}}]}}},
      {"key":"pi","value":{"doubleValue":3.5}}]}})"));
}

TEST(OtlpJsonEncoder, StandardSpanEncodeTime) {
  // Not an assertion on time (see DESIGN.md): a figure printed for the record.
  tools::StandardSpanSet set(1024);
  RecordEncoder enc;
  TestBatch tb;
  for (std::size_t i = 0; i < set.size(); ++i) tb.add(enc.encode(set.spans()[i]), i);
  const ForwardBatch batch = tb.batch(kLogId);
  const std::vector<std::pair<std::string, std::string>> resource = {{"service.name", "inference-gw"}};
  OtlpJsonEncoder encoder(resource);
  std::string out;
  ASSERT_EQ(encoder.encode(batch, OtlpSignal::kTraces, &out), set.size());
  const int rounds = 20;
  // Thread CPU time, not wall time: the figure should not depend on what else the machine runs.
  auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  const double t0 = cpu_ns();
  for (int i = 0; i < rounds; ++i) encoder.encode(batch, OtlpSignal::kTraces, &out);
  const double ns = (cpu_ns() - t0) / (rounds * static_cast<double>(set.size()));
  std::printf("[ figure ] OTLP/JSON encode: %.0f ns per standard span, %.0f bytes per span\n", ns,
              static_cast<double>(out.size()) / static_cast<double>(set.size()));
}

TEST(JsonText, Base64AndNumbers) {
  std::string s;
  const std::uint8_t in[] = {'f', 'o', 'o', 'b', 'a', 'r'};
  for (std::size_t n = 0; n <= 6; ++n) {
    s.clear();
    append_base64(s, in, n);
    static const char* kWant[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    EXPECT_EQ(s, kWant[n]);
  }
  s.clear();
  append_json_double(s, std::numeric_limits<double>::infinity());
  append_json_double(s, -std::numeric_limits<double>::infinity());
  append_json_double(s, 0.1);
  EXPECT_EQ(s, "\"Infinity\"\"-Infinity\"0.1");
}

}  // namespace
}  // namespace spool::engine
