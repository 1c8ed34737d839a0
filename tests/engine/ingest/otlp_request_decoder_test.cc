// decode_otlp_request: OTLP/HTTP request bodies built here by hand (protobuf with
// ProtobufWriter, JSON as text) for all three signals come out as records.fbs tables with
// every field OTLP carries that the schema holds (resource, scope, links, events, each kind of
// AnyValue, each kind of metric); items with bad ids are rejected and counted; malformed
// bodies are errors; and requests spool's own encoders write decode back to the same spans.
#include "engine/ingest/otlp_request_decoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/sinks/otlp/otlp_json_encoder.h"
#include "engine/sinks/otlp/otlp_protobuf_encoder.h"
#include "engine/sinks/otlp/protobuf_writer.h"
#include "spool/record_encoder.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"
#include "support/test_batch.h"

namespace spool::engine {
namespace {

// ---- protobuf messages, built with the encoders' writer ----

class Pb {
 public:
  Pb& str(std::uint32_t f, std::string_view s) {
    return write([&](StringProtobufWriter& w) { w.field_string(f, s); });
  }
  Pb& varint(std::uint32_t f, std::uint64_t v) {
    return write([&](StringProtobufWriter& w) { w.field_varint(f, v); });
  }
  Pb& fixed64(std::uint32_t f, std::uint64_t v) {
    return write([&](StringProtobufWriter& w) { w.field_fixed64(f, v); });
  }
  Pb& dbl(std::uint32_t f, double v) {
    return write([&](StringProtobufWriter& w) { w.field_double(f, v); });
  }
  Pb& fixed32(std::uint32_t f, std::uint32_t v) {
    return write([&](StringProtobufWriter& w) {
      w.key(f, WireType::kFixed32);
      std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                           static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
      w.raw(b, 4);
    });
  }
  Pb& msg(std::uint32_t f, const Pb& m) { return str(f, m.bytes()); }
  Pb& raw(std::string_view bytes) {
    return write([&](StringProtobufWriter& w) { w.raw(bytes.data(), bytes.size()); });
  }
  const std::string& bytes() const { return bytes_; }

 private:
  template <typename F>
  Pb& write(F f) {
    StringProtobufWriter w(&bytes_);
    f(w);
    w.finish();
    return *this;
  }
  std::string bytes_;
};

std::string id_bytes(std::uint8_t first, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(first + i);
  return s;
}

// AnyValue and KeyValue (common.proto).
Pb any_string(std::string_view s) { return Pb().str(1, s); }
Pb any_int(std::int64_t v) { return Pb().varint(3, static_cast<std::uint64_t>(v)); }
Pb kv(std::string_view key, const Pb& value) { return Pb().str(1, key).msg(2, value); }

std::span<const std::uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view sv(const flatbuffers::String* s) { return s == nullptr ? "" : std::string_view(s->c_str(), s->size()); }

template <typename T>
const T* table(const EncodedRecord& r) {
  EXPECT_TRUE(verify_encoded(r.kind, r.bytes).is_ok());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.bytes.data()) % 8, 0u);
  return flatbuffers::GetRoot<T>(r.bytes.data());
}

const fb::Attribute* find_attribute(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* list,
                                    std::string_view key) {
  if (list == nullptr) return nullptr;
  for (const fb::Attribute* a : *list)
    if (sv(a->key()) == key) return a;
  return nullptr;
}

Status decode(OtlpSignal signal, OtlpFormat format, const std::string& body, OtlpDecodedRequest* out) {
  return decode_otlp_request(signal, format, span_of(body), out);
}

// A request whose one Resource* / Scope* pair holds `items` (field 2 of Scope*).
Pb request_with(const std::vector<Pb>& items, bool with_resource = true) {
  Pb scope_items;
  scope_items.msg(1, Pb().str(1, "lib").str(2, "1.2").msg(3, kv("scope.k", any_int(7))).varint(4, 1));
  for (const Pb& item : items) scope_items.msg(2, item);
  scope_items.str(3, "https://scope.schema");
  Pb resource_items;
  // schema_url before the scope items and the resource after them: order does not matter.
  resource_items.str(3, "https://resource.schema");
  resource_items.msg(2, scope_items);
  if (with_resource) resource_items.msg(1, Pb().msg(1, kv("service.name", any_string("svc"))).varint(2, 2));
  return Pb().msg(1, resource_items);
}

