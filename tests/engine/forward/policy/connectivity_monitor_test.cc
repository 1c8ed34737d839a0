// engine/forward/policy/connectivity_monitor.h: transitions and their events, wait_for_online() waking on
// the transition, a prompt stop() mid-sleep (the probe interval is an hour: a test that
// passes cannot have waited it out), and the HTTP probe against a loopback server.
//
// The probe is injected and scripted; probe_now() replaces the interval, so nothing here
// depends on timing. A broken wake-up shows as a hang (caught by ctest's timeout), never as
// a flaky threshold.
#include "engine/forward/policy/connectivity_monitor.h"

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace spool::engine {
namespace {

constexpr std::uint32_t kHour = 3'600'000;

ConnectivityOptions hourly() {
  ConnectivityOptions o;
  o.probe_interval_ms = kHour;
  o.probe_timeout_ms = 1'000;
  return o;
}

// A probe whose answer the test sets, and which counts its calls so the test can wait for
// "the monitor has probed n times" without sleeping.
class ScriptedProbe {
 public:
  bool operator()() {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    cv_.notify_all();
    return up_;
  }
  void set(bool up) {
    std::lock_guard<std::mutex> lock(mu_);
    up_ = up;
  }
  void wait_for_calls(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return calls_ >= n; });
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool up_ = false;
  int calls_ = 0;
};

// Collects listener events; waits for the n-th.
class Events {
 public:
  void operator()(bool online) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(online);
    cv_.notify_all();
  }
  std::vector<bool> wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> events_;
};

TEST(ConnectivityMonitorTest, NeedsAProbe) {
  ConnectivityMonitor m(hourly());
  EXPECT_EQ(m.start().code(), StatusCode::kInvalidArgument);
}

TEST(ConnectivityMonitorTest, TransitionsRaiseEventsOnce) {
  ScriptedProbe probe;
  Events events;
  ConnectivityMonitor m(hourly(), std::ref(events), std::ref(probe));
  EXPECT_TRUE(m.online());  // optimistic before the first probe
  ASSERT_TRUE(m.start().is_ok());
  ASSERT_TRUE(m.start().is_ok());  // already running: no second thread
  EXPECT_EQ(events.wait_for(1), std::vector<bool>{false});  // first probe: down
  EXPECT_FALSE(m.online());

  // Still down: a probe, no event.
  m.probe_now();
  probe.wait_for_calls(2);
  probe.set(true);
  m.probe_now();
  EXPECT_EQ(events.wait_for(2), (std::vector<bool>{false, true}));
  EXPECT_TRUE(m.online());
  probe.set(false);
  m.probe_now();
  EXPECT_EQ(events.wait_for(3), (std::vector<bool>{false, true, false}));
  EXPECT_FALSE(m.online());
  m.stop();
  EXPECT_EQ(m.transition_count(), 3u);
  EXPECT_GE(m.probe_count(), 4u);
  EXPECT_EQ(events.wait_for(3).size(), 3u);  // no event for the unchanged probe
}

TEST(ConnectivityMonitorTest, NoEventWhenTheFirstProbeConfirmsOnline) {
  ScriptedProbe probe;
  probe.set(true);
  std::atomic<int> events{0};
  ConnectivityMonitor m(hourly(), [&](bool) { ++events; }, std::ref(probe));
  ASSERT_TRUE(m.start().is_ok());
  probe.wait_for_calls(1);
  m.stop();
  EXPECT_TRUE(m.online());
  EXPECT_EQ(events.load(), 0);
}

TEST(ConnectivityMonitorTest, WaitForOnlineWakesOnTheTransition) {
  ScriptedProbe probe;
  Events events;
  ConnectivityMonitor m(hourly(), std::ref(events), std::ref(probe));
  ASSERT_TRUE(m.start().is_ok());
  events.wait_for(1);
  ASSERT_FALSE(m.online());
  EXPECT_FALSE(m.wait_for_online(1));  // offline and nothing changes: times out

  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = m.wait_for_online(kHour); });
  probe.set(true);
  m.probe_now();
  waiter.join();  // returns on the transition, not after an hour
  EXPECT_TRUE(woke.load());
  EXPECT_TRUE(m.wait_for_online(0));  // already online: at once
}

TEST(ConnectivityMonitorTest, StopIsPromptMidSleepAndWakesWaiters) {
  ScriptedProbe probe;
  Events events;
  ConnectivityMonitor m(hourly(), std::ref(events), std::ref(probe));
  ASSERT_TRUE(m.start().is_ok());
  events.wait_for(1);  // offline, and about to sleep for an hour
  std::atomic<bool> result{true};
  std::thread waiter([&] { result = m.wait_for_online(kHour); });
  m.stop();
  waiter.join();
  EXPECT_FALSE(result.load());
  EXPECT_EQ(probe.calls(), 1);  // one probe per interval while offline: no busy loop
  m.stop();                     // idempotent
  EXPECT_EQ(m.start().code(), StatusCode::kClosed);
}

TEST(ConnectivityMonitorTest, DestructorStops) {
  ScriptedProbe probe;
  {
    ConnectivityMonitor m(hourly(), {}, std::ref(probe));
    ASSERT_TRUE(m.start().is_ok());
    probe.wait_for_calls(1);
  }
  EXPECT_EQ(probe.calls(), 1);
}

TEST(ConnectivityMonitorTest, HttpProbeCountsAnyResponseAsUp) {
  httplib::Server server;
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { server.listen_after_bind(); });
  // bind_to_any_port() already listens: connections queue until the accept loop runs.
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/health";
  EXPECT_TRUE(ConnectivityMonitor::http_probe(url, 5'000));  // a 404 is still an answer

  // Through the monitor, with the default (HTTP) probe.
  ConnectivityOptions o;
  o.probe_url = url;
  o.probe_interval_ms = kHour;
  o.probe_timeout_ms = 5'000;
  Events events;
  ConnectivityMonitor m(o, std::ref(events));
  ASSERT_TRUE(m.start().is_ok());
  server.stop();
  t.join();
  // The port is closed now: connection refused means down.
  EXPECT_FALSE(ConnectivityMonitor::http_probe(url, 5'000));
  m.probe_now();
  EXPECT_EQ(events.wait_for(1), std::vector<bool>{false});
  m.stop();
}

TEST(ConnectivityMonitorTest, HttpProbeOfAMalformedUrlIsDown) {
  EXPECT_FALSE(ConnectivityMonitor::http_probe("http://", 1'000));
  std::atomic<bool> cancelled{true};
  EXPECT_FALSE(ConnectivityMonitor::http_probe("http://127.0.0.1:1/", 1'000, &cancelled));
}

}  // namespace
}  // namespace spool::engine
