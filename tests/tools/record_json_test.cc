// tools/record_json.h: every kind of record decoded to JSON; anything else refused with a
// reason, never read.
#include "tools/record_json.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spool/record_encoder.h"
#include "spool/records.h"
#include "support/otlp_records.h"
#include "tools/record_type_name.h"

namespace spool::tools {
namespace {

using nlohmann::ordered_json;

std::uint16_t type_of(RecordKind kind) { return static_cast<std::uint16_t>(kind); }

ordered_json decode(const EncodedRecord& r) {
  auto j = record_to_json(type_of(r.kind), r.bytes);
  EXPECT_TRUE(j.is_ok()) << j.status().to_string();
  return j.is_ok() ? j.value() : ordered_json();
}

TraceId trace_id() {
  TraceId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  return id;
}
SpanId span_id(std::uint8_t first) {
  SpanId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(first + i);
  return id;
}

const std::array<Attribute, 4> kAttributes = {
    Attribute::string("env", "production"), Attribute::integer("n", -2),
    Attribute::floating("ratio", 0.5), Attribute::boolean("cached", false)};

const ordered_json kAttributesJson = ordered_json::parse(R"([
  {"key": "env", "type": "string", "value": "production"},
  {"key": "n", "type": "int", "value": -2},
  {"key": "ratio", "type": "double", "value": 0.5},
  {"key": "cached", "type": "bool", "value": false}])");

TEST(RecordToJson, Span) {
  const std::array<SpanEvent, 1> events = {
      SpanEvent{"first-token", 15, std::span(kAttributes).first(1)}};
  Span s;
  s.trace_id = trace_id();
  s.span_id = span_id(0x10);
  s.parent_span_id = span_id(0x20);
  s.name = "llm-call";
  s.type = SpanType::kGeneration;
  s.component_type = "reasoning";
  s.start_ns = 10;
  s.end_ns = 25;
  s.status = SpanStatus::kOk;
  s.attributes = kAttributes;
  s.model = "gpt-4";
  s.input = "in";
  s.output = "out";
  s.input_tokens = 3;
  s.output_tokens = 4;
  s.tool_name = "t";
  s.tool_input = "ti";
  s.tool_output = "to";
  s.events = events;
  RecordEncoder encoder;
  const ordered_json want = ordered_json::parse(R"({
    "trace_id": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
    "span_id": "1011121314151617",
    "parent_span_id": "2021222324252627",
    "name": "llm-call", "type": "generation", "component_type": "reasoning",
    "start_ns": 10, "end_ns": 25, "duration_ns": 15,
    "status": "ok", "status_message": "",
    "attributes": [],
    "model": "gpt-4", "input": "in", "output": "out", "input_tokens": 3, "output_tokens": 4,
    "tool_name": "t", "tool_input": "ti", "tool_output": "to",
    "events": [{"name": "first-token", "time_ns": 15,
                "attributes": [{"key": "env", "type": "string", "value": "production"}]}]})");
  ordered_json expected = want;
  expected["attributes"] = kAttributesJson;
  EXPECT_EQ(decode(encoder.encode(s)), expected);

  // A root span: no parent id.
  s.parent_span_id = SpanId{};
  EXPECT_TRUE(decode(encoder.encode(s))["parent_span_id"].is_null());
}

TEST(RecordToJson, Log) {
  LogRecord l;
  l.time_ns = 99;
  l.severity_number = 9;
  l.severity_text = "INFO";
  l.body = "hello";
  l.attributes = std::span(kAttributes).first(2);
  l.span_id = span_id(1);
  RecordEncoder encoder;
  EXPECT_EQ(decode(encoder.encode(l)), ordered_json::parse(R"({
    "time_ns": 99, "severity_number": 9, "severity_text": "INFO", "body": "hello",
    "attributes": [{"key": "env", "type": "string", "value": "production"},
                   {"key": "n", "type": "int", "value": -2}],
    "trace_id": null, "span_id": "0102030405060708"})"));
}