void expect_origin(const fb::Resource* resource, const fb::Scope* scope) {
  ASSERT_NE(resource, nullptr);
  ASSERT_NE(scope, nullptr);
  const fb::Attribute* service = find_attribute(resource->attributes(), "service.name");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(sv(service->string_value()), "svc");
  EXPECT_EQ(resource->dropped_attributes_count(), 2u);
  EXPECT_EQ(sv(resource->schema_url()), "https://resource.schema");
  EXPECT_EQ(sv(scope->name()), "lib");
  EXPECT_EQ(sv(scope->version()), "1.2");
  const fb::Attribute* k = find_attribute(scope->attributes(), "scope.k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->type(), fb::AttributeType::Int);
  EXPECT_EQ(k->int_value(), 7);
  EXPECT_EQ(scope->dropped_attributes_count(), 1u);
  EXPECT_EQ(sv(scope->schema_url()), "https://scope.schema");
}

// The full span of the tests: every field of trace.proto's Span set, unknown fields too.
Pb full_span() {
  Pb array_value;
  array_value.msg(1, any_string("a")).msg(1, any_int(2));
  Pb kvlist_value;
  kvlist_value.msg(1, kv("inner", any_string("x")));
  Pb s;
  s.str(1, id_bytes(1, 16)).str(2, id_bytes(0x21, 8)).str(3, "vendor=state").str(4, id_bytes(0x31, 8));
  s.fixed32(16, 0x301).str(5, "GET /x").varint(6, 2).fixed64(7, 1000).fixed64(8, 3500);
  s.msg(9, kv("s", any_string("text")));
  s.msg(9, kv("b", Pb().varint(2, 1)));
  s.msg(9, kv("i", any_int(-5)));
  s.msg(9, kv("d", Pb().dbl(4, 2.5)));
  s.msg(9, kv("bytes", Pb().str(7, std::string("\x00\x01\xff", 3))));
  s.msg(9, kv("arr", Pb().msg(5, array_value)));
  s.msg(9, kv("map", Pb().msg(6, kvlist_value)));
  s.msg(9, Pb().str(1, "no_value"));     // KeyValue without a value
  s.msg(9, kv("empty", Pb()));           // an AnyValue with nothing set
  s.varint(10, 3);
  s.msg(11, Pb().fixed64(1, 2000).str(2, "ev").msg(3, kv("ek", any_string("ev"))).varint(4, 1));
  s.varint(12, 4);
  s.msg(13, Pb().str(1, id_bytes(0x41, 16)).str(2, id_bytes(0x51, 8)).str(3, "l=1")
                .msg(4, kv("lk", any_int(9))).varint(5, 5).fixed32(6, 1));
  s.varint(14, 6);
  s.msg(15, Pb().str(2, "boom").varint(3, 2));
  // Unknown fields of every wire type, skipped.
  s.varint(99, 1).str(98, "skip").fixed64(97, 7).fixed32(96, 7);
  return s;
}

TEST(OtlpRequestDecoderTest, ProtobufSpanKeepsEveryField) {
  OtlpDecodedRequest out;
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with({full_span()}).bytes(), &out).is_ok());
  ASSERT_EQ(out.records().size(), 1u);
  EXPECT_EQ(out.rejected(), 0u);
  EXPECT_EQ(out.rejection_message(), "");
  const EncodedRecord& r = out.records()[0];
  EXPECT_EQ(r.kind, RecordKind::kSpan);
  EXPECT_EQ(r.priority, Priority::kHigh);  // status ERROR
  const fb::Span* s = table<fb::Span>(r);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->trace_id()->bytes()->data()), 16), id_bytes(1, 16));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->span_id()->bytes()->data()), 8), id_bytes(0x21, 8));
  ASSERT_NE(s->parent_span_id(), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->parent_span_id()->bytes()->data()), 8), id_bytes(0x31, 8));
  EXPECT_EQ(sv(s->trace_state()), "vendor=state");
  EXPECT_EQ(s->flags(), 0x301u);
  EXPECT_EQ(sv(s->name()), "GET /x");
  EXPECT_EQ(s->type(), fb::SpanType::Span);
  EXPECT_EQ(s->kind(), 2);
  EXPECT_EQ(s->start_ns(), 1000);
  EXPECT_EQ(s->end_ns(), 3500);
  EXPECT_EQ(s->duration_ns(), 2500);
  EXPECT_EQ(s->status(), fb::SpanStatus::Error);
  EXPECT_EQ(sv(s->status_message()), "boom");
  EXPECT_EQ(s->dropped_attributes_count(), 3u);
  EXPECT_EQ(s->dropped_events_count(), 4u);
  EXPECT_EQ(s->dropped_links_count(), 6u);

  ASSERT_NE(s->attributes(), nullptr);
  ASSERT_EQ(s->attributes()->size(), 9u);
  const auto* a = s->attributes();
  EXPECT_EQ(a->Get(0)->type(), fb::AttributeType::String);
  EXPECT_EQ(sv(a->Get(0)->string_value()), "text");
  EXPECT_EQ(a->Get(1)->type(), fb::AttributeType::Bool);
  EXPECT_TRUE(a->Get(1)->bool_value());
  EXPECT_EQ(a->Get(2)->type(), fb::AttributeType::Int);
  EXPECT_EQ(a->Get(2)->int_value(), -5);
  EXPECT_EQ(a->Get(3)->type(), fb::AttributeType::Double);
  EXPECT_EQ(a->Get(3)->double_value(), 2.5);
  EXPECT_EQ(a->Get(4)->type(), fb::AttributeType::Bytes);
  ASSERT_NE(a->Get(4)->bytes_value(), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(a->Get(4)->bytes_value()->data()), a->Get(4)->bytes_value()->size()),
            std::string("\x00\x01\xff", 3));
  const fb::Attribute* arr = a->Get(5);
  EXPECT_EQ(arr->type(), fb::AttributeType::Array);
  ASSERT_NE(arr->values(), nullptr);
  ASSERT_EQ(arr->values()->size(), 2u);
  EXPECT_EQ(sv(arr->values()->Get(0)->key()), "");
  EXPECT_EQ(sv(arr->values()->Get(0)->string_value()), "a");
  EXPECT_EQ(arr->values()->Get(1)->int_value(), 2);
  const fb::Attribute* map = a->Get(6);
  EXPECT_EQ(map->type(), fb::AttributeType::KvList);
  ASSERT_EQ(map->values()->size(), 1u);
  EXPECT_EQ(sv(map->values()->Get(0)->key()), "inner");
  EXPECT_EQ(sv(map->values()->Get(0)->string_value()), "x");
  EXPECT_EQ(sv(a->Get(7)->key()), "no_value");
  EXPECT_EQ(a->Get(7)->type(), fb::AttributeType::Empty);
  EXPECT_EQ(a->Get(8)->type(), fb::AttributeType::Empty);

  ASSERT_NE(s->events(), nullptr);
  ASSERT_EQ(s->events()->size(), 1u);
  const fb::SpanEvent* e = s->events()->Get(0);
  EXPECT_EQ(sv(e->name()), "ev");
  EXPECT_EQ(e->time_ns(), 2000);
  EXPECT_EQ(e->dropped_attributes_count(), 1u);
  ASSERT_NE(find_attribute(e->attributes(), "ek"), nullptr);

  ASSERT_NE(s->links(), nullptr);
  ASSERT_EQ(s->links()->size(), 1u);
  const fb::SpanLink* l = s->links()->Get(0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->trace_id()->bytes()->data()), 16), id_bytes(0x41, 16));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->span_id()->bytes()->data()), 8), id_bytes(0x51, 8));
  EXPECT_EQ(sv(l->trace_state()), "l=1");
  EXPECT_EQ(l->dropped_attributes_count(), 5u);
  EXPECT_EQ(l->flags(), 1u);
  const fb::Attribute* lk = find_attribute(l->attributes(), "lk");
  ASSERT_NE(lk, nullptr);
  EXPECT_EQ(lk->int_value(), 9);

  expect_origin(s->resource(), s->scope());
}

