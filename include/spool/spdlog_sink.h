// spool::SpdlogSink: an spdlog sink that appends each log line to a spool::Buffer as a
// LogRecord, tied to the span the line was written in.
//
//   auto sink = std::make_shared<spool::SpdlogSinkMt>(*buffer, spdlog::level::info);
//   auto logger = std::make_shared<spdlog::logger>("retriever", sink);
//   {
//     spool::ScopedSpan span(*buffer, "retrieve");
//     logger->warn("index {} is stale", name);   // carries the span's trace id and span id
//   }
//
// Each line becomes one LogRecord (include/spool/records.h):
//   time             the line's time (spdlog's clock)
//   severity_number  OpenTelemetry's: trace 1 (TRACE), debug 5 (DEBUG), info 9 (INFO),
//                    warn 13 (WARN), err 17 (ERROR), critical 21 (FATAL)
//   severity_text    spdlog's level name ("trace", "debug", "info", "warning", "error",
//                    "critical")
//   body             the formatted message, without the sink's pattern (time, level and
//                    logger are fields of the record already)
//   trace_id/span_id the calling thread's current ScopedSpan (ScopedSpan::current()); none
//                    outside a span
//   attributes       logger.name (when the logger has a name); code.file.path,
//                    code.line.number, code.function.name when spdlog has the source location
//                    (the SPDLOG_LOGGER_* macros)
//
// Lines below the minimum level are not appended (the sink's spdlog level, so set_level()
// changes it). An append that does not queue the line (a full queue: Buffer::append's
// status) is counted by the Buffer like any drop, and here in not_appended(); spdlog is not
// told (a logging call must not fail because telemetry is behind).
//
// Threads: the span is looked up on the thread that runs the sink, so use a synchronous
// logger (Buffer::append is already the hand-off to a background writer: tens of
// nanoseconds). Under spdlog's async logger the sink runs on spdlog's worker thread and the
// lines carry no span. SpdlogSinkMt serializes calls with a mutex, as spdlog's _mt sinks do;
// SpdlogSinkSt does not, and may be called from many threads at once as long as nobody
// changes its pattern or formatter meanwhile (it uses neither; Buffer::append is
// thread-safe).
//
// spdlog is not a dependency of spool's libraries: a program that includes this header
// links spdlog itself (Debian's libspdlog-dev, `find_package(spdlog)`, spdlog::spdlog).
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "spool/buffer.h"
#include "spool/records.h"
#include "spool/scoped_span.h"
#include "spool/status.h"

namespace spool {

// OpenTelemetry's severity number of an spdlog level (0 for `off`).
constexpr std::int32_t otel_severity_number(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
      return 1;
    case spdlog::level::debug:
      return 5;
    case spdlog::level::info:
      return 9;
    case spdlog::level::warn:
      return 13;
    case spdlog::level::err:
      return 17;
    case spdlog::level::critical:
      return 21;
    default:
      return 0;
  }
}

template <typename Mutex>
class SpdlogSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  // `buffer` must outlive the sink (and every logger that holds it). Every line gets
  // `priority` (what kSample may drop, what forwarding lanes order by).
  explicit SpdlogSink(Buffer& buffer, spdlog::level::level_enum min_level = spdlog::level::trace,
                      Priority priority = Priority::kNormal)
      : buffer_(buffer), priority_(priority) {
    this->set_level(min_level);
  }

  // Lines appended (queued by the Buffer), and lines the Buffer did not queue.
  std::uint64_t appended() const noexcept { return appended_.load(std::memory_order_relaxed); }
  std::uint64_t not_appended() const noexcept {
    return not_appended_.load(std::memory_order_relaxed);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!this->should_log(msg.level)) return;
    std::array<Attribute, 4> attributes;
    std::size_t count = 0;
    if (msg.logger_name.size() != 0) {
      attributes[count++] = Attribute::string("logger.name", view(msg.logger_name));
    }
    if (!msg.source.empty()) {
      if (msg.source.filename != nullptr) {
        attributes[count++] = Attribute::string("code.file.path", msg.source.filename);
      }
      attributes[count++] = Attribute::integer("code.line.number", msg.source.line);
      if (msg.source.funcname != nullptr) {
        attributes[count++] = Attribute::string("code.function.name", msg.source.funcname);
      }
    }
    LogRecord record;
    record.time_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
    record.severity_number = otel_severity_number(msg.level);
    record.severity_text = view(spdlog::level::to_string_view(msg.level));
    record.body = view(msg.payload);
    record.attributes = std::span<const Attribute>(attributes.data(), count);
    record.priority = priority_;
    if (const SpanContext span = ScopedSpan::current(); span.valid()) {
      record.trace_id = span.trace_id;
      record.span_id = span.span_id;
    }
    if (buffer_.append(record).is_ok()) {
      appended_.fetch_add(1, std::memory_order_relaxed);
    } else {
      not_appended_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // spdlog's flush (logger->flush(), flush_on): the lines are in the log when it returns.
  void flush_() override { (void)buffer_.flush(); }

 private:
  static std::string_view view(spdlog::string_view_t text) noexcept {
    return {text.data(), text.size()};
  }

  Buffer& buffer_;
  const Priority priority_;
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> not_appended_{0};
};

using SpdlogSinkMt = SpdlogSink<std::mutex>;
using SpdlogSinkSt = SpdlogSink<spdlog::details::null_mutex>;

}  // namespace spool
