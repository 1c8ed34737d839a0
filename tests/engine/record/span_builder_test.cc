// Trace context (ids, traceparent), SpanBuilder and ScopedSpan.
#include "spool/span_builder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "spool/buffer.h"
#include "spool/record_verify.h"
#include "spool/records_generated.h"
#include "spool/scoped_span.h"
#include "spool/trace_context.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

// Counts every allocation of this test program, so a test can assert that a stretch of code
// allocated nothing. Counting is process-wide; the tests that read it run single-threaded.
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace spool {
namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

TEST(TraceIds, NonZeroAndDistinct) {
  std::set<std::string> traces, spans;
  for (int i = 0; i < 10'000; ++i) {
    const TraceId t = new_trace_id();
    const SpanId s = new_span_id();
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    ASSERT_TRUE(traces.insert(t.hex()).second) << "repeated trace id " << t.hex();
    ASSERT_TRUE(spans.insert(s.hex()).second) << "repeated span id " << s.hex();
  }
}

TEST(TraceIds, ThreadsDrawDifferentIds) {
  std::vector<std::string> other(100);
  std::thread t([&] {
    for (auto& id : other) id = new_span_id().hex();
  });
  t.join();
  std::set<std::string> mine;
  for (int i = 0; i < 100; ++i) mine.insert(new_span_id().hex());
  for (const auto& id : other) EXPECT_EQ(mine.count(id), 0u) << id;
}

TEST(TraceIds, HexIsLowercaseAndValidityNeedsANonZeroByte) {
  TraceId t;
  EXPECT_FALSE(t.valid());
  EXPECT_EQ(t.hex(), std::string(32, '0'));
  t.bytes[15] = 0xAB;
  EXPECT_TRUE(t.valid());
  EXPECT_EQ(t.hex(), std::string(30, '0') + "ab");
  SpanId s;
  EXPECT_FALSE(s.valid());
  s.bytes = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  EXPECT_TRUE(s.valid());
  EXPECT_EQ(s.hex(), "0123456789abcdef");
}

TEST(Traceparent, FormatsAndParsesBack) {
  SpanContext ctx{new_trace_id(), new_span_id(), true};
  const std::string header = traceparent(ctx);
  ASSERT_EQ(header.size(), 55u);
  EXPECT_EQ(header, "00-" + ctx.trace_id.hex() + "-" + ctx.span_id.hex() + "-01");
  auto parsed = parse_traceparent(header);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed.value(), ctx);

  ctx.sampled = false;
  EXPECT_EQ(traceparent(ctx).substr(52), "-00");
  auto unsampled = parse_traceparent(traceparent(ctx));
  ASSERT_TRUE(unsampled.is_ok());
  EXPECT_FALSE(unsampled->sampled);
}

TEST(Traceparent, ParsesTheSpecificationExample) {
  auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->span_id.hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(parsed->sampled);
  // Other flag bits are carried by the header but only "sampled" means something here.
  auto other_flags = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02");
  ASSERT_TRUE(other_flags.is_ok());
  EXPECT_FALSE(other_flags->sampled);
}

TEST(Traceparent, AcceptsLaterVersionsWithExtraFields) {
  const std::string base = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_TRUE(parse_traceparent("01-" + base).is_ok());
  EXPECT_TRUE(parse_traceparent("cc-" + base + "-what-the-future-holds").is_ok());
  EXPECT_FALSE(parse_traceparent("cc-" + base + "x").is_ok());
}

TEST(Traceparent, RejectsEverythingElse) {
  const std::string ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "shorter"},
      {ok.substr(0, 54), "shorter"},
      {ok + "-", "exactly 55"},
      {"ff" + ok.substr(2), "ff"},
      {"0g" + ok.substr(2), "version"},
      {"0A" + ok.substr(2), "version"},
      {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "trace id"},
      {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all zeros"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all zeros"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", "parent id"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", "flags"},
      {"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "'-'"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", "'-'"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01", "'-'"},
      {"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", "'-'"},
  };
  for (const auto& [header, why] : cases) {
    auto parsed = parse_traceparent(header);
    ASSERT_FALSE(parsed.is_ok()) << header;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << header;
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << header << ": " << parsed.status().message();
  }
}