Pb minimal_span(std::uint8_t seed) { return Pb().str(1, id_bytes(seed, 16)).str(2, id_bytes(seed, 8)).str(5, "min"); }

TEST(OtlpRequestDecoderTest, MinimalSpanIsNormalAndHasEmptyOriginTables) {
  OtlpDecodedRequest out;
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf,
                     Pb().msg(1, Pb().msg(2, Pb().msg(2, minimal_span(1)))).bytes(), &out).is_ok());
  ASSERT_EQ(out.records().size(), 1u);
  EXPECT_EQ(out.records()[0].priority, Priority::kNormal);
  const fb::Span* s = table<fb::Span>(out.records()[0]);
  EXPECT_EQ(s->parent_span_id(), nullptr);
  EXPECT_EQ(s->kind(), 0);
  EXPECT_EQ(s->status(), fb::SpanStatus::Unset);
  // A received record always has both tables: that is how it differs from a produced one.
  ASSERT_NE(s->resource(), nullptr);
  ASSERT_NE(s->scope(), nullptr);
  EXPECT_EQ(s->resource()->attributes(), nullptr);
  EXPECT_EQ(s->scope()->name(), nullptr);
}

TEST(OtlpRequestDecoderTest, SpansWithBadIdsAreRejectedAndCounted) {
  Pb short_trace = Pb().str(1, id_bytes(1, 5)).str(2, id_bytes(1, 8));
  Pb zero_span = Pb().str(1, id_bytes(1, 16)).str(2, std::string(8, '\0'));
  Pb no_trace = Pb().str(2, id_bytes(1, 8));
  Pb bad_parent = minimal_span(2).str(4, id_bytes(1, 7));
  Pb bad_link = minimal_span(3).msg(13, Pb().str(1, id_bytes(1, 16)).str(2, id_bytes(1, 9)));
  Pb zero_parent = minimal_span(4).str(4, std::string(8, '\0'));  // "no parent": kept
  OtlpDecodedRequest out;
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf,
                     request_with({minimal_span(9), short_trace, zero_span, no_trace, bad_parent, bad_link, zero_parent})
                         .bytes(),
                     &out)
                  .is_ok());
  EXPECT_EQ(out.records().size(), 2u);
  EXPECT_EQ(out.rejected(), 5u);
  EXPECT_EQ(out.rejection_message(), "5 spans rejected: span 1: trace_id is 5 bytes, want 16");
  EXPECT_EQ(table<fb::Span>(out.records()[1])->parent_span_id(), nullptr);

  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with({zero_span}).bytes(), &out).is_ok());
  EXPECT_EQ(out.rejection_message(), "1 span rejected: span 0: span_id is all zero");
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with({bad_link}).bytes(), &out).is_ok());
  EXPECT_EQ(out.rejection_message(), "1 span rejected: span 0: link 0: link span_id is 9 bytes, want 8");
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with({bad_parent}).bytes(), &out).is_ok());
  EXPECT_EQ(out.rejection_message(), "1 span rejected: span 0: parent_span_id is 7 bytes, want 8");
  // The next decode starts afresh.
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with({minimal_span(5)}).bytes(), &out).is_ok());
  EXPECT_EQ(out.rejected(), 0u);
  EXPECT_EQ(out.rejection_message(), "");
}

TEST(OtlpRequestDecoderTest, ProtobufLogRecords) {
  Pb string_body = Pb().fixed64(1, 100).fixed64(11, 150).varint(2, 17).str(3, "ERROR").msg(5, any_string("hello"))
                       .msg(6, kv("k", any_string("v"))).varint(7, 2).fixed32(8, 1).str(9, id_bytes(1, 16))
                       .str(10, id_bytes(2, 8)).str(12, "my.event");
  Pb map_body = Pb().varint(2, 21).msg(5, Pb().msg(6, Pb().msg(1, kv("a", any_int(1)))));
  Pb bad_trace = Pb().varint(2, 9).str(9, id_bytes(1, 3));
  Pb info = Pb().varint(2, 9).msg(5, any_string(""));
  OtlpDecodedRequest out;
  ASSERT_TRUE(decode(OtlpSignal::kLogs, OtlpFormat::kProtobuf, request_with({string_body, map_body, bad_trace, info}).bytes(),
                     &out)
                  .is_ok());
  ASSERT_EQ(out.records().size(), 3u);
  EXPECT_EQ(out.rejected(), 1u);
  EXPECT_EQ(out.rejection_message(), "1 log record rejected: log record 2: trace_id is 3 bytes, want 16");

  EXPECT_EQ(out.records()[0].kind, RecordKind::kLog);
  EXPECT_EQ(out.records()[0].priority, Priority::kHigh);
  const fb::LogRecord* l = table<fb::LogRecord>(out.records()[0]);
  EXPECT_EQ(l->time_ns(), 100);
  EXPECT_EQ(l->observed_time_ns(), 150);
  EXPECT_EQ(l->severity_number(), 17);
  EXPECT_EQ(sv(l->severity_text()), "ERROR");
  EXPECT_EQ(sv(l->body()), "hello");
  EXPECT_EQ(l->body_value(), nullptr);
  EXPECT_NE(find_attribute(l->attributes(), "k"), nullptr);
  EXPECT_EQ(l->dropped_attributes_count(), 2u);
  EXPECT_EQ(l->flags(), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->trace_id()->bytes()->data()), 16), id_bytes(1, 16));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->span_id()->bytes()->data()), 8), id_bytes(2, 8));
  EXPECT_EQ(sv(l->event_name()), "my.event");
  expect_origin(l->resource(), l->scope());

  EXPECT_EQ(out.records()[1].priority, Priority::kCritical);
  const fb::LogRecord* m = table<fb::LogRecord>(out.records()[1]);
  EXPECT_EQ(m->body(), nullptr);
  ASSERT_NE(m->body_value(), nullptr);
  EXPECT_EQ(m->body_value()->type(), fb::AttributeType::KvList);
  EXPECT_EQ(m->body_value()->values()->Get(0)->int_value(), 1);
  EXPECT_EQ(m->trace_id(), nullptr);

  EXPECT_EQ(out.records()[2].priority, Priority::kNormal);
  const fb::LogRecord* i = table<fb::LogRecord>(out.records()[2]);
  ASSERT_NE(i->body(), nullptr);  // an empty string body is still a body
  EXPECT_EQ(i->body()->size(), 0u);
}

