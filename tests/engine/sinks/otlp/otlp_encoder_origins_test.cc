// Both OTLP encoders with records received over OTLP (records.fbs' resource, scope and the
// OTLP-only fields), read back with the independent test decoder (support/otlp_decoder.h):
// grouping by resource and scope (order, membership, content equality, nesting of scopes
// under their resource), the configured resource attributes filling gaps only, and every
// new field on the wire, nested AnyValue included.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/forward/idempotency_key.h"
#include "engine/sinks/otlp/otlp_json_encoder.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "spool/record_encoder.h"
#include "support/otlp_decoder.h"
#include "support/otlp_records.h"
#include "support/test_batch.h"

// Every allocation of this test binary is counted, so a test can say an encoding made none.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace spool::engine {
namespace {

using testing::KeyValues;
using testing::OtlpItem;
using testing::OtlpResource;
using testing::OtlpScope;
using testing::TestBatch;

constexpr std::uint64_t kLogId = 0x00c0ffee00c0ffeeULL;
const std::vector<std::pair<std::string, std::string>> kConfigured = {{"service.name", "spoold-agent"},
                                                                       {"host.id", "device-7"}};

enum class Format { kProtobuf, kJson };

std::string format_name(const ::testing::TestParamInfo<Format>& info) {
  return info.param == Format::kProtobuf ? "Protobuf" : "Json";
}

testing::OtlpSignal decoder_signal(OtlpSignal s) {
  switch (s) {
    case OtlpSignal::kTraces:
      return testing::OtlpSignal::kTraces;
    case OtlpSignal::kLogs:
      return testing::OtlpSignal::kLogs;
    case OtlpSignal::kMetrics:
      break;
  }
  return testing::OtlpSignal::kMetrics;
}

class OtlpEncoderOrigins : public ::testing::TestWithParam<Format> {
 protected:
  // Encodes the batch's records of `signal` and decodes what a collector would receive.
  std::vector<OtlpItem> send(const ForwardBatch& batch, OtlpSignal signal, std::size_t expect_count) {
    std::string body;
    std::size_t n = 0;
    if (GetParam() == Format::kProtobuf) {
      n = protobuf_.encode(batch, signal, &body);
    } else {
      n = json_.encode(batch, signal, &body);
    }
    EXPECT_EQ(n, expect_count);
    const auto result = testing::decode_otlp(
        decoder_signal(signal),
        GetParam() == Format::kProtobuf ? testing::OtlpBodyFormat::kProtobuf : testing::OtlpBodyFormat::kJson, body);
    EXPECT_TRUE(result.ok()) << result.error;
    last_body_ = body;
    return result.items;
  }