TEST(RecordToJson, Metric) {
  const std::array<double, 2> bounds = {1.5, 10};
  const std::array<std::uint64_t, 3> counts = {1, 2, 18446744073709551615ull};
  Metric m;
  m.name = "latency";
  m.unit = "ms";
  m.kind = MetricKind::kHistogram;
  m.time_ns = 7;
  m.count = 3;
  m.sum = 12.25;
  m.bucket_bounds = bounds;
  m.bucket_counts = counts;
  RecordEncoder encoder;
  EXPECT_EQ(decode(encoder.encode(m)), ordered_json::parse(R"({
    "name": "latency", "unit": "ms", "kind": "histogram", "time_ns": 7, "value": 0.0,
    "count": 3, "sum": 12.25, "bucket_bounds": [1.5, 10.0],
    "bucket_counts": [1, 2, 18446744073709551615], "attributes": []})"));
}

ordered_json decode(RecordKind kind, const flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<std::uint8_t> bytes = testing::bytes_of(fbb);
  std::vector<std::uint64_t> aligned((bytes.size() + 7) / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  auto j = record_to_json(type_of(kind), {reinterpret_cast<const std::uint8_t*>(aligned.data()), bytes.size()});
  EXPECT_TRUE(j.is_ok()) << j.status().to_string();
  return j.is_ok() ? j.value() : ordered_json();
}

// The nested attribute of support/otlp_records.h as dump shows it.
const ordered_json kNestedJson = ordered_json::parse(R"({"key": "nested", "type": "kvlist", "values": [
    {"key": "list", "type": "array", "values": [
       {"type": "int", "value": 7}, {"type": "string", "value": "two"},
       {"type": "bytes", "value_b64": "Af8="}, {"type": "empty", "value": null},
       {"type": "array", "values": [{"type": "bool", "value": true}]}]},
    {"key": "pi", "type": "double", "value": 3.5}]})");

TEST(RecordToJson, SpanReceivedOverOtlp) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto name = fbb.CreateString("GET /");
  const auto state = fbb.CreateString("v=1");
  std::vector<flatbuffers::Offset<fb::Attribute>> list = {testing::nested_attribute(fbb)};
  const auto attributes = fbb.CreateVector(list);
  const auto link_state = fbb.CreateString("l=2");
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> i{};
  t.fill(0x11);
  i.fill(0x22);
  const fb::TraceId trace_id{flatbuffers::span<const std::uint8_t, 16>(t)};
  const fb::SpanId span_id{flatbuffers::span<const std::uint8_t, 8>(i)};
  std::vector<flatbuffers::Offset<fb::SpanLink>> links = {
      fb::CreateSpanLink(fbb, &trace_id, &span_id, link_state, 0, 1, 0x100)};
  const auto links_vec = fbb.CreateVector(links);
  const auto ev_name = fbb.CreateString("e");
  std::vector<flatbuffers::Offset<fb::SpanEvent>> events = {fb::CreateSpanEvent(fbb, ev_name, 5, 0, 2)};
  const auto events_vec = fbb.CreateVector(events);
  testing::OtlpResource resource;
  resource.has = true;
  resource.attributes = {{"service.name", "app"}};
  resource.dropped_attributes_count = 1;
  resource.schema_url = "https://opentelemetry.io/schemas/1.24.0";
  testing::OtlpScope scope;
  scope.has = true;
  scope.name = "lib";
  scope.version = "2.0";
  const auto r = testing::build_resource(fbb, resource);
  const auto sc = testing::build_scope(fbb, scope);
  fb::SpanBuilder b(fbb);
  b.add_name(name);
  b.add_attributes(attributes);
  b.add_events(events_vec);
  b.add_kind(4);
  b.add_trace_state(state);
  b.add_flags(0x301);
  b.add_links(links_vec);
  b.add_dropped_attributes_count(3);
  b.add_dropped_links_count(4);
  b.add_resource(r);
  b.add_scope(sc);
  fbb.Finish(b.Finish());
  const ordered_json j = decode(RecordKind::kSpan, fbb);
  EXPECT_EQ(j["attributes"], ordered_json::array({kNestedJson}));
  EXPECT_EQ(j["events"], ordered_json::parse(R"([{"name": "e", "time_ns": 5, "attributes": [],
                                                  "dropped_attributes_count": 2}])"));
  EXPECT_EQ(j["kind"], "producer");
  EXPECT_EQ(j["trace_state"], "v=1");
  EXPECT_EQ(j["flags"], 0x301);
  EXPECT_EQ(j["links"], ordered_json::parse(R"([{"trace_id": "11111111111111111111111111111111",
      "span_id": "2222222222222222", "trace_state": "l=2", "attributes": [],
      "dropped_attributes_count": 1, "flags": 256}])"));
  EXPECT_EQ(j["dropped_attributes_count"], 3);
  EXPECT_FALSE(j.contains("dropped_events_count"));  // absent fields stay absent
  EXPECT_EQ(j["dropped_links_count"], 4);
  EXPECT_EQ(j["resource"], ordered_json::parse(R"({"attributes": [
      {"key": "service.name", "type": "string", "value": "app"}],
      "dropped_attributes_count": 1, "schema_url": "https://opentelemetry.io/schemas/1.24.0"})"));
  EXPECT_EQ(j["scope"], ordered_json::parse(R"({"name": "lib", "version": "2.0"})"));
}

