#include "engine/produce/hook_notifier.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace spool {

std::string_view error_site_name(ErrorSite site) noexcept {
  switch (site) {
    case ErrorSite::kWrite:
      return "write";
    case ErrorSite::kSync:
      return "sync";
    case ErrorSite::kRetention:
      return "retention";
    case ErrorSite::kSend:
      return "send";
    case ErrorSite::kDeadLetter:
      return "dead_letter";
    case ErrorSite::kDeadLetterLog:
      return "dead_letter_log";
    case ErrorSite::kCursor:
      return "cursor";
  }
  return "unknown";
}

}  // namespace spool

namespace spool::engine {

Status HookNotifier::validate(const Hooks& hooks) {
  if (hooks.on_drop && hooks.drop_report_interval_ms == 0) {
    return Status::invalid_argument(
        "hooks.drop_report_interval_ms must be > 0 when hooks.on_drop is set");
  }
  if (hooks.max_queued_events < 2)
    return Status::invalid_argument("hooks.max_queued_events must be at least 2");
  return Status::ok();
}

HookNotifier::HookNotifier(Hooks hooks, DropCounter count_drops)
    : hooks_(std::move(hooks)),
      count_drops_(hooks_.on_drop ? std::move(count_drops) : DropCounter{}) {}

void HookNotifier::start() {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

HookNotifier::~HookNotifier() { stop(); }

void HookNotifier::error(ErrorSite site, std::string message, std::uint64_t records) {
  if (!hooks_.on_error) return;
  Event event{Event::Kind::kError, HookError{site, std::move(message), records, 1}};
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (!queue_.empty()) {
    Event& last = queue_.back();
    if (last.kind == Event::Kind::kError && last.error.site == site &&
        last.error.message == event.error.message) {
      ++last.error.repeats;
      last.error.records += records;
      return;
    }
  }
  if (!make_room_locked(event)) return;
  queue_.push_back(std::move(event));
  cv_.notify_one();
}

void HookNotifier::set_online(bool online) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || online == online_) return;
  online_ = online;
  if (!hooks_.on_online && !hooks_.on_offline) return;
  const Event event{online ? Event::Kind::kOnline : Event::Kind::kOffline, {}};
  if (!make_room_locked(event)) return;
  queue_.push_back(event);
  cv_.notify_one();
}

bool HookNotifier::make_room_locked(const Event& event) {
  if (queue_.size() < hooks_.max_queued_events) return true;
  if (event.kind == Event::Kind::kError) {
    events_dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // A transition: the current state must be the last one reported.
  auto oldest_error = std::find_if(queue_.begin(), queue_.end(),
                                   [](const Event& e) { return e.kind == Event::Kind::kError; });
  if (oldest_error != queue_.end()) {
    events_dropped_.fetch_add(1, std::memory_order_relaxed);
    queue_.erase(oldest_error);
    return true;
  }
  // Only transitions, alternating: the last one queued is the opposite of this one, and
  // the state before it is this one. Neither needs telling.
  queue_.pop_back();
  events_dropped_.fetch_add(2, std::memory_order_relaxed);
  return false;
}

void HookNotifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

HookStats HookNotifier::stats() const {
  HookStats s;
  s.calls = calls_.load(std::memory_order_relaxed);
  s.failures = failures_.load(std::memory_order_relaxed);
  s.events_dropped = events_dropped_.load(std::memory_order_relaxed);
  return s;
}

void HookNotifier::run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(hooks_.drop_report_interval_ms);
  auto next_drop_report = Clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (queue_.empty() && !stopping_) {
      if (count_drops_) {
        cv_.wait_until(lock, next_drop_report);
      } else {
        cv_.wait(lock);
      }
    }
    while (!queue_.empty()) {
      const Event event = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      deliver(event);
      lock.lock();
    }
    const bool last = stopping_;
    if (count_drops_ && (last || Clock::now() >= next_drop_report)) {
      lock.unlock();
      report_drops();
      lock.lock();
      next_drop_report = Clock::now() + interval;
    }
    if (last && queue_.empty()) return;
  }
}

void HookNotifier::deliver(const Event& event) {
  switch (event.kind) {
    case Event::Kind::kError:
      call([&] { hooks_.on_error(event.error); });
      break;
    case Event::Kind::kOnline:
      if (hooks_.on_online) call(hooks_.on_online);
      break;
    case Event::Kind::kOffline:
      if (hooks_.on_offline) call(hooks_.on_offline);
      break;
  }
}

void HookNotifier::report_drops() {
  const DropCounts counts = count_drops_();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    if (counts[i] <= reported_[i]) continue;
    const std::uint64_t count = counts[i] - reported_[i];
    reported_[i] = counts[i];
    call([&] { hooks_.on_drop(static_cast<DropReason>(i), count); });
  }
}

template <typename Call>
void HookNotifier::call(Call&& callback) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  try {
    callback();
  } catch (...) {
    // The application's exception is its own business: spool counts it and goes on.
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace spool::engine