  OtlpProtobufEncoder protobuf_{kConfigured};
  OtlpJsonEncoder json_{kConfigured};
  std::string last_body_;
};

std::uint64_t offset_of(const OtlpItem& item) {
  const auto k = testing::parse_idempotency_key(item.idempotency_key());
  EXPECT_TRUE(k.has_value()) << item.idempotency_key();
  return k ? k->offset : ~0ull;
}

OtlpResource resource_a() {
  OtlpResource r;
  r.has = true;
  r.attributes = {{"service.name", "checkout"}, {"k8s.pod.name", "pod-1"}};
  return r;
}
OtlpResource resource_b() {
  OtlpResource r;
  r.has = true;
  r.attributes = {{"service.name", "search"}};
  r.dropped_attributes_count = 2;
  r.schema_url = "https://opentelemetry.io/schemas/1.24.0";
  return r;
}
OtlpScope scope_s() {
  OtlpScope s;
  s.has = true;
  s.name = "io.opentelemetry.http";
  s.version = "1.2.3";
  s.attributes = {{"lib.kind", "client"}};
  s.dropped_attributes_count = 1;
  s.schema_url = "https://example.test/scope-schema";
  return s;
}

TEST_P(OtlpEncoderOrigins, RecordsAreGroupedByResourceAndScopeInOrderOfFirstRecord) {
  TestBatch tb;
  const OtlpScope no_scope;
  // Offsets: 10 plain, 11 resource A, 12 resource B + scope S, 13 plain, 14 resource A
  // (another table with equal content), 15 resource B + scope S, 16 resource A + scope S.
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("p0", 1), 10);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("a0", 2, resource_a()), 11);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("b0", 3, resource_b(), scope_s()), 12);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("p1", 4), 13);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("a1", 5, resource_a()), 14);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("b1", 6, resource_b(), scope_s()), 15);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("a2", 7, resource_a(), scope_s()), 16);
  const auto items = send(tb.batch(kLogId), OtlpSignal::kTraces, 7);
  ASSERT_EQ(items.size(), 7u);

  // Resources in order of first record; within the first-seen resource A, the scope "spool"
  // (first record 11) before scope S (first record 16); offsets in order within a group.
  struct Want {
    std::string name;
    std::uint64_t offset;
    std::size_t resource;
    std::size_t scope;
  };
  const std::vector<Want> want = {{"p0", 10, 0, 0}, {"p1", 13, 0, 0}, {"a0", 11, 1, 0}, {"a1", 14, 1, 0},
                                  {"a2", 16, 1, 1}, {"b0", 12, 2, 0}, {"b1", 15, 2, 0}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].name);
    EXPECT_EQ(items[i].name, want[i].name);
    EXPECT_EQ(offset_of(items[i]), want[i].offset);
    EXPECT_EQ(items[i].resource_index, want[i].resource);
    EXPECT_EQ(items[i].scope_index, want[i].scope);
  }

  // Plain records: the configured resource and the scope "spool", as before.
  const std::map<std::string, std::string> configured = {{"service.name", "spoold-agent"}, {"host.id", "device-7"}};
  EXPECT_EQ(items[0].resource_attributes, configured);
  EXPECT_EQ(items[0].scope_name, "spool");
  EXPECT_EQ(items[0].resource_schema_url, "");

  // Resource A: its own attributes win (service.name stays "checkout"); the configured
  // attribute it lacks (host.id) is added.
  const std::map<std::string, std::string> merged_a = {
      {"service.name", "checkout"}, {"k8s.pod.name", "pod-1"}, {"host.id", "device-7"}};
  EXPECT_EQ(items[2].resource_attributes, merged_a);
  EXPECT_EQ(items[2].scope_name, "spool");
  EXPECT_EQ(items[4].resource_attributes, merged_a);
  EXPECT_EQ(items[4].scope_name, "io.opentelemetry.http");

  // Resource B with scope S: every field of both.
  const OtlpItem& b = items[5];
  const std::map<std::string, std::string> merged_b = {{"service.name", "search"}, {"host.id", "device-7"}};
  EXPECT_EQ(b.resource_attributes, merged_b);
  EXPECT_EQ(b.resource_dropped_attributes_count, 2u);
  EXPECT_EQ(b.resource_schema_url, "https://opentelemetry.io/schemas/1.24.0");
  EXPECT_EQ(b.scope_name, "io.opentelemetry.http");
  EXPECT_EQ(b.scope_version, "1.2.3");
  EXPECT_EQ(b.scope_attributes, (std::map<std::string, std::string>{{"lib.kind", "client"}}));
  EXPECT_EQ(b.scope_dropped_attributes_count, 1u);
  EXPECT_EQ(b.scope_schema_url, "https://example.test/scope-schema");
}

TEST_P(OtlpEncoderOrigins, AFirstRecordWithItsOwnResourceOpensTheRequest) {
  TestBatch tb;
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("b0", 1, resource_b(), scope_s()), 1);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("p0", 2), 2);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("b1", 3, resource_b(), scope_s()), 3);
  const auto items = send(tb.batch(kLogId), OtlpSignal::kTraces, 3);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].name, "b0");
  EXPECT_EQ(items[1].name, "b1");
  EXPECT_EQ(items[0].resource_index, 0u);
  EXPECT_EQ(items[1].resource_index, 0u);
  EXPECT_EQ(items[2].name, "p0");
  EXPECT_EQ(items[2].resource_index, 1u);
  EXPECT_EQ(items[2].scope_name, "spool");
  EXPECT_EQ(items[2].resource_attributes.at("service.name"), "spoold-agent");
}

