// SpdlogSink: each spdlog line becomes a LogRecord in the Buffer's log, with the trace and
// span ids of the thread's current ScopedSpan (none outside one), OpenTelemetry's severity
// for spdlog's level, the logger's name and the source location; lines below the minimum
// level are not appended.
#include "spool/spdlog_sink.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "segment/segment_log.h"
#include "spool/records_generated.h"
#include "spool/scoped_span.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"

namespace spool {
namespace {

using testing::TempDir;

// One log line as it reached the log.
struct Line {
  std::string body;
  std::int32_t severity = 0;
  std::string severity_text;
  std::int64_t time_ns = 0;
  TraceId trace_id;
  SpanId span_id;
  std::map<std::string, std::string> attributes;  // ints as text
};

// The LogRecords in the log at `dir`, in order (the Buffer shut down).
std::vector<Line> read_lines(const std::string& dir) {
  std::vector<Line> out;
  auto log = segment::SegmentLog::open(dir, LogOptions{}, segment::OpenMode::kReadOnly);
  EXPECT_TRUE(log) << log.status().to_string();
  if (!log) return out;
  segment::LogReader reader = (*log)->scan(0);
  segment::RecordView view;
  while (reader.next(&view)) {
    if (view.type != static_cast<std::uint16_t>(RecordKind::kLog)) continue;
    const std::string bytes(reinterpret_cast<const char*>(view.payload.data()),
                            view.payload.size());
    const auto* record = flatbuffers::GetRoot<fb::LogRecord>(bytes.data());
    Line line;
    line.body = record->body() ? record->body()->str() : "";
    line.severity = record->severity_number();
    line.severity_text = record->severity_text() ? record->severity_text()->str() : "";
    line.time_ns = record->time_ns();
    if (record->trace_id())
      std::memcpy(line.trace_id.bytes.data(), record->trace_id()->bytes()->data(), 16);
    if (record->span_id())
      std::memcpy(line.span_id.bytes.data(), record->span_id()->bytes()->data(), 8);
    if (record->attributes()) {
      for (const fb::Attribute* a : *record->attributes()) {
        line.attributes[a->key()->str()] =
            a->string_value() ? a->string_value()->str() : std::to_string(a->int_value());
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

class SpdlogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    buffer_ = testing::open_small_buffer(dir_.path());
    ASSERT_NE(buffer_, nullptr);
  }
  // A logger named `name` on a sink of the Buffer with `min_level`.
  std::shared_ptr<spdlog::logger> logger(const std::string& name,
                                         spdlog::level::level_enum min_level) {
    sink_ = std::make_shared<SpdlogSinkMt>(*buffer_, min_level);
    auto logger = std::make_shared<spdlog::logger>(name, sink_);
    logger->set_level(spdlog::level::trace);  // the sink alone decides
    return logger;
  }
  std::vector<Line> lines() {
    EXPECT_TRUE(buffer_->shutdown().is_ok());
    return read_lines(dir_.path());
  }

  TempDir dir_;
  std::unique_ptr<Buffer> buffer_;
  std::shared_ptr<SpdlogSinkMt> sink_;
};

TEST_F(SpdlogSinkTest, LinesCarryTheCurrentSpansIdsInsideAScopedSpanAndNoneOutside) {
  auto log = logger("retriever", spdlog::level::trace);
  SpanContext outer_context, inner_context;
  log->info("before any span");
  {
    ScopedSpan outer(*buffer_, "request");
    outer_context = outer.context();
    log->info("in the request");
    {
      ScopedSpan inner(*buffer_, "retrieve", SpanType::kRetrieval, outer.context());
      inner_context = inner.context();
      log->warn("index {} is stale", "docs");
    }
    log->info("back in the request");
    // The writer drains each thread's ring on its own: flush to keep the log in call order.
    ASSERT_TRUE(buffer_->flush().is_ok());
    std::thread other([&] { log->info("another thread, in no span"); });
    other.join();
    ASSERT_TRUE(buffer_->flush().is_ok());
  }
  log->info("after the spans");
  const std::vector<Line> got = lines();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].body, "before any span");
  EXPECT_FALSE(got[0].trace_id.valid());
  EXPECT_FALSE(got[0].span_id.valid());
  EXPECT_EQ(got[1].trace_id, outer_context.trace_id);
  EXPECT_EQ(got[1].span_id, outer_context.span_id);
  EXPECT_EQ(got[2].body, "index docs is stale");
  EXPECT_EQ(got[2].trace_id, outer_context.trace_id);  // a child: same trace
  EXPECT_EQ(got[2].span_id, inner_context.span_id);
  EXPECT_EQ(got[3].span_id, outer_context.span_id);
  EXPECT_EQ(got[4].body, "another thread, in no span");
  EXPECT_FALSE(got[4].span_id.valid());
  EXPECT_FALSE(got[5].trace_id.valid());
  EXPECT_EQ(sink_->appended(), 6u);
}

TEST_F(SpdlogSinkTest, AFinishedSpanIsNoLongerCurrent) {
  auto log = logger("app", spdlog::level::trace);
  {
    ScopedSpan outer(*buffer_, "outer");
    ScopedSpan inner(*buffer_, "inner", SpanType::kSpan, outer.context());
    ScopedSpan innermost(*buffer_, "innermost", SpanType::kSpan, inner.context());
    ASSERT_TRUE(innermost.finish().is_ok());
    EXPECT_EQ(ScopedSpan::current(), inner.context());
    ASSERT_TRUE(outer.finish().is_ok());  // ends before the span inside it
    EXPECT_EQ(ScopedSpan::current(), inner.context());
    ASSERT_TRUE(inner.finish().is_ok());
    EXPECT_FALSE(ScopedSpan::current().valid());
    log->info("after finish");
  }
  const std::vector<Line> got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].span_id.valid());
}

