// ConnectivityMonitor: a thread that probes a URL every probe_interval_ms and tells the
// forwarder when the network path comes back (or goes away), so an offline device neither
// burns retries on the sink nor waits out a long back-off once it is online again.
//
// A probe is a HEAD request with probe_timeout_ms: any HTTP response at all, even a 404 or
// a 500, means the path is up; connection refused, a timeout, a DNS or TLS failure mean it
// is down. Tests inject the probe instead (std::function<bool()>).
//
// Cost while offline: one probe per interval and a condition-variable sleep between them;
// no polling. stop() wakes the sleep and cancels a probe in flight, so it returns promptly.
//
// Before the first probe completes the monitor reports online (optimistic): the first send
// then goes out at once, and the first probe (made as soon as start() runs) corrects it.
//
// Threading: online(), wait_for_online(), probe_now(), stop() and the counters from any
// thread. The listener runs on the monitor's thread, outside its lock; it must not call
// stop() (that would join the thread it runs on).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "spool/forwarder_options.h"
#include "spool/status.h"

namespace spool::engine {

class ConnectivityMonitor {
 public:
  using Probe = std::function<bool()>;              // true = the path is up
  using Listener = std::function<void(bool online)>;  // called on each transition

  // `options` must pass validate(). Without `probe`, http_probe(options.probe_url, ...).
  explicit ConnectivityMonitor(const ConnectivityOptions& options, Listener listener = {}, Probe probe = {});
  ~ConnectivityMonitor();  // stop()
  ConnectivityMonitor(const ConnectivityMonitor&) = delete;
  ConnectivityMonitor& operator=(const ConnectivityMonitor&) = delete;

  // Starts the thread; the first probe runs at once. InvalidArgument without a probe or a
  // URL; Closed after stop(); OK (nothing done) when already running.
  Status start();
  // Stops the thread; returns promptly even mid-sleep or mid-probe. Wakes every
  // wait_for_online() caller. Idempotent.
  void stop();

  bool online() const noexcept { return online_.load(std::memory_order_acquire); }
  // Returns true as soon as the monitor is online (at once if it already is); false when
  // timeout_ms passes offline, or when the monitor stops.
  bool wait_for_online(std::uint32_t timeout_ms);
  // Probes now instead of at the end of the current interval (e.g. after a failed send).
  void probe_now();

  std::uint64_t probe_count() const noexcept { return probes_.load(std::memory_order_relaxed); }
  std::uint64_t transition_count() const noexcept { return transitions_.load(std::memory_order_relaxed); }

  // One HTTP HEAD of `url` with a total timeout: true if any HTTP response came back.
  // `cancel`, if given, aborts the request as soon as it turns true.
  static bool http_probe(const std::string& url, std::uint32_t timeout_ms,
                         const std::atomic<bool>* cancel = nullptr);

 private:
  void run();

  const ConnectivityOptions options_;
  const Listener listener_;
  Probe probe_;

  std::atomic<bool> online_{true};
  std::atomic<bool> stopping_{false};  // read by http_probe's progress callback
  std::atomic<std::uint64_t> probes_{0};
  std::atomic<std::uint64_t> transitions_{0};

  std::mutex mu_;
  std::condition_variable cv_;  // signals: online changed, stop, probe_now
  bool probe_requested_ = false;  // guarded by mu_
  bool stopped_ = false;          // guarded by mu_: once stopped, start() refuses
  std::thread thread_;
};

}  // namespace spool::engine