std::string packed_doubles(std::initializer_list<double> v) {
  std::string out;
  for (double d : v) {
    const auto bits = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
  }
  return out;
}
std::string packed_fixed64(std::initializer_list<std::uint64_t> v) {
  std::string out;
  for (std::uint64_t u : v)
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u >> (8 * i)));
  return out;
}
std::uint64_t zigzag(std::int32_t v) { return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31); }

TEST(OtlpRequestDecoderTest, ProtobufMetricsOfEveryKind) {
  Pb gauge = Pb().str(1, "g").str(2, "a gauge").str(3, "By")
                 .msg(5, Pb().msg(1, Pb().fixed64(2, 10).fixed64(3, 20).dbl(4, 1.5).msg(7, kv("p", any_int(1))).varint(8, 1))
                             .msg(1, Pb().fixed64(3, 30).fixed64(6, static_cast<std::uint64_t>(-42))));
  Pb sum = Pb().str(1, "s").msg(7, Pb().msg(1, Pb().fixed64(3, 5).dbl(4, 3)).varint(2, 1).varint(3, 0));
  Pb packed_histogram =
      Pb().str(1, "h").msg(9, Pb().msg(1, Pb().fixed64(3, 7).fixed64(4, 6).dbl(5, 12.5).str(6, packed_fixed64({1, 2, 3}))
                                          .str(7, packed_doubles({1.0, 5.0})).msg(9, kv("hk", any_string("v")))
                                          .varint(10, 1).dbl(11, 0.5).dbl(12, 9.5))
                                  .varint(2, 2));
  Pb unpacked_histogram = Pb().str(1, "h2").msg(
      9, Pb().msg(1, Pb().fixed64(4, 3).fixed64(6, 1).fixed64(6, 2).dbl(7, 10.0)));
  std::string counts;
  {
    StringProtobufWriter w(&counts);
    w.varint(4);
    w.varint(300);
    w.finish();
  }
  Pb exponential = Pb().str(1, "e").msg(
      10, Pb().msg(1, Pb().msg(1, kv("ek", any_int(2))).fixed64(3, 8).fixed64(4, 9).dbl(5, 20).varint(6, zigzag(-3))
                          .fixed64(7, 2).msg(8, Pb().varint(1, zigzag(-1)).str(2, counts))
                          .msg(9, Pb().varint(1, zigzag(4)).varint(2, 7).varint(2, 8)).varint(10, 1)
                          .dbl(12, 0.1).dbl(13, 7.5).dbl(14, 0.001))
              .varint(2, 1));
  Pb summary = Pb().str(1, "q").msg(
      11, Pb().msg(1, Pb().fixed64(3, 4).fixed64(4, 10).dbl(5, 55).msg(6, Pb().dbl(1, 0.5).dbl(2, 5))
                          .msg(6, Pb().dbl(1, 0.99).dbl(2, 9.9)).msg(7, kv("sk", any_int(3)))));
  Pb no_data = Pb().str(1, "nothing");
  OtlpDecodedRequest out;
  ASSERT_TRUE(decode(OtlpSignal::kMetrics, OtlpFormat::kProtobuf,
                     request_with({gauge, sum, packed_histogram, unpacked_histogram, exponential, summary, no_data}).bytes(),
                     &out)
                  .is_ok());
  ASSERT_EQ(out.records().size(), 7u);
  for (const EncodedRecord& r : out.records()) {
    EXPECT_EQ(r.kind, RecordKind::kMetric);
    EXPECT_EQ(r.priority, Priority::kNormal);
  }
  const fb::Metric* g0 = table<fb::Metric>(out.records()[0]);
  EXPECT_EQ(sv(g0->name()), "g");
  EXPECT_EQ(sv(g0->description()), "a gauge");
  EXPECT_EQ(sv(g0->unit()), "By");
  EXPECT_EQ(g0->kind(), fb::MetricKind::Gauge);
  EXPECT_EQ(g0->start_time_ns(), 10);
  EXPECT_EQ(g0->time_ns(), 20);
  EXPECT_EQ(g0->value(), 1.5);
  EXPECT_FALSE(g0->value_is_int());
  EXPECT_EQ(g0->flags(), 1u);
  EXPECT_NE(find_attribute(g0->attributes(), "p"), nullptr);
  expect_origin(g0->resource(), g0->scope());
  const fb::Metric* g1 = table<fb::Metric>(out.records()[1]);
  EXPECT_EQ(sv(g1->name()), "g");  // repeated in each point
  EXPECT_EQ(sv(g1->description()), "a gauge");
  EXPECT_TRUE(g1->value_is_int());
  EXPECT_EQ(g1->int_value(), -42);

  const fb::Metric* s = table<fb::Metric>(out.records()[2]);
  EXPECT_EQ(s->kind(), fb::MetricKind::Counter);
  EXPECT_EQ(s->temporality(), 1);
  EXPECT_TRUE(s->not_monotonic());
  EXPECT_EQ(s->value(), 3.0);

  const fb::Metric* h = table<fb::Metric>(out.records()[3]);
  EXPECT_EQ(h->kind(), fb::MetricKind::Histogram);
  EXPECT_EQ(h->temporality(), 2);
  EXPECT_EQ(h->count(), 6u);
  EXPECT_EQ(h->sum(), 12.5);
  ASSERT_NE(h->bucket_counts(), nullptr);
  EXPECT_EQ(std::vector<std::uint64_t>(h->bucket_counts()->begin(), h->bucket_counts()->end()),
            (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(std::vector<double>(h->bucket_bounds()->begin(), h->bucket_bounds()->end()), (std::vector<double>{1, 5}));
  EXPECT_TRUE(h->has_min());
  EXPECT_TRUE(h->has_max());
  EXPECT_EQ(h->min(), 0.5);
  EXPECT_EQ(h->max(), 9.5);
  EXPECT_EQ(h->flags(), 1u);
  EXPECT_NE(find_attribute(h->attributes(), "hk"), nullptr);
  const fb::Metric* h2 = table<fb::Metric>(out.records()[4]);
  EXPECT_EQ(std::vector<std::uint64_t>(h2->bucket_counts()->begin(), h2->bucket_counts()->end()),
            (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(h2->bucket_bounds()->size(), 1u);
  EXPECT_FALSE(h2->has_min());

  const fb::Metric* e = table<fb::Metric>(out.records()[5]);
  EXPECT_EQ(e->kind(), fb::MetricKind::ExponentialHistogram);
  EXPECT_EQ(e->temporality(), 1);
  EXPECT_EQ(e->time_ns(), 8);
  EXPECT_EQ(e->count(), 9u);
  EXPECT_EQ(e->sum(), 20.0);
  EXPECT_EQ(e->scale(), -3);
  EXPECT_EQ(e->zero_count(), 2u);
  EXPECT_EQ(e->zero_threshold(), 0.001);
  EXPECT_EQ(e->positive_offset(), -1);
  EXPECT_EQ(std::vector<std::uint64_t>(e->positive_bucket_counts()->begin(), e->positive_bucket_counts()->end()),
            (std::vector<std::uint64_t>{4, 300}));
  EXPECT_EQ(e->negative_offset(), 4);
  EXPECT_EQ(std::vector<std::uint64_t>(e->negative_bucket_counts()->begin(), e->negative_bucket_counts()->end()),
            (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(e->flags(), 1u);
  EXPECT_EQ(e->min(), 0.1);
  EXPECT_EQ(e->max(), 7.5);
  EXPECT_NE(find_attribute(e->attributes(), "ek"), nullptr);

  const fb::Metric* q = table<fb::Metric>(out.records()[6]);
  EXPECT_EQ(q->kind(), fb::MetricKind::Summary);
  EXPECT_EQ(q->count(), 10u);
  EXPECT_EQ(q->sum(), 55.0);
  EXPECT_EQ(std::vector<double>(q->quantiles()->begin(), q->quantiles()->end()), (std::vector<double>{0.5, 0.99}));
  EXPECT_EQ(std::vector<double>(q->quantile_values()->begin(), q->quantile_values()->end()),
            (std::vector<double>{5, 9.9}));
  EXPECT_NE(find_attribute(q->attributes(), "sk"), nullptr);
}

TEST(OtlpRequestDecoderTest, MalformedProtobufIsAnErrorNeverACrash) {
  const std::string valid = request_with({full_span()}).bytes();
  OtlpDecodedRequest out;
  struct Case {
    const char* what;
    std::string body;
    const char* message_part;
  };
  const Case cases[] = {
      {"truncated varint", std::string("\x08\xff\xff", 3), "truncated varint"},
      {"truncated key", std::string("\xff", 1), "truncated field key"},
      {"wrong wire type", Pb().varint(1, 5).bytes(), "wrong wire type"},
      {"wrong wire type deep", request_with({Pb().varint(5, 1)}).bytes(), "Span.name: wrong wire type"},
      {"length past the end", std::string("\x0a\x10\x0a\x02", 4), "past the end"},
      {"group wire type", std::string("\x0b", 1), "unsupported wire type"},
      {"truncated fixed64", std::string("\x09\x01\x02", 3), "truncated fixed-width"},
      {"truncated request", valid.substr(0, valid.size() - 3), ""},
  };
  for (const Case& c : cases) {
    const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, c.body, &out);
    EXPECT_FALSE(st.is_ok()) << c.what;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(st.message().find(c.message_part), std::string::npos) << c.what << ": " << st.message();
    EXPECT_TRUE(out.records().empty()) << c.what;
  }
  // Every prefix of a valid request: decoded or refused, never a crash.
  for (std::size_t n = 0; n < valid.size(); ++n) {
    (void)decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, valid.substr(0, n), &out);
    (void)decode(OtlpSignal::kLogs, OtlpFormat::kProtobuf, valid.substr(0, n), &out);
    (void)decode(OtlpSignal::kMetrics, OtlpFormat::kProtobuf, valid.substr(0, n), &out);
  }
  // An empty body is an empty request.
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, "", &out).is_ok());
  EXPECT_TRUE(out.records().empty());
}

TEST(OtlpRequestDecoderTest, DeeplyNestedAnyValueIsRefused) {
  Pb value = any_int(1);
  for (int i = 0; i < 40; ++i) value = Pb().msg(5, Pb().msg(1, value));
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf,
                           request_with({minimal_span(1).msg(9, kv("deep", value))}).bytes(), &out);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("nested"), std::string::npos) << st.message();

  std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[{"key":"deep","value":)";
  for (int i = 0; i < 40; ++i) json += R"({"arrayValue":{"values":[)";
  json += R"({"intValue":1})";
  for (int i = 0; i < 40; ++i) json += "]}}";
  json += "}]}]}]}]}";
  const Status js = decode(OtlpSignal::kTraces, OtlpFormat::kJson, json, &out);
  EXPECT_FALSE(js.is_ok());
  EXPECT_NE(js.message().find("nested"), std::string::npos) << js.message();
}

TEST(OtlpRequestDecoderTest, RequestsThatExpandTooMuchAreRefused) {
  // A 64 KiB resource repeated in each of 2000 spans: far more than the budget of the body.
  Pb resource;
  resource.msg(1, kv("big", any_string(std::string(64 << 10, 'r'))));
  Pb scope_items;
  for (int i = 0; i < 2000; ++i) scope_items.msg(2, minimal_span(1));
  const std::string body = Pb().msg(1, Pb().msg(1, resource).msg(2, scope_items)).bytes();
  ASSERT_GT(2000u * (64u << 10), otlp_record_budget(body.size()));
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, body, &out);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("bytes"), std::string::npos) << st.message();
  EXPECT_TRUE(out.records().empty());
}

