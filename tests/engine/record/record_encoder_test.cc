// RecordEncoder and verify_encoded: every field of every record kind survives encode ->
// verify -> generated accessors, and bytes that are not such a record are refused.
#include "spool/record_encoder.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spool/record_verify.h"
#include "spool/records_generated.h"
#include "engine/sinks/base64.h"

namespace spool {
namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

template <std::size_t N, typename FbId>
std::array<std::uint8_t, N> id_bytes(const FbId* id) {
  std::array<std::uint8_t, N> out{};
  if (id != nullptr) std::memcpy(out.data(), id->bytes()->data(), N);
  return out;
}

TraceId trace_id_of(std::uint8_t seed) {
  TraceId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}
SpanId span_id_of(std::uint8_t seed) {
  SpanId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + 3 * i);
  return id;
}

// One attribute of each type, checked against the decoded table.
const std::array<Attribute, 4> kAttributes = {
    Attribute::string("env", "production"), Attribute::integer("retries", -3),
    Attribute::floating("temperature", 0.25), Attribute::boolean("cached", true)};

void expect_attributes(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* got,
                       std::span<const Attribute> want) {
  if (want.empty()) {
    EXPECT_TRUE(got == nullptr || got->size() == 0);
    return;
  }
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const fb::Attribute* a = got->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(str(a->key()), want[i].key) << i;
    EXPECT_EQ(static_cast<int>(a->type()), static_cast<int>(want[i].type)) << i;
    EXPECT_EQ(str(a->string_value()), want[i].string_value) << i;
    EXPECT_EQ(a->int_value(), want[i].int_value) << i;
    EXPECT_EQ(a->double_value(), want[i].double_value) << i;
    EXPECT_EQ(a->bool_value(), want[i].bool_value) << i;
  }
}

// Encodes `input`, checks the result's kind, priority, alignment and verification, and
// returns the table read back (nullptr, with a test failure, when any check fails).
template <typename Table, typename Input>
const Table* encode_and_read(RecordEncoder& encoder, const Input& input, RecordKind kind) {
  const EncodedRecord r = encoder.encode(input);
  EXPECT_EQ(r.kind, kind);
  EXPECT_EQ(r.priority, input.priority);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.bytes.data()) % 8, 0u);
  const Status s = verify_encoded(kind, r.bytes);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return s.is_ok() ? flatbuffers::GetRoot<Table>(r.bytes.data()) : nullptr;
}

Span full_span(const std::array<SpanEvent, 2>& events) {
  Span s;
  s.trace_id = trace_id_of(1);
  s.span_id = span_id_of(50);
  s.parent_span_id = span_id_of(90);
  s.name = "llm-call";
  s.type = SpanType::kGeneration;
  s.component_type = "reasoning";
  s.start_ns = 1'700'000'000'000'000'000;
  s.end_ns = s.start_ns + 1'234'567'890;
  s.status = SpanStatus::kError;
  s.status_message = "upstream model returned 503 after 3 tries";
  s.attributes = kAttributes;
  s.model = "gpt-4";
  s.input = std::string_view("the quick brown fox jumps over the lazy dog");
  s.output = "a reply";
  s.input_tokens = 4096;
  s.output_tokens = 17;
  s.tool_name = "search";
  s.tool_input = "{\"q\": \"weather\"}";
  s.tool_output = "sunny";
  s.events = events;
  s.priority = Priority::kHigh;
  return s;
}

