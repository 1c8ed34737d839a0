// SendPool: sender threads for batches in flight (see send_pool.h).
#include "engine/forward/send_pool.h"

#include <utility>

namespace spool::engine {

SendPool::SendPool(Sink& sink, std::uint32_t threads, std::function<void()> on_answer)
    : sink_(sink), on_answer_(std::move(on_answer)) {
  threads_.reserve(threads);
  for (std::uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

SendPool::~SendPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();  // not started: never sent
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void SendPool::submit(std::uint64_t ticket, const ForwardBatch* batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{ticket, batch});
    ++outstanding_;
  }
  work_cv_.notify_one();
}

std::optional<SendPool::Answer> SendPool::try_take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (answers_.empty()) return std::nullopt;
  Answer a = std::move(answers_.front());
  answers_.pop_front();
  --outstanding_;
  return a;
}

SendPool::Answer SendPool::take() {
  std::unique_lock<std::mutex> lock(mu_);
  answer_cv_.wait(lock, [this] { return !answers_.empty(); });
  Answer a = std::move(answers_.front());
  answers_.pop_front();
  --outstanding_;
  return a;
}

std::size_t SendPool::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outstanding_;
}

void SendPool::run() {
  for (;;) {
    Job job{};
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    FlushResult result = sink_.send(*job.batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      answers_.push_back(Answer{job.ticket, std::move(result)});
    }
    answer_cv_.notify_all();
    if (on_answer_) on_answer_();
  }
}

}  // namespace spool::engine
