// HookNotifier: events reach the callbacks in order on the notifier's own thread; identical
// errors are folded; a full queue drops errors but keeps the online state right; drops are
// reported as differences per reason; a throwing callback is counted and ignored.
#include "engine/produce/hook_notifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/hook_recorder.h"
#include "support/time_scale.h"

namespace spool::engine {
namespace {

using Recorder = testing::HookRecorder;
using testing::scaled;

// Holds the notifier's thread inside a callback until release(), so that events pile up.
class Gate {
 public:
  void wait_inside() {
    std::unique_lock<std::mutex> lock(mu_);
    inside_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  bool wait_until_inside() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, scaled(std::chrono::milliseconds(10'000)), [&] { return inside_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool inside_ = false;
  bool open_ = false;
};

TEST(HookNotifier, CallsEachCallbackInOrderOnItsOwnThread) {
  Recorder seen;
  HookNotifier notifier(seen.hooks());
  notifier.start();
  notifier.error(ErrorSite::kSend, "HTTP 500");
  notifier.set_online(false);
  notifier.set_online(true);
  notifier.error(ErrorSite::kDeadLetter, "HTTP 400", 7);
  ASSERT_TRUE(seen.wait_for(4));
  EXPECT_EQ(seen.events(), (std::vector<std::string>{"error:send:HTTP 500:0x1", "offline", "online",
                                                     "error:dead_letter:HTTP 400:7x1"}));
  for (std::thread::id id : seen.threads()) EXPECT_NE(id, std::this_thread::get_id());
  notifier.stop();
  EXPECT_EQ(notifier.stats().calls, 4u);
  EXPECT_EQ(notifier.stats().failures, 0u);
}

TEST(HookNotifier, EventsBeforeStartWaitForIt) {
  Recorder seen;
  HookNotifier notifier(seen.hooks());
  notifier.error(ErrorSite::kWrite, "early");
  notifier.start();
  ASSERT_TRUE(seen.wait_for(1));
  EXPECT_EQ(seen.events(), std::vector<std::string>{"error:write:early:0x1"});
}

TEST(HookNotifier, TellsTransitionsOnlyStartingFromOnline) {
  Recorder seen;
  HookNotifier notifier(seen.hooks());
  notifier.start();
  notifier.set_online(true);  // already online: nothing to tell
  notifier.set_online(false);
  notifier.set_online(false);
  notifier.set_online(true);
  notifier.stop();  // delivers what is queued
  EXPECT_EQ(seen.events(), (std::vector<std::string>{"offline", "online"}));
}

TEST(HookNotifier, FoldsIdenticalErrorsInARowWhileACallbackIsSlow) {
  Recorder seen;
  Gate gate;
  Hooks hooks = seen.hooks();
  auto record = hooks.on_error;
  hooks.on_error = [&, record](const HookError& e) {
    if (e.message == "first") gate.wait_inside();
    record(e);
  };
  HookNotifier notifier(hooks);
  notifier.start();
  notifier.error(ErrorSite::kWrite, "first");
  ASSERT_TRUE(gate.wait_until_inside());
  for (int i = 0; i < 5; ++i) notifier.error(ErrorSite::kDeadLetter, "refused", 2);
  notifier.error(ErrorSite::kCursor, "refused");         // another site: not folded
  notifier.error(ErrorSite::kDeadLetter, "refused", 1);  // not in a row with the five
  gate.release();
  notifier.stop();
  EXPECT_EQ(seen.events(), (std::vector<std::string>{
                               "error:write:first:0x1", "error:dead_letter:refused:10x5",
                               "error:cursor:refused:0x1", "error:dead_letter:refused:1x1"}));
}

TEST(HookNotifier, AFullQueueDropsErrorsButKeepsTheOnlineStateRight) {
  Recorder seen;
  Gate gate;
  Hooks hooks = seen.hooks();
  hooks.max_queued_events = 3;
  auto record = hooks.on_error;
  hooks.on_error = [&, record](const HookError& e) {
    if (e.message == "block") gate.wait_inside();
    record(e);
  };
  HookNotifier notifier(hooks);
  notifier.start();
  notifier.error(ErrorSite::kWrite, "block");
  ASSERT_TRUE(gate.wait_until_inside());  // taken out of the queue: the queue is empty
  notifier.error(ErrorSite::kWrite, "e1");
  notifier.error(ErrorSite::kWrite, "e2");
  notifier.error(ErrorSite::kWrite, "e3");
  notifier.error(ErrorSite::kWrite, "e4");  // full: dropped
  notifier.set_online(false);               // full: takes the place of e1
  notifier.set_online(true);                // full: takes the place of e2
  notifier.set_online(false);               // full: takes the place of e3
  notifier.set_online(true);                // full of transitions: cancels the last offline
  EXPECT_EQ(notifier.stats().events_dropped, 6u);
  gate.release();
  notifier.stop();
  EXPECT_EQ(seen.events(),
            (std::vector<std::string>{"error:write:block:0x1", "offline", "online"}));
}

TEST(HookNotifier, ReportsDropsAsDifferencesPerReasonAndAtStop) {
  Recorder seen;
  std::mutex mu;
  HookNotifier::DropCounts counts{};
  Hooks hooks = seen.hooks();
  hooks.drop_report_interval_ms = 1;
  auto set = [&](DropReason reason, std::uint64_t n) {
    std::lock_guard<std::mutex> lock(mu);
    counts[static_cast<std::size_t>(reason)] = n;
  };
  HookNotifier notifier(hooks, [&] {
    std::lock_guard<std::mutex> lock(mu);
    return counts;
  });
  notifier.start();
  set(DropReason::kQueueFull, 3);
  set(DropReason::kTooLarge, 1);
  ASSERT_TRUE(seen.wait_for(2));
  set(DropReason::kQueueFull, 5);
  ASSERT_TRUE(seen.wait_for(3));
  set(DropReason::kSampled, 4);
  notifier.stop();  // reports what came since the last report
  EXPECT_EQ(seen.events(), (std::vector<std::string>{"drop:queue_full:3", "drop:too_large:1",
                                                     "drop:queue_full:2", "drop:sampled:4"}));
}

TEST(HookNotifier, AThrowingCallbackIsCountedAndLaterEventsStillArrive) {
  Recorder seen;
  Hooks hooks = seen.hooks();
  hooks.on_offline = [] { throw std::runtime_error("the application's bug"); };
  hooks.on_error = [](const HookError&) { throw 42; };
  auto record_online = seen.hooks().on_online;
  hooks.on_online = record_online;
  HookNotifier notifier(hooks);
  notifier.start();
  notifier.set_online(false);
  notifier.error(ErrorSite::kSend, "x");
  notifier.set_online(true);
  ASSERT_TRUE(seen.wait_for(1));
  notifier.stop();
  EXPECT_EQ(seen.events(), std::vector<std::string>{"online"});
  EXPECT_EQ(notifier.stats().calls, 3u);
  EXPECT_EQ(notifier.stats().failures, 2u);
}

TEST(HookNotifier, StopIsIdempotentAndLaterEventsAreIgnored) {
  Recorder seen;
  HookNotifier notifier(seen.hooks());
  notifier.start();
  notifier.stop();
  notifier.error(ErrorSite::kSend, "late");
  notifier.set_online(false);
  notifier.stop();
  EXPECT_TRUE(seen.events().empty());
}

TEST(HookNotifier, ValidateNamesTheField) {
  Hooks hooks;
  EXPECT_TRUE(HookNotifier::validate(hooks).is_ok());
  hooks.on_drop = [](DropReason, std::uint64_t) {};
  hooks.drop_report_interval_ms = 0;
  const Status interval = HookNotifier::validate(hooks);
  EXPECT_EQ(interval.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(interval.message().find("drop_report_interval_ms"), std::string::npos)
      << interval.to_string();
  hooks.drop_report_interval_ms = 1;
  hooks.max_queued_events = 1;
  const Status queue = HookNotifier::validate(hooks);
  EXPECT_NE(queue.message().find("max_queued_events"), std::string::npos) << queue.to_string();
}

TEST(HookNotifier, NamesEverySite) {
  EXPECT_EQ(error_site_name(ErrorSite::kWrite), "write");
  EXPECT_EQ(error_site_name(ErrorSite::kSync), "sync");
  EXPECT_EQ(error_site_name(ErrorSite::kRetention), "retention");
  EXPECT_EQ(error_site_name(ErrorSite::kSend), "send");
  EXPECT_EQ(error_site_name(ErrorSite::kDeadLetter), "dead_letter");
  EXPECT_EQ(error_site_name(ErrorSite::kDeadLetterLog), "dead_letter_log");
  EXPECT_EQ(error_site_name(ErrorSite::kCursor), "cursor");
}

}  // namespace
}  // namespace spool::engine