// ---- JSON ----

TEST(OtlpRequestDecoderTest, JsonSpanKeepsEveryField) {
  const std::string body = R"({"resourceSpans":[{
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":2},
    "schemaUrl":"https://resource.schema",
    "scopeSpans":[{
      "scope":{"name":"lib","version":"1.2","attributes":[{"key":"scope.k","value":{"intValue":"7"}}],"droppedAttributesCount":1},
      "schemaUrl":"https://scope.schema",
      "spans":[{
        "traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"2122232425262728","parentSpanId":"3132333435363738",
        "traceState":"vendor=state","flags":769,"name":"GET /x","kind":"SPAN_KIND_SERVER",
        "startTimeUnixNano":"1000","endTimeUnixNano":3500,
        "attributes":[
          {"key":"s","value":{"stringValue":"text"}},
          {"key":"b","value":{"boolValue":true}},
          {"key":"i","value":{"intValue":"-5"}},
          {"key":"d","value":{"doubleValue":2.5}},
          {"key":"bytes","value":{"bytesValue":"AAH/"}},
          {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":2}]}}},
          {"key":"map","value":{"kvlistValue":{"values":[{"key":"inner","value":{"stringValue":"x"}}]}}},
          {"key":"no_value"},
          {"key":"empty","value":{}},
          {"key":"nan","value":{"doubleValue":"NaN"}}],
        "droppedAttributesCount":3,
        "events":[{"timeUnixNano":"2000","name":"ev","attributes":[{"key":"ek","value":{"stringValue":"ev"}}],"droppedAttributesCount":1}],
        "dropped_events_count":4,
        "links":[{"traceId":"4142434445464748494a4b4c4d4e4f50","spanId":"5152535455565758","traceState":"l=1",
                  "attributes":[{"key":"lk","value":{"intValue":9}}],"droppedAttributesCount":5,"flags":1}],
        "droppedLinksCount":6,
        "status":{"message":"boom","code":2},
        "someFutureField":{"x":[1,2,3]}
      }]}]}]})";
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kJson, body, &out);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(out.records().size(), 1u);
  EXPECT_EQ(out.records()[0].priority, Priority::kHigh);
  const fb::Span* s = table<fb::Span>(out.records()[0]);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->trace_id()->bytes()->data()), 16), id_bytes(1, 16));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->span_id()->bytes()->data()), 8), id_bytes(0x21, 8));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->parent_span_id()->bytes()->data()), 8), id_bytes(0x31, 8));
  EXPECT_EQ(sv(s->trace_state()), "vendor=state");
  EXPECT_EQ(s->flags(), 769u);
  EXPECT_EQ(sv(s->name()), "GET /x");
  EXPECT_EQ(s->kind(), 2);
  EXPECT_EQ(s->start_ns(), 1000);
  EXPECT_EQ(s->end_ns(), 3500);
  EXPECT_EQ(s->status(), fb::SpanStatus::Error);
  EXPECT_EQ(sv(s->status_message()), "boom");
  EXPECT_EQ(s->dropped_attributes_count(), 3u);
  EXPECT_EQ(s->dropped_events_count(), 4u);
  EXPECT_EQ(s->dropped_links_count(), 6u);
  const auto* a = s->attributes();
  ASSERT_EQ(a->size(), 10u);
  EXPECT_EQ(sv(a->Get(0)->string_value()), "text");
  EXPECT_TRUE(a->Get(1)->bool_value());
  EXPECT_EQ(a->Get(2)->int_value(), -5);
  EXPECT_EQ(a->Get(3)->double_value(), 2.5);
  EXPECT_EQ(a->Get(4)->type(), fb::AttributeType::Bytes);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(a->Get(4)->bytes_value()->data()), a->Get(4)->bytes_value()->size()),
            std::string("\x00\x01\xff", 3));
  EXPECT_EQ(a->Get(5)->type(), fb::AttributeType::Array);
  EXPECT_EQ(a->Get(5)->values()->Get(1)->int_value(), 2);
  EXPECT_EQ(a->Get(6)->type(), fb::AttributeType::KvList);
  EXPECT_EQ(sv(a->Get(6)->values()->Get(0)->key()), "inner");
  EXPECT_EQ(a->Get(7)->type(), fb::AttributeType::Empty);
  EXPECT_EQ(a->Get(8)->type(), fb::AttributeType::Empty);
  EXPECT_TRUE(std::isnan(a->Get(9)->double_value()));
  const fb::SpanEvent* e = s->events()->Get(0);
  EXPECT_EQ(sv(e->name()), "ev");
  EXPECT_EQ(e->time_ns(), 2000);
  EXPECT_EQ(e->dropped_attributes_count(), 1u);
  const fb::SpanLink* l = s->links()->Get(0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->trace_id()->bytes()->data()), 16), id_bytes(0x41, 16));
  EXPECT_EQ(sv(l->trace_state()), "l=1");
  EXPECT_EQ(l->flags(), 1u);
  EXPECT_EQ(l->dropped_attributes_count(), 5u);
  EXPECT_EQ(find_attribute(l->attributes(), "lk")->int_value(), 9);
  expect_origin(s->resource(), s->scope());
}

