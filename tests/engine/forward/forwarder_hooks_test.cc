// ForwarderOptions::hooks: on_offline when an outage begins (a send fails as an outage, the
// circuit opens, the connectivity monitor loses its URL) and on_online when the sink answers
// again; on_error for failed sends (redacted) and dead-lettered records, with their count;
// none of them on the forwarding thread or the caller's; a throwing callback changes nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/forward/policy/connectivity_monitor.h"
#include "spool/buffer.h"
#include "spool/callback_sink.h"
#include "spool/forwarder.h"
#include "support/hook_recorder.h"
#include "support/seq_records.h"
#include "support/small_buffer.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"

namespace spool {
namespace {

using testing::append_seq;
using testing::HookRecorder;
using testing::TempDir;

// A sink that answers what `answer` says and remembers the thread it was called on.
struct FakeSink {
  std::function<FlushResult()> answer;
  std::mutex mu;
  std::thread::id thread;

  std::unique_ptr<Sink> make() {
    return make_callback_sink([this](const ForwardBatch&) {
      std::lock_guard<std::mutex> lock(mu);
      thread = std::this_thread::get_id();
      return answer();
    });
  }
  std::thread::id sending_thread() {
    std::lock_guard<std::mutex> lock(mu);
    return thread;
  }
};

ForwarderOptions fast_options(HookRecorder& seen) {
  ForwarderOptions o;
  o.flush_interval_ms = 5;
  o.poll_interval_ms = 5;
  o.retry.initial_backoff_ms = 1;
  o.retry.max_backoff_ms = 5;
  o.breaker.failure_threshold = 1000;
  o.breaker.cooldown_ms = 5;
  o.breaker.max_cooldown_ms = 10;
  o.hooks = seen.hooks();
  return o;
}

void append_n(Buffer& buffer, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(append_seq(buffer, 0, i, 32));
  ASSERT_TRUE(buffer.flush());
}

// flush() until everything appended is delivered. Right after on_online the forwarder may
// not have closed its circuit yet, and flush() answers Unavailable while it is open.
Status flush_after_outage(Forwarder& fwd) {
  const auto deadline =
      std::chrono::steady_clock::now() + testing::scaled(std::chrono::milliseconds(30'000));
  Status s = fwd.flush(30'000);
  while (s.code() == StatusCode::kUnavailable && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s = fwd.flush(30'000);
  }
  return s;
}

std::vector<std::string> transitions(const HookRecorder& seen) {
  std::vector<std::string> out;
  for (const std::string& e : seen.events()) {
    if (e == "online" || e == "offline") out.push_back(e);
  }
  return out;
}

// A server that answers GET /health with 204, for the connectivity monitor's probe. One
// worker thread: httplib's workers share state that ThreadSanitizer cannot see them guard
// (the library is not instrumented), and the probes come one at a time anyway.
std::unique_ptr<httplib::Server> health_server() {
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(1); };
  server->Get("/health", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  return server;
}

bool has(const std::vector<std::string>& events, const std::string& event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

// The records of "error:dead_letter:<message>:<records>x<repeats>" events, summed.
std::uint64_t dead_lettered(const HookRecorder& seen) {
  std::uint64_t sum = 0;
  for (const std::string& e : seen.events_starting("error:dead_letter:")) {
    const std::string tail = e.substr(e.rfind(':') + 1);
    sum += std::stoull(tail.substr(0, tail.find('x')));
  }
  return sum;
}

// A Buffer to forward, the hooks' recorder and a fake sink for each test.
class ForwarderHooks : public ::testing::Test {
 protected:
  void SetUp() override {
    buffer_ = testing::open_small_buffer(dir_.path());
    ASSERT_NE(buffer_, nullptr);
  }

  // Forwards 10 records through a sink that fails first: waits for on_online, delivers
  // everything and stops the forwarder (fwd_).
  void deliver_through_outage(const ForwarderOptions& options) {
    auto fwd = Forwarder::start(*buffer_, sink_.make(), options);
    ASSERT_TRUE(fwd) << fwd.status().to_string();
    fwd_ = std::move(*fwd);
    append_n(*buffer_, 10);
    ASSERT_TRUE(seen_.wait_until([](const auto& events) { return has(events, "online"); }));
    ASSERT_TRUE(flush_after_outage(*fwd_));
    ASSERT_TRUE(fwd_->stop());
  }

  TempDir dir_;
  HookRecorder seen_;
  std::unique_ptr<Buffer> buffer_;
  FakeSink sink_;
  std::unique_ptr<Forwarder> fwd_;
};

TEST_F(ForwarderHooks, OfflineWhenTheSinkIsOutThenOnlineWhenItAnswers) {
  std::atomic<bool> down{true};
  sink_.answer = [&] {
    return down.load() ? FlushResult::unavailable("connect to collector: connection refused")
                       : FlushResult::succeeded();
  };
  auto fwd = Forwarder::start(*buffer_, sink_.make(), fast_options(seen_));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer_, 10);
  ASSERT_TRUE(seen_.wait_until([](const auto& events) { return has(events, "offline"); }));
  EXPECT_FALSE(
      seen_.events_starting("error:send:connect to collector: connection refused:").empty());
  down = false;
  ASSERT_TRUE(seen_.wait_until([](const auto& events) { return has(events, "online"); }));
  ASSERT_TRUE(flush_after_outage(**fwd));
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(transitions(seen_), (std::vector<std::string>{"offline", "online"}));
  for (std::thread::id id : seen_.threads()) {
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_NE(id, sink_.sending_thread());  // not the forwarding thread either
  }
  EXPECT_EQ((*fwd)->stats().hooks.failures, 0u);
}

TEST_F(ForwarderHooks, AnOpeningCircuitIsAnOutageAndErrorsAreRedacted) {
  std::atomic<int> failures_left{3};
  sink_.answer = [&] {
    if (failures_left.fetch_sub(1) > 0)
      return FlushResult::failed("HTTP 500 from /v1/logs?token=abc123");
    return FlushResult::succeeded();
  };
  ForwarderOptions o = fast_options(seen_);
  o.breaker.failure_threshold = 3;
  ASSERT_NO_FATAL_FAILURE(deliver_through_outage(o));
  EXPECT_EQ(transitions(seen_), (std::vector<std::string>{"offline", "online"}));
  const std::vector<std::string> sends = seen_.events_starting("error:send:");
  ASSERT_FALSE(sends.empty());
  for (const std::string& e : sends) {
    EXPECT_NE(e.find("token=REDACTED"), std::string::npos) << e;
    EXPECT_EQ(e.find("abc123"), std::string::npos) << e;
  }
  EXPECT_EQ(dead_lettered(seen_), 0u);
}

TEST_F(ForwarderHooks, DeadLetteringIsAnErrorWithTheRecordCount) {
  sink_.answer = [] { return FlushResult::failed("HTTP 400: bad record", /*retryable=*/false); };
  auto fwd = Forwarder::start(*buffer_, sink_.make(), fast_options(seen_));
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  append_n(*buffer_, 25);
  ASSERT_TRUE((*fwd)->flush(30'000));
  ASSERT_TRUE((*fwd)->stop());
  EXPECT_EQ(dead_lettered(seen_), 25u);
  EXPECT_EQ((*fwd)->stats().totals.dead_lettered, 25u);
  EXPECT_FALSE(seen_.events_starting("error:send:HTTP 400: bad record:").empty());
  EXPECT_TRUE(transitions(seen_).empty()) << "a refusal is not an outage";
}

TEST_F(ForwarderHooks, TheConnectivityMonitorsTransitionsAreTold) {
  auto up = health_server();
  const int port = up->bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { up->listen_after_bind(); });
  sink_.answer = [] { return FlushResult::succeeded(); };
  ForwarderOptions o = fast_options(seen_);
  o.connectivity.probe_url = "http://127.0.0.1:" + std::to_string(port) + "/health";
  o.connectivity.probe_interval_ms = 10;
  o.connectivity.probe_timeout_ms = 2'000;
  auto fwd = Forwarder::start(*buffer_, sink_.make(), o);
  ASSERT_TRUE(fwd) << fwd.status().to_string();
  // The server accepts (the accept loop runs), so stop() below ends that loop.
  ASSERT_TRUE(engine::ConnectivityMonitor::http_probe(o.connectivity.probe_url, 5'000));
  up->stop();  // the probe's connection is refused from now on
  serving.join();
  ASSERT_TRUE(seen_.wait_until([](const auto& events) { return has(events, "offline"); }));
  auto back = health_server();
  ASSERT_TRUE(back->bind_to_port("127.0.0.1", port));
  std::thread serving_again([&] { back->listen_after_bind(); });
  ASSERT_TRUE(seen_.wait_until([](const auto& events) { return has(events, "online"); }));
  ASSERT_TRUE((*fwd)->stop());
  back->stop();
  serving_again.join();
  EXPECT_EQ(transitions(seen_), (std::vector<std::string>{"offline", "online"}));
}

TEST_F(ForwarderHooks, AThrowingCallbackIsCountedAndForwardingGoesOn) {
  std::atomic<int> failures_left{2};
  sink_.answer = [&] {
    if (failures_left.fetch_sub(1) > 0) return FlushResult::unavailable("HTTP 503");
    return FlushResult::succeeded();
  };
  ForwarderOptions o = fast_options(seen_);
  o.hooks.on_offline = [] { throw std::runtime_error("the application's bug"); };
  o.hooks.on_error = [](const HookError&) { throw 1; };
  ASSERT_NO_FATAL_FAILURE(deliver_through_outage(o));
  const ForwarderStats s = fwd_->stats();
  EXPECT_EQ(s.totals.delivered, 10u);
  EXPECT_GE(s.hooks.failures, 2u);                 // on_offline once, on_error at least once
  EXPECT_EQ(s.hooks.calls, s.hooks.failures + 1);  // and on_online, which did not throw
}

}  // namespace
}  // namespace spool
