// Baseline: the buffer of offline SDKs (a tracing or analytics SDK that keeps events in
// memory and writes them out in the background). append takes a mutex and pushes the span's
// JSON line into a std::vector; a background thread swaps the vector out every 100 ms, or
// as soon as it holds 4096 lines, and writes the lines to a file with fwrite, then fflush.
// No bound on the vector: such buffers grow with the backlog (peak RSS shows by how much).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/baselines/span_sink.h"
#include "tools/standard_span.h"

namespace spool::bench {

namespace {

constexpr std::size_t kWakeAtLines = 4096;
constexpr std::chrono::milliseconds kWriteInterval{100};

class JsonlSink final : public SpanSink {
 public:
  explicit JsonlSink(std::FILE* file) : file_(file), writer_([this] { write_loop(); }) {}
  ~JsonlSink() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_writer_.notify_one();
    writer_.join();
    std::fclose(file_);
  }

  bool append(const Span& span) override {
    std::string line;
    line.reserve(1024);
    tools::append_span_json(line, span);
    line.push_back('\n');
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back(std::move(line));
      ++appended_;
      wake = pending_.size() == kWakeAtLines;
    }
    if (wake) wake_writer_.notify_one();
    return true;
  }

  Status flush_and_wait() override {
    std::unique_lock<std::mutex> lock(mu_);
    const std::uint64_t target = appended_;
    flush_target_ = target;
    wake_writer_.notify_one();
    written_cv_.wait(lock, [&] { return written_ >= target || write_failed_; });
    if (write_failed_) return Status::io_error("jsonl: cannot write the file");
    return Status::ok();
  }

 private:
  void write_loop() {
    std::vector<std::string> batch;  // swapped with pending_, so both keep their capacity
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_writer_.wait_for(lock, kWriteInterval, [&] {
        return stop_ || pending_.size() >= kWakeAtLines || flush_target_ > written_;
      });
      batch.swap(pending_);
      const std::uint64_t upto = appended_;
      const bool stopping = stop_;
      lock.unlock();
      bool ok = true;
      for (const std::string& line : batch) {
        ok &= std::fwrite(line.data(), 1, line.size(), file_) == line.size();
      }
      if (!batch.empty()) ok &= std::fflush(file_) == 0;
      batch.clear();
      lock.lock();
      written_ = upto;
      write_failed_ |= !ok;
      written_cv_.notify_all();
      if (stopping && pending_.empty()) return;
    }
  }

  std::FILE* file_;
  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::condition_variable written_cv_;
  std::vector<std::string> pending_;
  std::uint64_t appended_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t flush_target_ = 0;
  bool write_failed_ = false;
  bool stop_ = false;
  std::thread writer_;  // last: starts once everything it uses is constructed
};

}  // namespace

Result<std::unique_ptr<SpanSink>> open_jsonl_sink(const std::string& dir) {
  const std::string path = dir + "/spans.jsonl";
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return Status::io_error("jsonl: cannot create " + path);
  return std::unique_ptr<SpanSink>(std::make_unique<JsonlSink>(file));
}

}  // namespace spool::bench