TEST(OtlpRequestDecoderTest, JsonAcceptsSnakeCaseAndRejectsBadIds) {
  const std::string body = R"({"resource_spans":[{"scope_spans":[{"spans":[
      {"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","start_time_unix_nano":5,
       "status":{"code":"STATUS_CODE_OK"}},
      {"traceId":"0102","spanId":"0102030405060708"},
      {"traceId":"zz02030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000000"},
      {"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg="}]}]}]})";
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kJson, body, &out);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(out.records().size(), 2u);
  EXPECT_EQ(out.rejected(), 3u);
  EXPECT_EQ(out.rejection_message(), "3 spans rejected: span 1: trace_id is 2 bytes, want 16");
  // Base64 ids (the generic proto3 JSON mapping) are understood too.
  const fb::Span* b64 = table<fb::Span>(out.records()[1]);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b64->trace_id()->bytes()->data()), 16), id_bytes(1, 16));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b64->span_id()->bytes()->data()), 8), id_bytes(1, 8));
  const fb::Span* s = table<fb::Span>(out.records()[0]);
  EXPECT_EQ(s->start_ns(), 5);
  EXPECT_EQ(s->status(), fb::SpanStatus::Ok);
  EXPECT_EQ(out.records()[0].priority, Priority::kNormal);
}

