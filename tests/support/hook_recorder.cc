#include "support/hook_recorder.h"

#include <chrono>

#include "support/time_scale.h"

namespace spool::testing {

Hooks HookRecorder::hooks() {
  Hooks h;
  h.on_error = [this](const HookError& e) {
    add("error:" + std::string(error_site_name(e.site)) + ":" + e.message + ":" +
        std::to_string(e.records) + "x" + std::to_string(e.repeats));
  };
  h.on_online = [this] { add("online"); };
  h.on_offline = [this] { add("offline"); };
  h.on_drop = [this](DropReason reason, std::uint64_t count) {
    add("drop:" + std::string(drop_reason_name(reason)) + ":" + std::to_string(count));
  };
  return h;
}

void HookRecorder::add(std::string event) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(event));
  threads_.push_back(std::this_thread::get_id());
  cv_.notify_all();
}

bool HookRecorder::wait_for(std::size_t n) {
  return wait_until([n](const std::vector<std::string>& events) { return events.size() >= n; });
}

bool HookRecorder::wait_until(const std::function<bool(const std::vector<std::string>&)>& pred) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, scaled(std::chrono::milliseconds(30'000)),
                      [&] { return pred(events_); });
}

std::vector<std::string> HookRecorder::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<std::string> HookRecorder::events_starting(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const std::string& e : events()) {
    if (e.rfind(prefix, 0) == 0) out.push_back(e);
  }
  return out;
}

std::vector<std::thread::id> HookRecorder::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_;
}

}  // namespace spool::testing