TEST(SpanBuilder, RootSpanGetsNewTraceAndNoParent) {
  SpanBuilder b;
  b.start("root", SpanType::kGeneration);
  const Span& s = b.span();
  EXPECT_TRUE(s.trace_id.valid());
  EXPECT_TRUE(s.span_id.valid());
  EXPECT_FALSE(s.parent_span_id.valid());
  EXPECT_EQ(s.name, "root");
  EXPECT_EQ(s.type, SpanType::kGeneration);
  EXPECT_GT(s.start_ns, 0);
  const TraceId first = s.trace_id;
  b.start("another root");
  EXPECT_NE(b.span().trace_id, first);
}

TEST(SpanBuilder, ChildKeepsTraceAndSetsParent) {
  SpanBuilder parent;
  parent.start("parent");
  SpanContext ctx = parent.context();
  ctx.sampled = false;
  SpanBuilder child;
  child.start_child("child", ctx, SpanType::kTool);
  EXPECT_EQ(child.span().trace_id, ctx.trace_id);
  EXPECT_EQ(child.span().parent_span_id, ctx.span_id);
  EXPECT_NE(child.span().span_id, ctx.span_id);
  EXPECT_FALSE(child.context().sampled);
  EXPECT_EQ(child.span().type, SpanType::kTool);

  // Parsed from a header: the same.
  auto remote = parse_traceparent(traceparent(parent.context()));
  ASSERT_TRUE(remote.is_ok());
  child.start_child("remote child", remote.value());
  EXPECT_EQ(child.span().trace_id, parent.span().trace_id);
  EXPECT_EQ(child.span().parent_span_id, parent.span().span_id);

  // An invalid parent starts a new trace rather than an orphan.
  child.start_child("orphan?", SpanContext{});
  EXPECT_TRUE(child.span().trace_id.valid());
  EXPECT_FALSE(child.span().parent_span_id.valid());
}

TEST(SpanBuilder, CopiesEveryFieldSoCallerStringsMayDie) {
  SpanBuilder b;
  {
    std::string text(300, 'x');
    auto tmp = [&](const char* prefix) { return std::string(prefix) + text; };
    b.start(tmp("name-"), SpanType::kGeneration)
        .set_component_type(tmp("component-"))
        .set_model(tmp("model-"))
        .set_input(tmp("input-"))
        .set_output(tmp("output-"))
        .set_tokens(11, 22)
        .set_tool_name(tmp("tool-"))
        .set_tool_input(tmp("tool-in-"))
        .set_tool_output(tmp("tool-out-"))
        .set_status(SpanStatus::kError, tmp("boom-"))
        .set_priority(Priority::kCritical)
        .add_attribute(Attribute::string(tmp("k-"), tmp("v-")))
        .add_attribute(Attribute::integer(tmp("i-"), -7))
        .add_attribute(Attribute::floating("d", 2.5))
        .add_attribute(Attribute::boolean("b", true));
    std::string event_key = tmp("ek-"), event_value = tmp("ev-");
    const Attribute event_attributes[] = {Attribute::string(event_key, event_value)};
    b.add_event(tmp("event-"), 1234, event_attributes).add_event("now");
    // The originals change and die; the builder's copies must not.
    text.assign(300, '#');
    event_key.assign(event_key.size(), '#');
    event_value.assign(event_value.size(), '#');
  }
  b.end();
  const std::string x(300, 'x');
  const Span& s = b.span();
  EXPECT_EQ(s.name, "name-" + x);
  EXPECT_EQ(s.component_type, "component-" + x);
  EXPECT_EQ(s.model, "model-" + x);
  EXPECT_EQ(s.input, "input-" + x);
  EXPECT_EQ(s.output, "output-" + x);
  EXPECT_EQ(s.input_tokens, 11);
  EXPECT_EQ(s.output_tokens, 22);
  EXPECT_EQ(s.tool_name, "tool-" + x);
  EXPECT_EQ(s.tool_input, "tool-in-" + x);
  EXPECT_EQ(s.tool_output, "tool-out-" + x);
  EXPECT_EQ(s.status, SpanStatus::kError);
  EXPECT_EQ(s.status_message, "boom-" + x);
  EXPECT_EQ(s.priority, Priority::kCritical);
  ASSERT_EQ(s.attributes.size(), 4u);
  EXPECT_EQ(s.attributes[0].key, "k-" + x);
  EXPECT_EQ(s.attributes[0].string_value, "v-" + x);
  EXPECT_EQ(s.attributes[1].key, "i-" + x);
  EXPECT_EQ(s.attributes[1].int_value, -7);
  EXPECT_EQ(s.attributes[2].double_value, 2.5);
  EXPECT_TRUE(s.attributes[3].bool_value);
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].name, "event-" + x);
  EXPECT_EQ(s.events[0].time_ns, 1234);
  ASSERT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(s.events[0].attributes[0].key, "ek-" + x);
  EXPECT_EQ(s.events[0].attributes[0].string_value, "ev-" + x);
  EXPECT_EQ(s.events[1].name, "now");
  EXPECT_GE(s.events[1].time_ns, s.start_ns);
  EXPECT_TRUE(s.events[1].attributes.empty());
  EXPECT_GE(s.end_ns, s.start_ns);
}

