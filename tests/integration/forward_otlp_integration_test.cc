// Guarantee 4 (at-least-once delivery with idempotency keys) end to end, against a real
// OTLP/HTTP receiver on loopback that decodes every payload it gets.
//
// A child process appends standard spans through spool::Buffer while a Forwarder sends them
// with the OTLP/HTTP sink. The receiver answers 429 + Retry-After to some requests, 400 to
// others, a partial success naming rejected offsets to others, and holds one request while
// the test kills the child with SIGKILL (mid-batch). A second child recovers the log, appends
// more, and drains; meanwhile the receiver goes down and comes back. Afterwards:
//   delivered keys == keys in the log - dead-lettered keys, and no key arrived more than twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "engine/forward/dead_letter_log.h"
#include "segment/segment_log.h"
#include "spool/buffer.h"
#include "spool/forwarder.h"
#include "spool/otlp_http_sink.h"
#include "spool/sink.h"
#include "support/child_process.h"
#include "support/otlp_receiver.h"
#include "support/temp_dir.h"
#include "support/time_scale.h"
#include "tools/standard_span.h"

namespace spool {
namespace {

using std::chrono::milliseconds;
using Receiver = testing::OtlpReceiver;

constexpr std::uint64_t kHeldRequest = 12;       // answered late: the child dies meanwhile
constexpr std::uint64_t kFirstRunSpans = 6000;   // appended by the first child (killed)
constexpr std::uint64_t kSecondRunSpans = 3000;  // appended by the second child (drains)

ForwarderOptions forwarder_options() {
  ForwarderOptions o;
  o.cursor = "otlp";
  o.flush_interval_ms = 20;
  o.poll_interval_ms = 10;
  o.batch.initial_records = 200;
  o.batch.min_records = 50;
  o.batch.max_records = 400;
  o.retry.initial_backoff_ms = 20;
  o.retry.max_backoff_ms = 200;
  o.retry.max_retries = 3;
  o.breaker.failure_threshold = 3;
  o.breaker.cooldown_ms = 200;
  o.breaker.max_cooldown_ms = 800;
  // One batch in flight: this receiver answers by request number, so a batch the first run
  // delivered but had not committed yet (behind the held one, with several in flight) could
  // be refused when the second run sends it again, and be set aside although delivered.
  // Several in flight and a kill: forwarder_in_flight_test.
  o.max_in_flight_batches = 1;
  return o;
}

// The child: append `spans` spans (pacing them so forwarding overlaps), then deliver
// everything. Exits 0 once the cursor has reached the end of the log; returns nonzero on
// any error (the parent fails the test).
int forwarding_child(const std::string& dir, const std::string& endpoint, std::uint64_t first_span,
                     std::uint64_t spans) {
  Options options;
  options.full_policy = FullPolicy::kBlock;
  auto buffer = Buffer::open(dir, options);
  if (!buffer) return 10;
  OtlpHttpOptions http;
  http.endpoint = endpoint;
  http.request_timeout_ms = 5000;
  auto sink = make_otlp_http_sink(http);
  if (!sink) return 11;
  auto forwarder = Forwarder::start(**buffer, std::move(*sink), forwarder_options());
  if (!forwarder) return 12;
  const tools::StandardSpanSet set(1024);
  for (std::uint64_t i = first_span; i < first_span + spans; ++i) {
    if (!(*buffer)->append(set.cyclic(i))) return 13;
    if (i % 500 == 499) std::this_thread::sleep_for(milliseconds(20));
  }
  if (!(*buffer)->flush()) return 14;
  for (;;) {
    const Status s = (*forwarder)->flush(1000);
    if (s.is_ok()) break;
    if (s.code() != StatusCode::kUnavailable && s.code() != StatusCode::kTimedOut) return 15;
    std::this_thread::sleep_for(milliseconds(50));
  }
  if (!(*forwarder)->stop()) return 16;
  if (!(*buffer)->shutdown()) return 17;
  return 0;
}

// The child is killed when the returned guard goes away (also on a failed ASSERT).
testing::ForkedChild fork_child(const std::string& dir, const std::string& endpoint, std::uint64_t first,
                                std::uint64_t n) {
  return testing::ForkedChild::start([&] { return forwarding_child(dir, endpoint, first, n); });
}

TEST(ForwardOtlpIntegration, AtLeastOnceThroughOutagesCrashesAndReceiverErrors) {
  // The children are forked beside the receiver's threads.
  if (!testing::kForkBesideThreadsIsSafe) GTEST_SKIP() << "fork beside threads under a sanitizer (child_process.h)";
  testing::TempDir dir;
  Receiver receiver;
  ASSERT_TRUE(receiver.start());
  std::atomic<int> held{0}, throttled{0}, refused{0}, partial{0};
  receiver.set_policy([&](const Receiver::RequestInfo& info) {
    if (info.sequence == kHeldRequest) {
      held.fetch_add(1);
      Receiver::Response r = Receiver::Response::ok();
      r.delay = testing::scaled(milliseconds(1500));  // the child is killed while it waits for this answer
      return r;
    }
    if (info.sequence % 17 == 4) {
      throttled.fetch_add(1);
      return Receiver::Response::error(429, "slow down", "1");
    }
    if (info.sequence % 13 == 7) {
      refused.fetch_add(1);
      return Receiver::Response::error(400, "bad batch");
    }
    if (info.sequence % 5 == 2 && info.offsets.size() >= 2) {
      partial.fetch_add(1);
      return Receiver::Response::partial({info.offsets[0], info.offsets[1]});
    }
    return Receiver::Response::ok();
  });

  // Run 1: killed while request kHeldRequest waits for its answer.
  testing::ForkedChild first = fork_child(dir.path(), receiver.endpoint(), 0, kFirstRunSpans);
  ASSERT_TRUE(first.started());
  const auto deadline = std::chrono::steady_clock::now() + testing::scaled(std::chrono::seconds(60));
  // The policy runs when a request arrives; the held one is answered 1.5 s later, so the
  // child is killed while it waits for that answer (request_count() counts answers).
  while (held.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(first.try_wait(), std::nullopt) << "the first child ended before the held request";
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(held.load(), 1);
  ASSERT_EQ(first.kill_and_wait(), 128 + SIGKILL);

  // Run 2: recovers, appends more, drains; the receiver goes away and comes back meanwhile.
  testing::ForkedChild second = fork_child(dir.path(), receiver.endpoint(), kFirstRunSpans, kSecondRunSpans);
  ASSERT_TRUE(second.started());
  // The held request is answered (and its keys count as delivered) before the receiver goes
  // away: a stop() would cut the hold short and the answer would never be sent.
  const auto held_deadline = std::chrono::steady_clock::now() + testing::scaled(std::chrono::seconds(30));
  auto held_answered = [&] {
    for (const auto& r : receiver.requests()) {
      if (r.sequence == kHeldRequest && r.status != 0) return true;
    }
    return false;
  };
  while (!held_answered() && std::chrono::steady_clock::now() < held_deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(held_answered());
  ASSERT_TRUE(receiver.wait_for_requests(kHeldRequest + 15, milliseconds(60'000)));
  receiver.stop();
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_TRUE(receiver.restart());
  ASSERT_EQ(second.wait(std::chrono::seconds(180)), 0);

  // What the log holds, and what was set aside.
  auto log = segment::SegmentLog::open(dir.path(), LogOptions{}, segment::OpenMode::kReadOnly);
  ASSERT_TRUE(log) << log.status().to_string();
  std::set<std::string> appended;
  segment::LogReader reader = (*log)->scan(0);
  segment::RecordView view;
  while (reader.next(&view)) appended.insert(idempotency_key((*log)->log_id(), view.offset));
  EXPECT_GE(appended.size(), kSecondRunSpans);
  std::set<std::string> dead;
  auto letters = engine::DeadLetterLog::open_read_only(dir.path());
  ASSERT_TRUE(letters) << letters.status().to_string();
  auto list = (*letters)->list();
  ASSERT_TRUE(list);
  for (const auto& letter : *list) {
    EXPECT_EQ(letter.log_id, (*log)->log_id());
    dead.insert(idempotency_key(letter.log_id, letter.offset));
  }

  std::set<std::string> expected;
  for (const std::string& key : appended) {
    if (dead.count(key) == 0) expected.insert(key);
  }
  std::set<std::string> delivered;
  std::uint64_t twice = 0;
  for (const auto& [key, count] : receiver.delivered_keys()) {
    delivered.insert(key);
    EXPECT_LE(count, 2u) << key;
    if (count == 2) ++twice;
  }
  EXPECT_EQ(delivered, expected) << "delivered " << delivered.size() << ", expected " << expected.size();
  for (const std::string& key : dead) EXPECT_EQ(delivered.count(key), 0u) << key;

  // Every scripted trouble really happened.
  EXPECT_EQ(held.load(), 1);
  EXPECT_GT(throttled.load(), 0);
  EXPECT_GT(refused.load(), 0);
  EXPECT_GT(partial.load(), 0);
  EXPECT_FALSE(dead.empty());    // the 400s were dead-lettered
  EXPECT_GT(twice, 0u);          // the held batch was delivered again after the restart
  bool refused_letter = false;
  for (const auto& letter : *list) refused_letter |= letter.error.find("HTTP 400") != std::string::npos;
  EXPECT_TRUE(refused_letter);
}

}  // namespace
}  // namespace spool
