#include "engine/produce/retention_timer.h"

#include <algorithm>
#include <chrono>

namespace spool::engine {

std::int64_t age_retention_interval_ns(std::uint64_t max_age_ms) noexcept {
  if (max_age_ms == 0) return 0;
  constexpr std::uint64_t kMinMs = 10;
  constexpr std::uint64_t kMaxMs = 60'000;
  return static_cast<std::int64_t>(std::clamp<std::uint64_t>(max_age_ms / 10, kMinMs, kMaxMs)) * 1'000'000;
}

RetentionTimer::RetentionTimer(segment::SegmentLog& log) : log_(log) {
  const std::int64_t interval = age_retention_interval_ns(log.options().retention_max_age_ms);
  if (interval > 0) thread_ = std::thread([this, interval] { run(interval); });
}

RetentionTimer::~RetentionTimer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionTimer::run(std::int64_t interval_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, std::chrono::nanoseconds(interval_ns), [this] { return stop_; })) return;
    lock.unlock();
    auto deleted = log_.enforce_retention();
    lock.lock();
    ++passes_;
    if (deleted) {
      deleted_ += *deleted;
    } else {
      last_error_ = deleted.status();  // tried again at the next pass
    }
  }
}

std::uint64_t RetentionTimer::passes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return passes_;
}

std::uint64_t RetentionTimer::segments_deleted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deleted_;
}

Status RetentionTimer::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace spool::engine