TEST(RecordEncoder, SpanRoundTripsEveryField) {
  const std::array<SpanEvent, 2> events = {
      SpanEvent{"first-token", 1'700'000'000'100'000'000, std::span(kAttributes).first(2)},
      SpanEvent{"done", 1'700'000'001'000'000'000, {}}};
  const Span s = full_span(events);
  RecordEncoder encoder;
  const fb::Span* got = encode_and_read<fb::Span>(encoder, s, RecordKind::kSpan);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ((id_bytes<16>(got->trace_id())), s.trace_id.bytes);
  EXPECT_EQ((id_bytes<8>(got->span_id())), s.span_id.bytes);
  EXPECT_EQ((id_bytes<8>(got->parent_span_id())), s.parent_span_id.bytes);
  EXPECT_EQ(str(got->name()), s.name);
  EXPECT_EQ(got->type(), fb::SpanType::Generation);
  EXPECT_EQ(str(got->component_type()), s.component_type);
  EXPECT_EQ(got->start_ns(), s.start_ns);
  EXPECT_EQ(got->end_ns(), s.end_ns);
  EXPECT_EQ(got->duration_ns(), 1'234'567'890);
  EXPECT_EQ(got->status(), fb::SpanStatus::Error);
  EXPECT_EQ(str(got->status_message()), s.status_message);
  expect_attributes(got->attributes(), s.attributes);
  EXPECT_EQ(str(got->model()), s.model);
  EXPECT_EQ(str(got->input()), s.input);
  EXPECT_EQ(str(got->output()), s.output);
  EXPECT_EQ(got->input_tokens(), 4096);
  EXPECT_EQ(got->output_tokens(), 17);
  EXPECT_EQ(str(got->tool_name()), s.tool_name);
  EXPECT_EQ(str(got->tool_input()), s.tool_input);
  EXPECT_EQ(str(got->tool_output()), s.tool_output);
  ASSERT_NE(got->events(), nullptr);
  ASSERT_EQ(got->events()->size(), 2u);
  for (flatbuffers::uoffset_t i = 0; i < 2; ++i) {
    const fb::SpanEvent* e = got->events()->Get(i);
    EXPECT_EQ(str(e->name()), events[i].name);
    EXPECT_EQ(e->time_ns(), events[i].time_ns);
    expect_attributes(e->attributes(), events[i].attributes);
  }
}

TEST(RecordEncoder, EmptySpanLeavesOptionalFieldsOut) {
  RecordEncoder encoder;
  Span s;  // root span: no parent id, no text
  s.trace_id = trace_id_of(7);
  s.span_id = span_id_of(8);
  const EncodedRecord r = encoder.encode(s);
  ASSERT_TRUE(verify_encoded(RecordKind::kSpan, r.bytes).is_ok());
  const fb::Span* got = flatbuffers::GetRoot<fb::Span>(r.bytes.data());
  EXPECT_EQ(got->parent_span_id(), nullptr);
  EXPECT_EQ(got->name(), nullptr);
  EXPECT_EQ(got->attributes(), nullptr);
  EXPECT_EQ(got->events(), nullptr);
  EXPECT_EQ(got->type(), fb::SpanType::Span);
  EXPECT_EQ(got->status(), fb::SpanStatus::Unset);
  EXPECT_EQ(r.priority, Priority::kNormal);
  // Ids and vtable only: what a record does not use costs nothing.
  EXPECT_LT(r.bytes.size(), 80u);
}

TEST(RecordEncoder, LogRoundTripsEveryField) {
  LogRecord l;
  l.time_ns = 1'700'000'000'000'000'123;
  l.severity_number = 17;
  l.severity_text = "ERROR";
  l.body = "disk almost full";
  l.attributes = kAttributes;
  l.trace_id = trace_id_of(200);
  l.span_id = span_id_of(100);
  l.priority = Priority::kCritical;
  RecordEncoder encoder;
  const fb::LogRecord* got = encode_and_read<fb::LogRecord>(encoder, l, RecordKind::kLog);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->time_ns(), l.time_ns);
  EXPECT_EQ(got->severity_number(), 17);
  EXPECT_EQ(str(got->severity_text()), "ERROR");
  EXPECT_EQ(str(got->body()), "disk almost full");
  expect_attributes(got->attributes(), l.attributes);
  EXPECT_EQ((id_bytes<16>(got->trace_id())), l.trace_id.bytes);
  EXPECT_EQ((id_bytes<8>(got->span_id())), l.span_id.bytes);

  LogRecord uncorrelated;
  uncorrelated.body = "x";
  const EncodedRecord u = encoder.encode(uncorrelated);
  ASSERT_TRUE(verify_encoded(RecordKind::kLog, u.bytes).is_ok());
  EXPECT_EQ(flatbuffers::GetRoot<fb::LogRecord>(u.bytes.data())->trace_id(), nullptr);
}