TEST(SpanBuilder, EncodeProducesTheSpan) {
  SpanBuilder b;
  b.start("llm-call", SpanType::kGeneration).set_model("gpt-4").set_priority(Priority::kHigh);
  b.add_attribute(Attribute::string("env", "production")).end();
  const EncodedRecord r = b.encode();
  EXPECT_EQ(r.kind, RecordKind::kSpan);
  EXPECT_EQ(r.priority, Priority::kHigh);
  ASSERT_TRUE(verify_encoded(RecordKind::kSpan, r.bytes).is_ok());
  const fb::Span* s = flatbuffers::GetRoot<fb::Span>(r.bytes.data());
  EXPECT_EQ(str(s->name()), "llm-call");
  EXPECT_EQ(str(s->model()), "gpt-4");
  EXPECT_EQ(s->type(), fb::SpanType::Generation);
  EXPECT_EQ(s->duration_ns(), b.span().end_ns - b.span().start_ns);
  ASSERT_NE(s->attributes(), nullptr);
  EXPECT_EQ(str(s->attributes()->Get(0)->string_value()), "production");
}

TEST(SpanBuilder, ResetForgetsEverything) {
  SpanBuilder b;
  b.start("x").set_model("m").add_attribute(Attribute::integer("i", 1)).add_event("e");
  b.reset();
  const Span& s = b.span();
  EXPECT_FALSE(s.trace_id.valid());
  EXPECT_TRUE(s.name.empty());
  EXPECT_TRUE(s.model.empty());
  EXPECT_TRUE(s.attributes.empty());
  EXPECT_TRUE(s.events.empty());
}

// One standard-looking span (WORKLOAD.md), built the way an instrumented handler would.
void fill_standard_span(SpanBuilder& b, const std::string& input, const std::string& output,
                        const std::string& request_id) {
  b.start("llm-call", SpanType::kGeneration)
      .set_component_type("reasoning")
      .set_model("gpt-4")
      .set_input(input)
      .set_output(output)
      .set_tokens(512, 1024)
      .set_status(SpanStatus::kOk)
      .add_attribute(Attribute::string("env", "production"))
      .add_attribute(Attribute::string("service", "inference-gw"))
      .add_attribute(Attribute::string("region", "edge-eu-1"))
      .add_attribute(Attribute::string("request_id", request_id))
      .add_event("first-token")
      .end();
}

TEST(SpanBuilder, SteadyStateAllocatesNothing) {
  const std::string input(256, 'i'), output(256, 'o');
  const std::string request_id = "123e4567-e89b-42d3-a456-426614174000";
  SpanBuilder b;
  // Warm up: the first spans grow every buffer to its working size.
  for (int i = 0; i < 3; ++i) {
    fill_standard_span(b, input, output, request_id);
    ASSERT_FALSE(b.encode().bytes.empty());
  }
  const std::uint64_t before = g_allocations.load();
  std::size_t bytes = 0;
  for (int i = 0; i < 1000; ++i) {
    fill_standard_span(b, input, output, request_id);
    bytes += b.encode().bytes.size();
    (void)new_trace_id();
  }
  const std::uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(bytes, 1000u * 512);
}