TEST(RecordToJson, LogAndMetricReceivedOverOtlp) {
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto event_name = fbb.CreateString("login");
    const auto body = testing::nested_attribute(fbb);
    fb::LogRecordBuilder b(fbb);
    b.add_time_ns(1);
    b.add_observed_time_ns(2);
    b.add_flags(1);
    b.add_event_name(event_name);
    b.add_body_value(body);
    fbb.Finish(b.Finish());
    const ordered_json j = decode(RecordKind::kLog, fbb);
    EXPECT_EQ(j["observed_time_ns"], 2);
    EXPECT_EQ(j["flags"], 1);
    EXPECT_EQ(j["event_name"], "login");
    ordered_json body_json = kNestedJson;
    body_json.erase("key");
    EXPECT_EQ(j["body_value"], body_json);
    EXPECT_FALSE(j.contains("resource"));
    EXPECT_FALSE(j.contains("dropped_attributes_count"));
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("rpc");
    const auto description = fbb.CreateString("calls");
    const auto q = fbb.CreateVector(std::vector<double>{0.5});
    const auto qv = fbb.CreateVector(std::vector<double>{3});
    const auto pos = fbb.CreateVector(std::vector<std::uint64_t>{1, 2});
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::Summary);
    b.add_description(description);
    b.add_start_time_ns(9);
    b.add_temporality(2);
    b.add_not_monotonic(true);
    b.add_value_is_int(true);
    b.add_int_value(-5);
    b.add_min(1.5);
    b.add_has_min(true);
    b.add_quantiles(q);
    b.add_quantile_values(qv);
    b.add_scale(3);
    b.add_positive_offset(-1);
    b.add_positive_bucket_counts(pos);
    fbb.Finish(b.Finish());
    const ordered_json j = decode(RecordKind::kMetric, fbb);
    EXPECT_EQ(j["kind"], "summary");
    EXPECT_EQ(j["description"], "calls");
    EXPECT_EQ(j["start_time_ns"], 9);
    EXPECT_EQ(j["temporality"], "cumulative");
    EXPECT_EQ(j["not_monotonic"], true);
    EXPECT_EQ(j["value_is_int"], true);
    EXPECT_EQ(j["int_value"], -5);
    EXPECT_EQ(j["min"], 1.5);
    EXPECT_FALSE(j.contains("max"));
    EXPECT_EQ(j["quantiles"], ordered_json::parse("[0.5]"));
    EXPECT_EQ(j["quantile_values"], ordered_json::parse("[3.0]"));
    EXPECT_EQ(j["scale"], 3);
    EXPECT_EQ(j["positive_offset"], -1);
    EXPECT_EQ(j["positive_bucket_counts"], ordered_json::parse("[1, 2]"));
    EXPECT_FALSE(j.contains("negative_bucket_counts"));
    EXPECT_FALSE(j.contains("zero_count"));
  }
}