TEST(RecordEncoder, MetricRoundTripsEveryField) {
  const std::array<double, 3> bounds = {0.1, 1.0, 10.0};
  const std::array<std::uint64_t, 4> counts = {5, 7, 0, 1ull << 40};
  Metric m;
  m.name = "request.latency";
  m.unit = "s";
  m.kind = MetricKind::kHistogram;
  m.time_ns = 42;
  m.value = -1.5;
  m.count = (1ull << 40) + 12;
  m.sum = 1234.5;
  m.bucket_bounds = bounds;
  m.bucket_counts = counts;
  m.attributes = std::span(kAttributes).first(1);
  m.priority = Priority::kLow;
  RecordEncoder encoder;
  const fb::Metric* got = encode_and_read<fb::Metric>(encoder, m, RecordKind::kMetric);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(str(got->name()), "request.latency");
  EXPECT_EQ(str(got->unit()), "s");
  EXPECT_EQ(got->kind(), fb::MetricKind::Histogram);
  EXPECT_EQ(got->time_ns(), 42);
  EXPECT_EQ(got->value(), -1.5);
  EXPECT_EQ(got->count(), (1ull << 40) + 12);
  EXPECT_EQ(got->sum(), 1234.5);
  ASSERT_NE(got->bucket_bounds(), nullptr);
  EXPECT_EQ(std::vector<double>(got->bucket_bounds()->begin(), got->bucket_bounds()->end()),
            std::vector<double>(bounds.begin(), bounds.end()));
  ASSERT_NE(got->bucket_counts(), nullptr);
  EXPECT_EQ(std::vector<std::uint64_t>(got->bucket_counts()->begin(), got->bucket_counts()->end()),
            std::vector<std::uint64_t>(counts.begin(), counts.end()));
  expect_attributes(got->attributes(), m.attributes);
}

TEST(RecordEncoder, RawRecordRoundTrips) {
  std::vector<std::uint8_t> data(300);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  RawRecord rec{"prediction", data, Priority::kHigh};
  RecordEncoder encoder;
  const fb::Record* got = encode_and_read<fb::Record>(encoder, rec, RecordKind::kRecord);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(str(got->type_tag()), "prediction");
  ASSERT_NE(got->data(), nullptr);
  EXPECT_EQ(std::vector<std::uint8_t>(got->data()->begin(), got->data()->end()), data);
}