TEST(OtlpRequestDecoderTest, JsonLogRecords) {
  const std::string body = R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"lib"},"logRecords":[
      {"timeUnixNano":"100","observedTimeUnixNano":"150","severityNumber":"SEVERITY_NUMBER_FATAL2","severityText":"F",
       "body":{"stringValue":"hello"},"attributes":[{"key":"k","value":{"stringValue":"v"}}],"droppedAttributesCount":2,
       "flags":1,"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0203040506070809","eventName":"ev"},
      {"severityNumber":17,"body":{"arrayValue":{"values":[{"boolValue":false}]}}},
      {"severityNumber":9,"spanId":"0102"},
      {"severityNumber":"SEVERITY_NUMBER_INFO"}]}]}]})";
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kLogs, OtlpFormat::kJson, body, &out);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(out.records().size(), 3u);
  EXPECT_EQ(out.rejection_message(), "1 log record rejected: log record 2: span_id is 2 bytes, want 8");
  EXPECT_EQ(out.records()[0].priority, Priority::kCritical);
  const fb::LogRecord* l = table<fb::LogRecord>(out.records()[0]);
  EXPECT_EQ(l->time_ns(), 100);
  EXPECT_EQ(l->observed_time_ns(), 150);
  EXPECT_EQ(l->severity_number(), 22);
  EXPECT_EQ(sv(l->severity_text()), "F");
  EXPECT_EQ(sv(l->body()), "hello");
  EXPECT_EQ(l->dropped_attributes_count(), 2u);
  EXPECT_EQ(l->flags(), 1u);
  EXPECT_EQ(sv(l->event_name()), "ev");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->span_id()->bytes()->data()), 8), id_bytes(2, 8));
  EXPECT_EQ(sv(l->scope()->name()), "lib");
  EXPECT_NE(l->resource(), nullptr);
  EXPECT_EQ(out.records()[1].priority, Priority::kHigh);
  const fb::LogRecord* a = table<fb::LogRecord>(out.records()[1]);
  EXPECT_EQ(a->body(), nullptr);
  EXPECT_EQ(a->body_value()->type(), fb::AttributeType::Array);
  EXPECT_EQ(a->body_value()->values()->Get(0)->type(), fb::AttributeType::Bool);
  EXPECT_EQ(table<fb::LogRecord>(out.records()[2])->severity_number(), 9);
}

TEST(OtlpRequestDecoderTest, JsonMetricsOfEveryKind) {
  const std::string body = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
      {"name":"g","description":"a gauge","unit":"By","gauge":{"dataPoints":[
        {"startTimeUnixNano":"10","timeUnixNano":"20","asDouble":1.5,"flags":1,"attributes":[{"key":"p","value":{"intValue":1}}]},
        {"timeUnixNano":"30","asInt":"-42"}]}},
      {"name":"s","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","isMonotonic":true,
        "dataPoints":[{"asInt":7}]}},
      {"name":"h","histogram":{"aggregationTemporality":1,"dataPoints":[
        {"count":"6","sum":12.5,"bucketCounts":["1","2",3],"explicitBounds":[1,5],"min":0.5,"max":9.5}]}},
      {"name":"e","exponentialHistogram":{"dataPoints":[
        {"count":9,"sum":20,"scale":-3,"zeroCount":"2","zeroThreshold":0.001,
         "positive":{"offset":-1,"bucketCounts":["4","300"]},"negative":{"offset":4,"bucketCounts":[7]},
         "exemplars":[{"asDouble":1}]}]}},
      {"name":"q","summary":{"dataPoints":[{"count":"10","sum":55,
        "quantileValues":[{"quantile":0.5,"value":5},{"quantile":0.99,"value":9.9}]}]}}]}]}]})";
  OtlpDecodedRequest out;
  const Status st = decode(OtlpSignal::kMetrics, OtlpFormat::kJson, body, &out);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(out.records().size(), 6u);
  const fb::Metric* g = table<fb::Metric>(out.records()[0]);
  EXPECT_EQ(sv(g->description()), "a gauge");
  EXPECT_EQ(g->start_time_ns(), 10);
  EXPECT_EQ(g->value(), 1.5);
  EXPECT_EQ(g->flags(), 1u);
  const fb::Metric* gi = table<fb::Metric>(out.records()[1]);
  EXPECT_TRUE(gi->value_is_int());
  EXPECT_EQ(gi->int_value(), -42);
  const fb::Metric* s = table<fb::Metric>(out.records()[2]);
  EXPECT_EQ(s->kind(), fb::MetricKind::Counter);
  EXPECT_EQ(s->temporality(), 2);
  EXPECT_FALSE(s->not_monotonic());
  EXPECT_EQ(s->int_value(), 7);
  const fb::Metric* h = table<fb::Metric>(out.records()[3]);
  EXPECT_EQ(h->kind(), fb::MetricKind::Histogram);
  EXPECT_EQ(h->count(), 6u);
  EXPECT_EQ(std::vector<std::uint64_t>(h->bucket_counts()->begin(), h->bucket_counts()->end()),
            (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(h->bucket_bounds()->size(), 2u);
  EXPECT_TRUE(h->has_min() && h->has_max());
  const fb::Metric* e = table<fb::Metric>(out.records()[4]);
  EXPECT_EQ(e->kind(), fb::MetricKind::ExponentialHistogram);
  EXPECT_EQ(e->scale(), -3);
  EXPECT_EQ(e->zero_count(), 2u);
  EXPECT_EQ(e->positive_offset(), -1);
  EXPECT_EQ(e->positive_bucket_counts()->Get(1), 300u);
  EXPECT_EQ(e->negative_offset(), 4);
  EXPECT_EQ(e->negative_bucket_counts()->size(), 1u);
  const fb::Metric* q = table<fb::Metric>(out.records()[5]);
  EXPECT_EQ(q->kind(), fb::MetricKind::Summary);
  EXPECT_EQ(q->quantile_values()->Get(1), 9.9);
}

TEST(OtlpRequestDecoderTest, MalformedJsonIsAnError) {
  OtlpDecodedRequest out;
  const char* bodies[] = {
      "{",
      "",
      "[]",
      R"({"resourceSpans":5})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12x"}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",
           "attributes":[{"key":"k","value":{"bytesValue":"!!"}}]}]}]}]})",
      "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xff\"}]}]}]}",
  };
  for (const char* body : bodies) {
    const Status st = decode(OtlpSignal::kTraces, OtlpFormat::kJson, body, &out);
    EXPECT_FALSE(st.is_ok()) << body;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << body;
    EXPECT_TRUE(out.records().empty());
  }
  // An object without the signal's list is an empty request; other signals' lists are ignored.
  ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kJson, R"({"resourceLogs":[]})", &out).is_ok());
  EXPECT_TRUE(out.records().empty());
}