TEST_F(SpdlogSinkTest, LinesBelowTheMinimumLevelAreNotAppended) {
  auto log = logger("app", spdlog::level::warn);
  log->trace("t");
  log->debug("d");
  log->info("i");
  log->warn("w");
  log->error("e");
  sink_->set_level(spdlog::level::err);  // the sink's spdlog level is the minimum
  log->warn("w2");
  log->critical("c");
  const std::vector<Line> got = lines();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "w");
  EXPECT_EQ(got[1].body, "e");
  EXPECT_EQ(got[2].body, "c");
  EXPECT_EQ(sink_->appended(), 3u);
  EXPECT_EQ(sink_->not_appended(), 0u);
}

TEST_F(SpdlogSinkTest, SeverityFollowsOpenTelemetrysNumbers) {
  auto log = logger("app", spdlog::level::trace);
  log->trace("x");
  log->debug("x");
  log->info("x");
  log->warn("x");
  log->error("x");
  log->critical("x");
  const std::vector<Line> got = lines();
  ASSERT_EQ(got.size(), 6u);
  const std::vector<std::pair<std::int32_t, std::string>> want = {
      {1, "trace"}, {5, "debug"}, {9, "info"}, {13, "warning"}, {17, "error"}, {21, "critical"}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].severity, want[i].first) << i;
    EXPECT_EQ(got[i].severity_text, want[i].second) << i;
  }
  EXPECT_EQ(otel_severity_number(spdlog::level::off), 0);
}

TEST_F(SpdlogSinkTest, TheLoggerNameAndTheSourceLocationAreAttributes) {
  auto log = logger("retriever", spdlog::level::trace);
  log->set_pattern("%Y-%m-%d %l %v");  // the pattern does not reach the record
  const auto before = std::chrono::system_clock::now();
  SPDLOG_LOGGER_INFO(log, "with location {}", 1);
  const int line = __LINE__ - 1;
  log->info("without location");
  auto unnamed = std::make_shared<spdlog::logger>("", sink_);
  unnamed->info("unnamed");
  const std::vector<Line> got = lines();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "with location 1");
  EXPECT_GE(
      got[0].time_ns,
      std::chrono::duration_cast<std::chrono::nanoseconds>(before.time_since_epoch()).count());
  EXPECT_EQ(got[0].attributes.at("logger.name"), "retriever");
  EXPECT_NE(got[0].attributes.at("code.file.path").find("spdlog_sink_test.cc"), std::string::npos);
  EXPECT_EQ(got[0].attributes.at("code.line.number"), std::to_string(line));
  EXPECT_NE(got[0].attributes.at("code.function.name").find("TestBody"), std::string::npos);
  EXPECT_EQ(got[1].attributes, (std::map<std::string, std::string>{{"logger.name", "retriever"}}));
  EXPECT_TRUE(got[2].attributes.empty());
}

TEST_F(SpdlogSinkTest, ALineTheBufferDoesNotQueueIsCountedNotThrown) {
  auto log = logger("app", spdlog::level::trace);
  ASSERT_TRUE(buffer_->shutdown().is_ok());
  log->error("after shutdown");  // Closed: counted by the Buffer (shutdown) and here
  EXPECT_EQ(sink_->appended(), 0u);
  EXPECT_EQ(sink_->not_appended(), 1u);
  EXPECT_EQ(buffer_->stats().dropped[static_cast<std::size_t>(DropReason::kShutdown)], 1u);
}

}  // namespace
}  // namespace spool
