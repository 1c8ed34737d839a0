// HookRecorder: Hooks (include/spool/hooks.h) that write down what they were called with,
// in order, and on which thread, for the tests of the hooks of Buffer, Forwarder and
// HookNotifier.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spool/buffer_stats.h"
#include "spool/hooks.h"

namespace spool::testing {

class HookRecorder {
 public:
  // Every callback, each writing one event: "error:<site>:<message>:<records>x<repeats>",
  // "online", "offline", "drop:<reason>:<count>".
  Hooks hooks();

  void add(std::string event);
  // Waits until `n` events were seen, or until `pred` holds of the events; false when a
  // safety limit (scaled, time_scale.h) passed first: a hang guard, not a timing check.
  bool wait_for(std::size_t n);
  bool wait_until(const std::function<bool(const std::vector<std::string>&)>& pred);

  std::vector<std::string> events() const;
  // The events that start with `prefix`.
  std::vector<std::string> events_starting(const std::string& prefix) const;
  // The threads the callbacks ran on, one per event.
  std::vector<std::thread::id> threads() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::vector<std::thread::id> threads_;
};

}  // namespace spool::testing