// ---- round trip through spool's own encoders ----

TEST(OtlpRequestDecoderTest, SpoolsOwnEncodersRoundTrip) {
  RecordEncoder encoder;
  testing::TestBatch batch;
  const Attribute attrs[] = {Attribute::string("route", "/a"), Attribute::integer("n", -3),
                             Attribute::floating("ratio", 0.25), Attribute::boolean("ok", true)};
  const Attribute event_attrs[] = {Attribute::string("e", "1")};
  const SpanEvent events[] = {SpanEvent{"retry", 1'500, event_attrs}};
  Span span;
  for (std::size_t i = 0; i < 16; ++i) span.trace_id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (std::size_t i = 0; i < 8; ++i) span.span_id.bytes[i] = static_cast<std::uint8_t>(0xb0 + i);
  for (std::size_t i = 0; i < 8; ++i) span.parent_span_id.bytes[i] = static_cast<std::uint8_t>(0xc0 + i);
  span.name = "handler";
  span.start_ns = 1'000;
  span.end_ns = 2'000;
  span.status = SpanStatus::kError;
  span.status_message = "bad";
  span.attributes = attrs;
  span.events = events;
  batch.add(encoder.encode(span), 1);
  Span second = span;
  second.name = "second";
  second.status = SpanStatus::kOk;
  second.status_message = {};
  second.events = {};
  batch.add(encoder.encode(second), 2);

  OtlpProtobufEncoder protobuf;
  OtlpJsonEncoder json;
  std::string body;
  OtlpDecodedRequest out;
  for (OtlpFormat format : {OtlpFormat::kProtobuf, OtlpFormat::kJson}) {
    SCOPED_TRACE(format == OtlpFormat::kProtobuf ? "protobuf" : "json");
    const std::size_t n = format == OtlpFormat::kProtobuf ? protobuf.encode(batch.batch(), OtlpSignal::kTraces, &body)
                                                          : json.encode(batch.batch(), OtlpSignal::kTraces, &body);
    ASSERT_EQ(n, 2u);
    const Status st = decode(OtlpSignal::kTraces, format, body, &out);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    ASSERT_EQ(out.records().size(), 2u);
    EXPECT_EQ(out.rejected(), 0u);
    const fb::Span* s = table<fb::Span>(out.records()[0]);
    EXPECT_EQ(sv(s->name()), "handler");
    EXPECT_EQ(std::memcmp(s->trace_id()->bytes()->data(), span.trace_id.bytes.data(), 16), 0);
    EXPECT_EQ(std::memcmp(s->span_id()->bytes()->data(), span.span_id.bytes.data(), 8), 0);
    ASSERT_NE(s->parent_span_id(), nullptr);
    EXPECT_EQ(std::memcmp(s->parent_span_id()->bytes()->data(), span.parent_span_id.bytes.data(), 8), 0);
    EXPECT_EQ(s->start_ns(), 1'000);
    EXPECT_EQ(s->end_ns(), 2'000);
    EXPECT_EQ(s->duration_ns(), 1'000);
    EXPECT_EQ(s->status(), fb::SpanStatus::Error);
    EXPECT_EQ(sv(s->status_message()), "bad");
    EXPECT_EQ(out.records()[0].priority, Priority::kHigh);
    EXPECT_EQ(sv(find_attribute(s->attributes(), "route")->string_value()), "/a");
    EXPECT_EQ(find_attribute(s->attributes(), "n")->int_value(), -3);
    EXPECT_EQ(find_attribute(s->attributes(), "ratio")->double_value(), 0.25);
    EXPECT_TRUE(find_attribute(s->attributes(), "ok")->bool_value());
    EXPECT_NE(find_attribute(s->attributes(), otlp_keys::kIdempotencyKey), nullptr);
    EXPECT_EQ(sv(s->scope()->name()), kOtlpScopeName);
    ASSERT_NE(s->events(), nullptr);
    ASSERT_EQ(s->events()->size(), 1u);
    EXPECT_EQ(sv(s->events()->Get(0)->name()), "retry");
    EXPECT_EQ(s->events()->Get(0)->time_ns(), 1'500);
    EXPECT_EQ(sv(find_attribute(s->events()->Get(0)->attributes(), "e")->string_value()), "1");
    const fb::Span* t = table<fb::Span>(out.records()[1]);
    EXPECT_EQ(sv(t->name()), "second");
    EXPECT_EQ(t->status(), fb::SpanStatus::Ok);
    EXPECT_EQ(out.records()[1].priority, Priority::kNormal);
  }
}

TEST(OtlpRequestDecoderTest, RecordsStayValidAcrossManyRecordsAndReuse) {
  std::vector<Pb> spans;
  for (int i = 0; i < 200; ++i) spans.push_back(minimal_span(static_cast<std::uint8_t>(i + 1)).msg(9, kv("i", any_int(i))));
  OtlpDecodedRequest out;
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(decode(OtlpSignal::kTraces, OtlpFormat::kProtobuf, request_with(spans).bytes(), &out).is_ok());
    ASSERT_EQ(out.records().size(), 200u);
    for (int i = 0; i < 200; ++i) {
      const fb::Span* s = table<fb::Span>(out.records()[static_cast<std::size_t>(i)]);
      EXPECT_EQ(find_attribute(s->attributes(), "i")->int_value(), i);
    }
  }
  out.clear();
  EXPECT_TRUE(out.records().empty());
}

}  // namespace
}  // namespace spool::engine