TEST_P(OtlpEncoderOrigins, GroupsFollowContentAlsoForMisalignedCopies) {
  // Payloads a caller copied to odd addresses are read from the encoder's aligned scratch;
  // a group's first record must stay readable after later records reuse that scratch.
  std::vector<std::vector<std::uint8_t>> payloads = {
      testing::plain_span("a0", 1, resource_a()), testing::plain_span("b0", 2, resource_b()),
      testing::plain_span("a1", 3, resource_a()), testing::plain_span("b1", 4, resource_b())};
  std::vector<std::vector<std::uint8_t>> storage;
  std::vector<ForwardRecord> records;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    storage.emplace_back(payloads[i].size() + 16);
    std::uint8_t* p = storage.back().data();
    while (reinterpret_cast<std::uintptr_t>(p) % 8 != 1) ++p;  // deliberately misaligned
    std::memcpy(p, payloads[i].data(), payloads[i].size());
    ForwardRecord r;
    r.offset = i;
    r.timestamp_ns = TestBatch::kTimestampNs;
    r.kind = RecordKind::kSpan;
    r.payload = {p, payloads[i].size()};
    records.push_back(r);
  }
  ForwardBatch batch;
  batch.log_id = kLogId;
  batch.records = records;
  batch.first_offset = 0;
  batch.last_offset = records.size() - 1;
  for (int round = 0; round < 2; ++round) {  // twice: the kept copies are reused
    const auto items = send(batch, OtlpSignal::kTraces, 4);
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].name, "a0");
    EXPECT_EQ(items[1].name, "a1");
    EXPECT_EQ(items[2].name, "b0");
    EXPECT_EQ(items[3].name, "b1");
    EXPECT_EQ(items[1].resource_attributes.at("service.name"), "checkout");
    EXPECT_EQ(items[3].resource_attributes.at("service.name"), "search");
    EXPECT_EQ(items[3].resource_index, 1u);
  }
}

flatbuffers::Offset<fb::SpanLink> a_link(flatbuffers::FlatBufferBuilder& fbb) {
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> s{};
  t.fill(0x31);
  s.fill(0x42);
  const fb::TraceId trace_id{flatbuffers::span<const std::uint8_t, 16>(t)};
  const fb::SpanId span_id{flatbuffers::span<const std::uint8_t, 8>(s)};
  const auto state = fbb.CreateString("vendor=link");
  const auto attributes = testing::string_attributes(fbb, {{"link.reason", "retry"}});
  fb::SpanLinkBuilder b(fbb);
  b.add_trace_id(&trace_id);
  b.add_span_id(&span_id);
  b.add_trace_state(state);
  b.add_attributes(attributes);
  b.add_dropped_attributes_count(3);
  b.add_flags(0x101);
  return b.Finish();
}