TEST(RecordEncoder, ReuseAcrossManyEncodesGivesIdenticalBytes) {
  const std::array<SpanEvent, 2> events = {SpanEvent{"a", 1, kAttributes}, SpanEvent{"b", 2, {}}};
  const Span s = full_span(events);
  RecordEncoder fresh;
  const EncodedRecord first = fresh.encode(s);
  const std::vector<std::uint8_t> expected(first.bytes.begin(), first.bytes.end());

  RecordEncoder reused;
  const std::vector<std::uint8_t> big(100'000, 0xab);
  for (int i = 0; i < 1000; ++i) {
    // Interleave other kinds and sizes: each encode must start from a clean builder.
    (void)reused.encode(RawRecord{"blob", std::span(big).first(static_cast<std::size_t>(i) * 97)});
    (void)reused.encode(LogRecord{.time_ns = i, .body = "log line"});
    const EncodedRecord r = reused.encode(s);
    ASSERT_TRUE(verify_encoded(RecordKind::kSpan, r.bytes).is_ok()) << i;
    ASSERT_EQ(std::vector<std::uint8_t>(r.bytes.begin(), r.bytes.end()), expected) << i;
  }
}

TEST(RecordEncoder, RecordsBeyondTheRetainedSizeStillEncode) {
  const std::vector<std::uint8_t> big(3 * RecordEncoder::kRetainedBytes, 0x5a);
  RecordEncoder encoder;
  for (int round = 0; round < 3; ++round) {
    const fb::Record* got =
        encode_and_read<fb::Record>(encoder, RawRecord{"big", big}, RecordKind::kRecord);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(got->data()->size(), big.size());
    EXPECT_EQ(std::memcmp(got->data()->data(), big.data(), big.size()), 0);
    // The next, small record is built after the big one's memory was given back.
    const fb::LogRecord* small =
        encode_and_read<fb::LogRecord>(encoder, LogRecord{.body = "after"}, RecordKind::kLog);
    ASSERT_NE(small, nullptr);
    EXPECT_EQ(str(small->body()), "after");
  }
}

// The builder starts at kInitialBytes and grows (moves) when a record needs more: wherever
// that happens, in a string, an attribute table or its vtable, the record must come out whole.
TEST(RecordEncoder, GrowingMidRecordKeepsEveryField) {
  const std::string long_text(RecordEncoder::kInitialBytes + 100, 'n');
  for (std::size_t n = RecordEncoder::kInitialBytes - 300; n < long_text.size(); ++n) {
    Span s;
    s.name = std::string_view(long_text).substr(0, n);
    s.attributes = kAttributes;
    RecordEncoder encoder;  // fresh: kInitialBytes
    const fb::Span* got = encode_and_read<fb::Span>(encoder, s, RecordKind::kSpan);
    ASSERT_NE(got, nullptr) << n;
    EXPECT_EQ(got->name()->size(), n);
    expect_attributes(got->attributes(), s.attributes);
  }
}

TEST(RecordEncoder, ClearKeepsEncoderUsable) {
  RecordEncoder encoder;
  (void)encoder.encode(RawRecord{"x", {}});
  encoder.clear();
  const EncodedRecord r = encoder.encode(RawRecord{"y", {}});
  // 8-byte aligned even though this table has no 8-byte field (verify_encoded needs it).
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.bytes.data()) % 8, 0u);
  ASSERT_TRUE(verify_encoded(RecordKind::kRecord, r.bytes).is_ok());
  EXPECT_EQ(str(flatbuffers::GetRoot<fb::Record>(r.bytes.data())->type_tag()), "y");
}

// Heap copy of exactly the given bytes (operator new[] aligns to 16), so a read one byte
// past them is caught by ASan.
struct Copy {
  explicit Copy(std::span<const std::uint8_t> bytes) : storage(new std::uint8_t[bytes.size()]) {
    if (!bytes.empty()) std::memcpy(storage.get(), bytes.data(), bytes.size());
    view = {storage.get(), bytes.size()};
  }
  std::unique_ptr<std::uint8_t[]> storage;
  std::span<const std::uint8_t> view;
};

TEST(VerifyEncoded, RejectsEveryTruncation) {
  const std::array<SpanEvent, 2> events = {SpanEvent{"a", 1, kAttributes}, SpanEvent{"b", 2, {}}};
  RecordEncoder encoder;
  const EncodedRecord r = encoder.encode(full_span(events));
  // The builder pads the first object it writes (the end of the buffer) to 4 bytes; every
  // prefix that loses more than that padding loses content.
  ASSERT_GT(r.bytes.size(), 3u);
  for (std::size_t n = 0; n < r.bytes.size() - 3; ++n) {
    const Copy c(r.bytes.first(n));
    const Status s = verify_encoded(RecordKind::kSpan, c.view);
    ASSERT_FALSE(s.is_ok()) << "prefix of " << n << " bytes verified";
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
  }
}

TEST(VerifyEncoded, MessageNamesTheKindAndSize) {
  const std::array<std::uint8_t, 8> garbage = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4};
  const Copy c(garbage);
  const Status s = verify_encoded(RecordKind::kMetric, c.view);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("metric"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("8 bytes"), std::string::npos) << s.message();
}

