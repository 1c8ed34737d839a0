#include "engine/forward/policy/connectivity_monitor.h"

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>

namespace spool::engine {
namespace {

// curl_global_init is not thread-safe on every libcurl build: do it once, before any probe.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};

// Progress callback: a non-zero return aborts the transfer (stop() mid-probe).
int abort_if_cancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = static_cast<const std::atomic<bool>*>(cancel);
  return flag != nullptr && flag->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

ConnectivityMonitor::ConnectivityMonitor(const ConnectivityOptions& options, Listener listener, Probe probe)
    : options_(options), listener_(std::move(listener)), probe_(std::move(probe)) {
  if (!probe_ && !options_.probe_url.empty()) {
    probe_ = [this] { return http_probe(options_.probe_url, options_.probe_timeout_ms, &stopping_); };
  }
}

ConnectivityMonitor::~ConnectivityMonitor() { stop(); }

Status ConnectivityMonitor::start() {
  if (!probe_) return Status::invalid_argument("connectivity monitor needs a probe_url or a probe");
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return Status::closed("connectivity monitor was stopped");
  if (thread_.joinable()) return Status::ok();
  if (options_.probe_url.size() > 0) init_curl_once();
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void ConnectivityMonitor::stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    stopping_.store(true, std::memory_order_relaxed);
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

bool ConnectivityMonitor::wait_for_online(std::uint32_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [this] { return online() || stopping_.load(std::memory_order_relaxed); });
  return online();
}

void ConnectivityMonitor::probe_now() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    probe_requested_ = true;
  }
  cv_.notify_all();
}

void ConnectivityMonitor::run() {
  const auto interval = std::chrono::milliseconds(options_.probe_interval_ms);
  while (!stopping_.load(std::memory_order_relaxed)) {
    const bool up = probe_();
    probes_.fetch_add(1, std::memory_order_relaxed);
    if (stopping_.load(std::memory_order_relaxed)) break;  // a cancelled probe proves nothing
    bool changed;
    {
      // Under the lock so a wait_for_online() between its predicate check and its sleep
      // cannot miss the wake-up.
      std::lock_guard<std::mutex> lock(mu_);
      changed = online_.exchange(up, std::memory_order_acq_rel) != up;
    }
    if (changed) {
      transitions_.fetch_add(1, std::memory_order_relaxed);
      cv_.notify_all();
      if (listener_) listener_(up);
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, interval,
                 [this] { return probe_requested_ || stopping_.load(std::memory_order_relaxed); });
    probe_requested_ = false;
  }
}

bool ConnectivityMonitor::http_probe(const std::string& url, std::uint32_t timeout_ms,
                                     const std::atomic<bool>* cancel) {
  init_curl_once();
  const std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return false;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOBODY, 1L);  // HEAD: the status line is all we need
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we are a thread
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  // A fresh connection each time: a kept-alive socket would say nothing about the path now.
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  if (cancel != nullptr) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &abort_if_cancelled);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  }
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // Any status line means a server answered over the path; a transfer error after one
  // (e.g. a truncated body) still proves the path is up.
  return rc == CURLE_OK || status > 0;
}

}  // namespace spool::engine