TEST_P(OtlpEncoderOrigins, EverySpanFieldIsSent) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto name = fbb.CreateString("GET /cart");
  const auto state = fbb.CreateString("vendor=abc");
  std::vector<flatbuffers::Offset<fb::Attribute>> attrs = {testing::nested_attribute(fbb),
                                                           testing::string_attribute(fbb, "http.method", "GET")};
  const auto attributes = fbb.CreateVector(attrs);
  const auto event_attrs = testing::string_attributes(fbb, {{"e", "1"}});
  const auto event_name = fbb.CreateString("retry");
  std::vector<flatbuffers::Offset<fb::SpanEvent>> events = {
      fb::CreateSpanEvent(fbb, event_name, 1500, event_attrs, 4)};
  const auto events_vec = fbb.CreateVector(events);
  std::vector<flatbuffers::Offset<fb::SpanLink>> links = {a_link(fbb)};
  const auto links_vec = fbb.CreateVector(links);
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> sid{};
  t.fill(0xa1);
  sid.fill(0xb2);
  const fb::TraceId trace_id{flatbuffers::span<const std::uint8_t, 16>(t)};
  const fb::SpanId span_id{flatbuffers::span<const std::uint8_t, 8>(sid)};
  fb::SpanBuilder b(fbb);
  b.add_trace_id(&trace_id);
  b.add_span_id(&span_id);
  b.add_name(name);
  b.add_start_ns(1000);
  b.add_end_ns(2000);
  b.add_attributes(attributes);
  b.add_events(events_vec);
  b.add_kind(2);  // SERVER
  b.add_trace_state(state);
  b.add_flags(0x301);
  b.add_links(links_vec);
  b.add_dropped_attributes_count(5);
  b.add_dropped_events_count(6);
  b.add_dropped_links_count(7);
  fbb.Finish(b.Finish());

  TestBatch tb;
  tb.add_bytes(RecordKind::kSpan, testing::bytes_of(fbb), 1);
  tb.add_bytes(RecordKind::kSpan, testing::plain_span("no-kind", 9), 2);  // kind 0: derived
  const auto items = send(tb.batch(kLogId), OtlpSignal::kTraces, 2);
  ASSERT_EQ(items.size(), 2u);
  const OtlpItem& s = items[0];
  EXPECT_EQ(s.name, "GET /cart");
  EXPECT_EQ(s.kind, 2u);
  EXPECT_EQ(s.trace_state, "vendor=abc");
  EXPECT_EQ(s.flags, 0x301u);
  EXPECT_EQ(s.dropped_attributes_count, 5u);
  EXPECT_EQ(s.dropped_events_count, 6u);
  EXPECT_EQ(s.dropped_links_count, 7u);
  EXPECT_EQ(s.attributes.at("nested"), testing::kNestedText);
  EXPECT_EQ(s.attributes.at("http.method"), "GET");
  EXPECT_EQ(s.attributes.at("spool.span_type"), "span");  // spool's own attributes stay
  EXPECT_EQ(s.idempotency_key(), idempotency_key(kLogId, 1));
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "retry");
  EXPECT_EQ(s.events[0].time_ns, 1500u);
  EXPECT_EQ(s.events[0].attributes.at("e"), "1");
  EXPECT_EQ(s.events[0].dropped_attributes_count, 4u);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_id_hex, "31313131313131313131313131313131");
  EXPECT_EQ(s.links[0].span_id_hex, "4242424242424242");
  EXPECT_EQ(s.links[0].trace_state, "vendor=link");
  EXPECT_EQ(s.links[0].attributes.at("link.reason"), "retry");
  EXPECT_EQ(s.links[0].dropped_attributes_count, 3u);
  EXPECT_EQ(s.links[0].flags, 0x101u);

  const OtlpItem& plain = items[1];
  EXPECT_EQ(plain.kind, 1u);  // INTERNAL, from SpanType::Span
  EXPECT_EQ(plain.flags, 0u);
  EXPECT_TRUE(plain.links.empty());
  EXPECT_EQ(plain.trace_state, "");
}

TEST_P(OtlpEncoderOrigins, EveryLogFieldIsSent) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto event_name = fbb.CreateString("user.login");
  const auto body = testing::nested_attribute(fbb);  // a kvlist body (its key is ignored)
  OtlpResource r = resource_a();
  const auto resource = testing::build_resource(fbb, r);
  fb::LogRecordBuilder b(fbb);
  b.add_time_ns(100);
  b.add_severity_number(17);
  b.add_observed_time_ns(150);
  b.add_flags(1);
  b.add_dropped_attributes_count(2);
  b.add_event_name(event_name);
  b.add_body_value(body);
  b.add_resource(resource);
  fbb.Finish(b.Finish());

  LogRecord plain;
  plain.time_ns = 5;
  plain.body = "text";
  RecordEncoder enc;
  TestBatch tb;
  tb.add_bytes(RecordKind::kLog, testing::bytes_of(fbb), 1);
  tb.add(enc.encode(plain), 2, std::int64_t{777});  // no observed time of its own
  const auto items = send(tb.batch(kLogId), OtlpSignal::kLogs, 2);
  ASSERT_EQ(items.size(), 2u);
  const OtlpItem& l = items[0];
  EXPECT_EQ(l.start_ns, 100u);
  EXPECT_EQ(l.end_ns, 150u);  // its own observed time, not the buffered-at time
  EXPECT_EQ(l.severity_number, 17);
  EXPECT_EQ(l.flags, 1u);
  EXPECT_EQ(l.dropped_attributes_count, 2u);
  EXPECT_EQ(l.name, "user.login");
  EXPECT_EQ(l.value, testing::kNestedText);
  EXPECT_EQ(l.resource_attributes.at("service.name"), "checkout");
  EXPECT_EQ(l.resource_attributes.at("host.id"), "device-7");
  EXPECT_EQ(items[1].value, "text");
  EXPECT_EQ(items[1].end_ns, 777u);  // the buffered-at time stands in
  EXPECT_EQ(items[1].resource_index, 1u);
}