TEST(RecordEncoder, SteadyStateAllocatesNothing) {
  const Attribute attributes[] = {Attribute::string("env", "production"),
                                  Attribute::integer("n", 3)};
  const double bounds[] = {1, 2};
  const std::uint64_t counts[] = {1, 2, 3};
  Span span;
  span.name = "s";
  span.attributes = attributes;
  LogRecord log;
  log.body = "b";
  log.attributes = attributes;
  Metric metric;
  metric.bucket_bounds = bounds;
  metric.bucket_counts = counts;
  const std::uint8_t data[] = {1, 2, 3};
  RecordEncoder encoder;
  auto all = [&] {
    (void)encoder.encode(span);
    (void)encoder.encode(log);
    (void)encoder.encode(metric);
    (void)encoder.encode(RawRecord{"r", data});
  };
  all();
  const std::uint64_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) all();
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

// ScopedSpan appends through a real Buffer and reads the log back.
TEST(ScopedSpan, EndsAndAppendsOnScopeExit) {
  testing::TempDir dir;
  auto buffer = Buffer::open(dir.path(), Options{});
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  SpanContext root_ctx;
  Status root_status;
  {
    ScopedSpan root(**buffer, "request", SpanType::kSpan);
    root_ctx = root.context();
    {
      ScopedSpan child(**buffer, "llm-call", SpanType::kGeneration, root.context());
      child.builder().set_model("gpt-4");
      EXPECT_EQ(child.context().trace_id, root_ctx.trace_id);
      EXPECT_TRUE(child.status().is_ok());  // not appended yet
    }
    EXPECT_TRUE(root.finish().is_ok());
    EXPECT_GE(root.builder().span().end_ns, root.builder().span().start_ns);
    root_status = root.status();
  }  // already finished: the destructor does not append again
  EXPECT_TRUE(root_status.is_ok()) << root_status.to_string();
  ASSERT_TRUE((*buffer)->shutdown().is_ok());

  // The child ended (and was appended) first; both are spans of one trace.
  const auto log = testing::open_log(dir.path(), LogOptions{}, segment::OpenMode::kReadOnly);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  segment::LogReader reader = log->scan(0);
  segment::RecordView record;
  std::vector<std::pair<std::string, std::string>> got;  // name, parent span id
  while (reader.next(&record)) {
    ASSERT_EQ(record.type, static_cast<std::uint16_t>(RecordKind::kSpan));
    ASSERT_TRUE(verify_encoded(RecordKind::kSpan, record.payload).is_ok());
    const fb::Span* s = flatbuffers::GetRoot<fb::Span>(record.payload.data());
    EXPECT_GE(s->end_ns(), s->start_ns());
    EXPECT_EQ(std::memcmp(s->trace_id()->bytes()->data(), root_ctx.trace_id.bytes.data(), 16), 0);
    SpanId parent;
    if (s->parent_span_id() != nullptr) {
      std::memcpy(parent.bytes.data(), s->parent_span_id()->bytes()->data(), 8);
    }
    got.emplace_back(str(s->name()), parent.valid() ? parent.hex() : "");
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(std::string("llm-call"), root_ctx.span_id.hex()));
  EXPECT_EQ(got[1], std::make_pair(std::string("request"), std::string()));
}

TEST(ScopedSpan, KeepsTheAppendStatusWhenTheBufferIsClosed) {
  testing::TempDir dir;
  auto buffer = Buffer::open(dir.path(), Options{});
  ASSERT_TRUE(buffer.is_ok()) << buffer.status().to_string();
  ASSERT_TRUE((*buffer)->shutdown().is_ok());
  ScopedSpan span(**buffer, "late");
  EXPECT_EQ(span.finish().code(), StatusCode::kClosed);
  EXPECT_EQ(span.status().code(), StatusCode::kClosed);
}

}  // namespace
}  // namespace spool