TEST(VerifyEncoded, RejectsGarbageOfEverySize) {
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes.push_back(static_cast<std::uint8_t>(x));
    // Random bytes almost never form a table; what matters is that verifying never reads
    // outside them (ASan) and that accepted bytes really are readable.
    const Copy c(bytes);
    for (RecordKind kind :
         {RecordKind::kSpan, RecordKind::kLog, RecordKind::kMetric, RecordKind::kRecord}) {
      (void)verify_encoded(kind, c.view);
    }
  }
}

// Found by fuzz/record_json_fuzzer: a Metric whose bucket vectors sit 4 bytes off 8-byte
// alignment passes the FlatBuffers verifier (it checks only the length prefix) but reading
// the doubles would be undefined behaviour.
TEST(VerifyEncoded, RejectsMisalignedEightByteVectors) {
  // The input it found (fuzz/corpus/record_json/metric-misaligned-bucket-vectors without
  // its 2-byte frame type): bucket_counts starts 4 bytes off 8-byte alignment.
  const auto payload = engine::base64_decode(
      "HAAAABgANAAYABQABwAsAAAAJAAcABAADAAIABgAAAAAAAACLAAAAGAAAACAAAAAnAAAAKAAAAAAAAAAAAAMQAoA"
      "AAAAAAAABQAAAAAAAAABAAAAEAAAAAwAGAAIAAcAAAAMAAwAAAAAAAABEAAAAAcAAAAAAAAAAAAAAAEAAABuAAAA"
      "BAAAAAEAAAAAAAAAAgAAAAAAAAADAAAABAAAAAAAAAAAAAAAAAAAgAMAAACamZmZmZm5PwAAAAAAAPA/AAAAAAAA"
      "JEAAAAAAAQAAAHMAAAAHAAAAbGF0ZW5jeQA=");
  ASSERT_TRUE(payload.has_value());
  const std::vector<std::uint8_t> bytes(payload->begin(), payload->end());
  const Copy c(bytes);
  const Status s = verify_encoded(RecordKind::kMetric, c.view);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.to_string();
  EXPECT_NE(s.message().find("misaligned"), std::string::npos) << s.message();
}

TEST(VerifyEncoded, KindsWithoutTableAreInvalidArguments) {
  RecordEncoder encoder;
  const EncodedRecord r = encoder.encode(RawRecord{"t", {}});
  EXPECT_EQ(verify_encoded(RecordKind::kRawFrame, r.bytes).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(verify_encoded(static_cast<RecordKind>(99), r.bytes).code(),
            StatusCode::kInvalidArgument);
}

TEST(VerifyEncoded, MisalignedCopyIsRejectedAndSaysWhy) {
  RecordEncoder encoder;
  LogRecord l;
  l.time_ns = 5;
  l.body = "b";
  const EncodedRecord r = encoder.encode(l);
  std::vector<std::uint64_t> storage(r.bytes.size() / 8 + 2);
  auto* misaligned = reinterpret_cast<std::uint8_t*>(storage.data()) + 4;
  std::memcpy(misaligned, r.bytes.data(), r.bytes.size());
  const Status s = verify_encoded(RecordKind::kLog, {misaligned, r.bytes.size()});
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("aligned"), std::string::npos) << s.message();
}

TEST(RecordKindName, NamesEveryKind) {
  EXPECT_EQ(record_kind_name(RecordKind::kRawFrame), "raw");
  EXPECT_EQ(record_kind_name(RecordKind::kSpan), "span");
  EXPECT_EQ(record_kind_name(RecordKind::kLog), "log");
  EXPECT_EQ(record_kind_name(RecordKind::kMetric), "metric");
  EXPECT_EQ(record_kind_name(RecordKind::kRecord), "record");
  EXPECT_EQ(record_kind_name(static_cast<RecordKind>(77)), "unknown");
}

}  // namespace
}  // namespace spool