TEST_P(OtlpEncoderOrigins, EveryMetricFieldIsSent) {
  TestBatch tb;
  {  // An int gauge with a description, a start time and flags.
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("queue.depth");
    const auto description = fbb.CreateString("items waiting");
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::Gauge);
    b.add_time_ns(20);
    b.add_start_time_ns(10);
    b.add_description(description);
    b.add_value_is_int(true);
    b.add_int_value(-42);
    b.add_flags(1);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 1);
  }
  {  // A non-monotonic delta sum.
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("inflight");
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::Counter);
    b.add_value(3.5);
    b.add_temporality(1);
    b.add_not_monotonic(true);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 2);
  }
  {  // A cumulative histogram with min and max.
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("latency");
    const auto bounds = fbb.CreateVector(std::vector<double>{1, 10});
    const auto counts = fbb.CreateVector(std::vector<std::uint64_t>{1, 2, 3});
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::Histogram);
    b.add_count(6);
    b.add_sum(40.5);
    b.add_bucket_bounds(bounds);
    b.add_bucket_counts(counts);
    b.add_temporality(2);
    b.add_min(0.5);
    b.add_max(20);
    b.add_has_min(true);
    b.add_has_max(true);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 3);
  }
  {  // A summary.
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("rpc.duration");
    const auto q = fbb.CreateVector(std::vector<double>{0.5, 0.99});
    const auto qv = fbb.CreateVector(std::vector<double>{12, 80});
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::Summary);
    b.add_count(100);
    b.add_sum(1500);
    b.add_quantiles(q);
    b.add_quantile_values(qv);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 4);
  }
  {  // An exponential histogram (negative offset and scale: sint32 on the wire).
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString("size");
    const auto pos = fbb.CreateVector(std::vector<std::uint64_t>{4, 0, 300});
    const auto neg = fbb.CreateVector(std::vector<std::uint64_t>{1});
    fb::MetricBuilder b(fbb);
    b.add_name(name);
    b.add_kind(fb::MetricKind::ExponentialHistogram);
    b.add_count(306);
    b.add_sum(99.5);
    b.add_scale(-2);
    b.add_zero_count(1);
    b.add_zero_threshold(0.001);
    b.add_positive_offset(-3);
    b.add_positive_bucket_counts(pos);
    b.add_negative_offset(5);
    b.add_negative_bucket_counts(neg);
    b.add_min(-7);
    b.add_has_min(true);
    fbb.Finish(b.Finish());
    tb.add_bytes(RecordKind::kMetric, testing::bytes_of(fbb), 5);
  }
  const auto items = send(tb.batch(kLogId), OtlpSignal::kMetrics, 5);
  ASSERT_EQ(items.size(), 5u);

  const OtlpItem& gauge = items[0];
  EXPECT_EQ(gauge.metric_type, "gauge");
  EXPECT_EQ(gauge.description, "items waiting");
  EXPECT_EQ(gauge.start_ns, 10u);
  EXPECT_EQ(gauge.end_ns, 20u);
  EXPECT_TRUE(gauge.value_is_int);
  EXPECT_EQ(gauge.value, "-42");
  EXPECT_EQ(gauge.flags, 1u);
  EXPECT_EQ(gauge.idempotency_key(), idempotency_key(kLogId, 1));

  const OtlpItem& sum = items[1];
  EXPECT_EQ(sum.metric_type, "sum");
  EXPECT_EQ(sum.temporality, 1u);
  EXPECT_FALSE(sum.is_monotonic);
  EXPECT_EQ(sum.value, "3.5");

  const OtlpItem& h = items[2];
  EXPECT_EQ(h.metric_type, "histogram");
  EXPECT_EQ(h.temporality, 2u);
  EXPECT_EQ(h.count, 6u);
  EXPECT_EQ(h.sum, 40.5);
  EXPECT_EQ(h.bucket_counts, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(h.explicit_bounds, (std::vector<double>{1, 10}));
  EXPECT_EQ(h.min, 0.5);
  EXPECT_EQ(h.max, 20.0);

  const OtlpItem& s = items[3];
  EXPECT_EQ(s.metric_type, "summary");
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.sum, 1500.0);
  EXPECT_EQ(s.quantiles, (std::vector<std::pair<double, double>>{{0.5, 12}, {0.99, 80}}));
  EXPECT_EQ(s.idempotency_key(), idempotency_key(kLogId, 4));

  const OtlpItem& e = items[4];
  EXPECT_EQ(e.metric_type, "exponential_histogram");
  EXPECT_EQ(e.temporality, 1u);  // unset: DELTA, as a histogram's
  EXPECT_EQ(e.count, 306u);
  EXPECT_EQ(e.sum, 99.5);
  EXPECT_EQ(e.scale, -2);
  EXPECT_EQ(e.zero_count, 1u);
  EXPECT_EQ(e.zero_threshold, 0.001);
  EXPECT_EQ(e.positive_offset, -3);
  EXPECT_EQ(e.positive_bucket_counts, (std::vector<std::uint64_t>{4, 0, 300}));
  EXPECT_EQ(e.negative_offset, 5);
  EXPECT_EQ(e.negative_bucket_counts, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(e.min, -7.0);
  EXPECT_FALSE(e.max.has_value());
  EXPECT_EQ(e.idempotency_key(), idempotency_key(kLogId, 5));
}

