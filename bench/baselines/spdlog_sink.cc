// Baseline: spans logged as JSON lines through an spdlog async logger, the natural way to
// log spans with the most used C++ logging library. One basic_file_sink, a thread pool with
// a queue of 8192 messages and one worker, overflow policy block (spdlog's default), pattern
// "%v" so the file holds the JSON lines and nothing else.
//
// append formats the span on the producer thread with fmt (logger->info("{}", line)); the
// worker copies each message to the file through stdio. The line is built in a buffer the
// thread reuses, which is kinder to the baseline than a fresh std::string per span.
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "bench/baselines/span_sink.h"
#include "tools/standard_span.h"

namespace spool::bench {

namespace {

constexpr std::size_t kQueueMessages = 8192;

// spdlog's async flush() only posts a flush request. The worker flushes a logger's sinks in
// order, so a last sink that counts its flushes says when the file sink before it has been
// flushed. Its level is off: it never sees a message, only flushes.
class FlushSignal final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::uint64_t flushes() {
    std::lock_guard<std::mutex> lock(signal_mu_);
    return flushes_;
  }
  void wait_for_flush_after(std::uint64_t seen) {
    std::unique_lock<std::mutex> lock(signal_mu_);
    flushed_.wait(lock, [&] { return flushes_ > seen; });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg&) override {}
  void flush_() override {
    {
      std::lock_guard<std::mutex> lock(signal_mu_);
      ++flushes_;
    }
    flushed_.notify_all();
  }

 private:
  std::mutex signal_mu_;
  std::condition_variable flushed_;
  std::uint64_t flushes_ = 0;
};

class SpdlogSink final : public SpanSink {
 public:
  explicit SpdlogSink(const std::string& path)
      : pool_(std::make_shared<spdlog::details::thread_pool>(kQueueMessages, 1)),
        signal_(std::make_shared<FlushSignal>()) {
    signal_->set_level(spdlog::level::off);
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/true);
    spdlog::sinks_init_list sinks{file, signal_};
    logger_ = std::make_shared<spdlog::async_logger>("spans", sinks, pool_,
                                                     spdlog::async_overflow_policy::block);
    logger_->set_pattern("%v");
  }
  ~SpdlogSink() override {
    logger_.reset();
    pool_.reset();  // the worker writes what is queued, then stops
  }

  bool append(const Span& span) override {
    thread_local std::string line;
    line.clear();
    tools::append_span_json(line, span);
    logger_->info("{}", std::string_view(line));
    return true;
  }

  Status flush_and_wait() override {
    const std::uint64_t seen = signal_->flushes();
    logger_->flush();
    signal_->wait_for_flush_after(seen);
    return Status::ok();
  }

 private:
  std::shared_ptr<spdlog::details::thread_pool> pool_;  // the logger holds a weak_ptr
  std::shared_ptr<FlushSignal> signal_;
  std::shared_ptr<spdlog::async_logger> logger_;
};

}  // namespace

Result<std::unique_ptr<SpanSink>> open_spdlog_sink(const std::string& dir) {
  try {
    return std::unique_ptr<SpanSink>(std::make_unique<SpdlogSink>(dir + "/spans.jsonl"));
  } catch (const spdlog::spdlog_ex& e) {
    return Status::io_error(std::string("spdlog: ") + e.what());
  }
}

}  // namespace spool::bench