TEST(RecordToJson, RecordDataIsBase64) {
  const std::array<std::uint8_t, 4> data = {0xde, 0xad, 0xbe, 0xef};
  RecordEncoder encoder;
  EXPECT_EQ(decode(encoder.encode(RawRecord{"prediction", data})),
            ordered_json::parse(R"({"type_tag": "prediction", "data_b64": "3q2+7w=="})"));
}

TEST(RecordToJson, UnknownEnumValuesShowAsNumbers) {
  Span s;
  s.type = static_cast<SpanType>(42);
  s.status = static_cast<SpanStatus>(7);
  RecordEncoder encoder;
  const ordered_json j = decode(encoder.encode(s));
  EXPECT_EQ(j["type"], 42);
  EXPECT_EQ(j["status"], 7);
}

TEST(RecordToJson, MisalignedCopyStillDecodes) {
  RecordEncoder encoder;
  const EncodedRecord r = encoder.encode(LogRecord{.time_ns = 5, .body = "x"});
  std::vector<std::uint8_t> storage(r.bytes.size() + 1);
  std::memcpy(storage.data() + 1, r.bytes.data(), r.bytes.size());
  auto j = record_to_json(type_of(RecordKind::kLog), {storage.data() + 1, r.bytes.size()});
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  EXPECT_EQ(j.value()["body"], "x");
}

TEST(RecordToJson, GarbageIsRefusedWithAReason) {
  const std::array<std::uint8_t, 12> garbage = {0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8};
  for (RecordKind kind :
       {RecordKind::kSpan, RecordKind::kLog, RecordKind::kMetric, RecordKind::kRecord}) {
    auto j = record_to_json(type_of(kind), garbage);
    ASSERT_FALSE(j.is_ok());
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption);
    EXPECT_NE(j.status().message().find(record_type_name(type_of(kind))), std::string::npos)
        << j.status().message();
  }
  auto empty = record_to_json(type_of(RecordKind::kSpan), {});
  EXPECT_EQ(empty.status().code(), StatusCode::kCorruption);
}

TEST(RecordToJson, TypesWithoutSchemaAreRefused) {
  RecordEncoder encoder;
  const EncodedRecord r = encoder.encode(RawRecord{"x", {}});
  EXPECT_EQ(record_to_json(0, r.bytes).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(record_to_json(5, r.bytes).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(record_to_json(65535, r.bytes).status().code(), StatusCode::kInvalidArgument);
}

TEST(RecordToJson, BytesThatAreNotUtf8CanStillBeDumped) {
  const std::string not_utf8 = "caf\xe9";
  LogRecord l;
  l.body = not_utf8;
  RecordEncoder encoder;
  const ordered_json j = decode(encoder.encode(l));
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
  const std::string text = j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  EXPECT_NE(text.find("caf\xef\xbf\xbd"), std::string::npos) << text;
}

TEST(RecordTypeName, NamesTheRecordKinds) {
  EXPECT_EQ(record_type_name(0), "raw");
  EXPECT_EQ(record_type_name(1), "span");
  EXPECT_EQ(record_type_name(2), "log");
  EXPECT_EQ(record_type_name(3), "metric");
  EXPECT_EQ(record_type_name(4), "record");
  EXPECT_EQ(record_type_name(5), "type-5");
  EXPECT_EQ(priority_name(priority_from_flags(frame_flags_for(Priority::kCritical))), "critical");
  EXPECT_EQ(priority_name(Priority::kLow), "low");
  EXPECT_EQ(priority_name(Priority::kNormal), "normal");
  EXPECT_EQ(priority_name(Priority::kHigh), "high");
}

}  // namespace
}  // namespace spool::tools