TEST_P(OtlpEncoderOrigins, RecordsOfProducersAreSentAsBefore) {
  // A counter and a histogram a producer wrote: CUMULATIVE monotonic sum, DELTA histogram.
  Metric counter;
  counter.name = "requests";
  counter.kind = MetricKind::kCounter;
  counter.value = 7;
  Metric histogram;
  histogram.name = "latency";
  histogram.kind = MetricKind::kHistogram;
  RecordEncoder enc;
  TestBatch tb;
  tb.add(enc.encode(counter), 1);
  tb.add(enc.encode(histogram), 2);
  const auto items = send(tb.batch(kLogId), OtlpSignal::kMetrics, 2);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].temporality, 2u);
  EXPECT_TRUE(items[0].is_monotonic);
  EXPECT_FALSE(items[0].value_is_int);
  EXPECT_EQ(items[1].temporality, 1u);
  EXPECT_FALSE(items[1].min.has_value());
  EXPECT_EQ(items[0].scope_name, "spool");
  EXPECT_EQ(items[0].scope_version, kOtlpScopeVersion);
}

TEST_P(OtlpEncoderOrigins, WarmEncodingAllocatesNothing) {
  RecordEncoder enc;
  Span span;
  span.name = "s";
  span.start_ns = 1;
  span.end_ns = 2;
  TestBatch plain;
  for (std::uint64_t i = 0; i < 64; ++i) plain.add(enc.encode(span), i);
  TestBatch grouped;  // three resources, one of them with two scopes
  for (std::uint64_t i = 0; i < 64; ++i) {
    switch (i % 4) {
      case 0: grouped.add(enc.encode(span), i); break;
      case 1: grouped.add_bytes(RecordKind::kSpan, testing::plain_span("a", 1, resource_a()), i); break;
      case 2: grouped.add_bytes(RecordKind::kSpan, testing::plain_span("b", 2, resource_b(), scope_s()), i); break;
      default: grouped.add_bytes(RecordKind::kSpan, testing::plain_span("c", 3, resource_a(), scope_s()), i); break;
    }
  }
  for (const TestBatch* tb : {&plain, &grouped}) {
    const ForwardBatch batch = tb->batch(kLogId);
    std::string body;
    auto encode = [&] {
      return GetParam() == Format::kProtobuf ? protobuf_.encode(batch, OtlpSignal::kTraces, &body)
                                             : json_.encode(batch, OtlpSignal::kTraces, &body);
    };
    const std::size_t cold = g_allocations.load();
    ASSERT_EQ(encode(), 64u);  // warms the body and the encoder's scratch
    EXPECT_GT(g_allocations.load() - cold, 0u) << "the counter counts";
    ASSERT_EQ(encode(), 64u);
    const std::size_t before = g_allocations.load();
    ASSERT_EQ(encode(), 64u);
    EXPECT_EQ(g_allocations.load() - before, 0u) << (tb == &plain ? "plain" : "grouped");
  }
}

INSTANTIATE_TEST_SUITE_P(BothEncoders, OtlpEncoderOrigins, ::testing::Values(Format::kProtobuf, Format::kJson),
                         format_name);

}  // namespace
}  // namespace spool::engine
